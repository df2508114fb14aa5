/**
 * oneDNN convolution kernels (lib/kernels/dnnl_conv2d.ts) on wasm against tfjs' cpu backend (its own
 * kernels, the reference of tests/kernels/kernels.test.ts) and the portable path: Conv2D, FusedConv2D
 * with a bias, Conv2DBackpropInput and Conv2DBackpropFilter on 12 random shapes (seeded: batch 1–4, size
 * 5–14, channels 1–16, kernels 1–5, strides 1–3, same/valid), in both layouts (blocked with reorders, and
 * directly on the NHWC buffers). Tolerance: relative 1e-4 (max |a − b| / max |b|; float32 sums in another
 * order, measured ≲ 1e-6).
 *
 * The portable path's forward is tfjs-backend-wasm's own Conv2D (XNNPACK); on one of these shapes
 * (1×6×5×2, 1×3 kernel, stride 3, same: a kernel narrower than the stride, with padding) it disagrees with
 * cpu and oneDNN by a relative 3.6, so the portable comparison covers only the shapes where it agrees
 * with cpu, and this test checks that list.
 *
 * Skipped, with a notice, when libdnnl.so.2 or OpenBLAS does not load (apt-get install libdnnl2
 * libopenblas0-pthread).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { registerKernelReplacements, restoreKernels } from "../../lib/kernels/mod.ts";
import { describeDnnl, dnnlInfo, dnnlLoaded, loadDnnl } from "../../lib/kernels/dnnl.ts";
import { convPlan, type DnnlLayout, setDnnlLayout } from "../../lib/kernels/dnnl_conv.ts";
import { blasLoaded, loadBlas } from "../../lib/linalg/blas.ts";
import { registerTrainingGradients } from "../../lib/training/gradients.ts";
import { Rng } from "../../lib/rng.ts";

const TOL = 1e-4;

registerTrainingGradients();

interface Shape {
  n: number;
  h: number;
  w: number;
  cin: number;
  kh: number;
  kw: number;
  cout: number;
  stride: number;
  pad: "same" | "valid";
}

function _shapes(count: number, seed: number): Shape[] {
  const rng = new Rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng.uniform() * (hi - lo + 1));
  const out: Shape[] = [];
  while (out.length < count) {
    const s: Shape = {
      n: int(1, 4),
      h: int(5, 14),
      w: int(5, 14),
      cin: int(1, 16),
      kh: int(1, 5),
      kw: int(1, 5),
      cout: int(1, 16),
      stride: int(1, 3),
      pad: rng.uniform() < 0.5 ? "same" : "valid",
    };
    if (s.pad === "valid" && (s.kh > s.h || s.kw > s.w)) continue;
    out.push(s);
  }
  return out;
}

function _rand(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function _relErr(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length, "length mismatch");
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return den === 0 ? num : num / den;
}

/** [conv2d, fused conv2d + bias, dx, dw, dbias] on the current backend (gradients of Σ y·r). */
function _run(s: Shape, x: Float32Array, w: Float32Array, b: Float32Array, r: Float32Array): Float32Array[] {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [s.n, s.h, s.w, s.cin]);
    const wt = tf.tensor4d(w, [s.kh, s.kw, s.cin, s.cout]);
    const bt = tf.tensor1d(b);
    const y = tf.conv2d(xt, wt, s.stride, s.pad);
    const rt = tf.tensor(r, y.shape);
    const fused = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
      tf.fused.conv2d({
        x: p as tf.Tensor4D,
        filter: q as tf.Tensor4D,
        strides: s.stride,
        pad: s.pad,
        bias: c,
      });
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(fused(p, q, c), rt)));
    return [y, fused(xt, wt, bt), ...g([xt, wt, bt])].map((t) => t.dataSync() as Float32Array);
  });
}

function _available(): boolean {
  loadBlas("auto");
  loadDnnl("auto");
  if (!blasLoaded() || !dnnlLoaded()) {
    console.error("tests/kernels/dnnl.test.ts: oneDNN or OpenBLAS did not load: oneDNN kernels untested");
    return false;
  }
  return true;
}

Deno.test("oneDNN conv kernels match cpu and the portable path on 12 random shapes, both layouts", async (t) => {
  if (!_available()) {
    await t.step({ name: "needs libdnnl.so.2 and libopenblas.so.0", ignore: true, fn() {} });
    return;
  }
  const shapes = _shapes(12, 91);
  const rng = new Rng(92);
  const cases = shapes.map((s) => {
    const info = tf.backend_util.computeConv2DInfo(
      [s.n, s.h, s.w, s.cin],
      [s.kh, s.kw, s.cin, s.cout],
      s.stride,
      1,
      s.pad,
    );
    return {
      s,
      x: _rand(rng, s.n * s.h * s.w * s.cin),
      w: _rand(rng, s.kh * s.kw * s.cin * s.cout),
      b: _rand(rng, s.cout),
      r: _rand(rng, s.n * info.outHeight * info.outWidth * s.cout),
    };
  });
  restoreKernels("cpu");
  await tf.setBackend("cpu");
  const want = cases.map((c) => _run(c.s, c.x, c.w, c.b, c.r));
  registerKernelReplacements("wasm");
  await tf.setBackend("wasm");
  const portable = cases.map((c) => _run(c.s, c.x, c.w, c.b, c.r));
  const portableOk = portable.map((p, i) => p.every((v, j) => _relErr(v, want[i][j]) <= TOL));
  assert.deepEqual(
    shapes.filter((_, i) => !portableOk[i]),
    [{ n: 1, h: 6, w: 5, cin: 2, kh: 1, kw: 3, cout: 9, stride: 3, pad: "same" }],
    "the portable path agrees with cpu except on the one shape named in the module doc",
  );
  const prev = setDnnlLayout("blocked");
  try {
    for (const layout of ["blocked", "nhwc"] as DnnlLayout[]) {
      setDnnlLayout(layout);
      const names = registerKernelReplacements("wasm", { blas: true, dnnl: true });
      for (const k of ["Conv2D", "FusedConv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
        assert.ok(names.includes(`${k}:dnnl`), `${k}:dnnl registered (${names.join(", ")})`);
      }
      assert.ok(names.includes("BatchMatMul:blas"), "BatchMatMul stays on OpenBLAS");
      const before = tf.engine().backend.numDataIds();
      cases.forEach((c, i) => {
        const got = _run(c.s, c.x, c.w, c.b, c.r);
        ["conv2d", "fused conv2d", "dx", "dw", "dbias"].forEach((what, j) => {
          const e = _relErr(got[j], want[i][j]);
          assert.ok(
            e <= TOL,
            `${layout} ${what} ${JSON.stringify(c.s)}: relative error ${e.toExponential(2)}`,
          );
        });
      });
      assert.equal(tf.engine().backend.numDataIds(), before, `${layout}: kernels leaked backend buffers`);
    }
  } finally {
    setDnnlLayout(prev);
    restoreKernels("wasm");
  }
});

Deno.test("oneDNN kernels follow the wasm heap when it grows (plans rebind their buffers)", async (t) => {
  if (!_available()) {
    await t.step({ name: "needs libdnnl.so.2 and libopenblas.so.0", ignore: true, fn() {} });
    return;
  }
  registerKernelReplacements("wasm", { blas: true, dnnl: true });
  await tf.setBackend("wasm");
  const rng = new Rng(3);
  const x = _rand(rng, 2 * 8 * 8 * 4);
  const w = _rand(rng, 3 * 3 * 4 * 5);
  const conv = () =>
    tf.tidy(() =>
      tf.conv2d(tf.tensor4d(x, [2, 8, 8, 4]), tf.tensor4d(w, [3, 3, 4, 5]), 1, "same").dataSync()
    );
  const first = conv() as Float32Array;
  const bytes = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
  const before = bytes();
  const big = tf.zeros([64 * 1024 * 1024 / 4 + 1]); // 64 MB: the heap must grow
  try {
    assert.ok(bytes() > before, "the wasm heap grew");
    const again = conv() as Float32Array;
    assert.deepEqual(again, first, "same result, same plan, after the heap moved");
  } finally {
    big.dispose();
    restoreKernels("wasm");
  }
});

Deno.test("oneDNN provenance names version, ISA, threads and path; plans are cached by shape", (t) => {
  if (!_available()) {
    t.step({ name: "needs libdnnl.so.2", ignore: true, fn() {} });
    return;
  }
  const line = describeDnnl(dnnlInfo());
  assert.match(line, /^onednn \d+\.\d+\.\d+.*, \S+, \d+ thread\(s\), \S*libdnnl/);
  assert.equal(describeDnnl({ name: "none" }), "none");
  const info = tf.backend_util.computeConv2DInfo([1, 6, 6, 2], [3, 3, 2, 3], 1, 1, "same");
  const p = convPlan("forward", info, false);
  assert.equal(convPlan("forward", info, false), p, "same shape: the cached plan");
  assert.notEqual(convPlan("forward", info, true), p, "with a bias: another plan");
  assert.match(p.impl, /\S/);
});
