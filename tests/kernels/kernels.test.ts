/**
 * Kernel replacements (lib/kernels/) against tfjs' cpu backend, which keeps its own kernels here:
 * forward values and gradients (tf.grads) must agree to a relative error of 1e-5 (float32 with
 * sums reordered; measured ≲ 1e-6), for the portable set on wasm and for the BLAS-backed set.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import {
  GROUP_NORM_ACT,
  groupNormAct,
  registerKernelReplacements,
  restoreKernels,
} from "../../lib/kernels/mod.ts";
import { blasLoaded } from "../../lib/linalg/blas.ts";
import { registerTrainingGradients } from "../../lib/training/gradients.ts";
import { Rng } from "../../lib/rng.ts";
import { wasmSimdKernels } from "../../lib/kernels/wasm/mod.ts";

/** Relative error bound: max |a − b| / max |b| (float32, different summation orders). */
const TOL = 1e-5;

registerTrainingGradients();

type Pad = "same" | "valid";
/** [batch, h, w, cin, kh, kw, cout, stride, pad]: strides 1–3, kernels 2×2–5×5, channels 1–8, batch 1–4. */
const CONV_SHAPES: [number, number, number, number, number, number, number, number, Pad][] = [
  [2, 9, 9, 3, 3, 3, 4, 1, "same"],
  [1, 8, 8, 2, 2, 2, 3, 2, "valid"],
  [3, 7, 7, 4, 5, 5, 2, 3, "same"],
  [4, 10, 10, 8, 3, 3, 8, 2, "same"],
  [2, 11, 9, 8, 4, 2, 8, 3, "valid"],
  [2, 12, 12, 1, 3, 3, 8, 1, "same"], // grey input (expanded input side)
  [3, 12, 10, 8, 3, 3, 1, 1, "same"], // grey output (expanded output side)
  [1, 13, 13, 6, 5, 5, 8, 2, "valid"],
  [4, 6, 6, 8, 2, 3, 7, 1, "same"],
  [2, 9, 9, 5, 1, 1, 6, 1, "valid"], // 1×1 conv (U-Net skip)
];

function _rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function _relErr(
  got: Float32Array | Int32Array | Uint8Array,
  want: Float32Array | Int32Array | Uint8Array,
): number {
  assert.equal(got.length, want.length, "length mismatch");
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return den === 0 ? num : num / den;
}

/** y = conv(x, w), and d/dx, d/dw of Σ y·r for a fixed random r, on the current backend. */
function _convAndGrads(
  shape: (typeof CONV_SHAPES)[number],
  xv: Float32Array,
  wv: Float32Array,
  rv: Float32Array,
): Float32Array[] {
  const [n, h, w, cin, kh, kw, cout, s, pad] = shape;
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, [n, h, w, cin]);
    const f = tf.tensor4d(wv, [kh, kw, cin, cout]);
    const y = tf.conv2d(x, f, s, pad);
    const r = tf.tensor(rv, y.shape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), r))
    );
    const [dx, dw] = g([x, f]);
    return [y, dx, dw].map((t) => t.dataSync() as Float32Array);
  });
}

interface ConvCase {
  shape: (typeof CONV_SHAPES)[number];
  x: Float32Array;
  w: Float32Array;
  r: Float32Array;
  want: Float32Array[];
}

async function _convReference(): Promise<ConvCase[]> {
  await tf.setBackend("cpu");
  const rng = new Rng(7);
  return CONV_SHAPES.map((shape) => {
    const [n, h, w, cin, kh, kw, cout, s, pad] = shape;
    const info = tf.backend_util.computeConv2DInfo([n, h, w, cin], [kh, kw, cin, cout], s, 1, pad);
    const x = _rand(rng, n * h * w * cin);
    const wv = _rand(rng, kh * kw * cin * cout);
    const r = _rand(rng, n * info.outHeight * info.outWidth * cout);
    return { shape, x, w: wv, r, want: _convAndGrads(shape, x, wv, r) };
  });
}

async function _checkConvs(label: string, cases: ConvCase[]): Promise<void> {
  await tf.setBackend("wasm");
  const before = tf.engine().backend.numDataIds();
  for (const c of cases) {
    const got = _convAndGrads(c.shape, c.x, c.w, c.r);
    ["conv2d", "dx", "dw"].forEach((what, i) => {
      const e = _relErr(got[i], c.want[i]);
      assert.ok(
        e <= TOL,
        `${label} ${what} [${c.shape.join(",")}]: relative error ${e.toExponential(2)} > ${TOL}`,
      );
    });
  }
  assert.equal(tf.engine().backend.numDataIds(), before, `${label}: kernels leaked backend buffers`);
}

Deno.test("kernels: wasm as shipped lacks Conv2DBackpropFilter (why the portable set exists)", async () => {
  restoreKernels("wasm");
  await tf.setBackend("wasm");
  assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
  const names = registerKernelReplacements("wasm");
  assert.ok(names.includes("Conv2DBackpropFilter"));
  assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
  restoreKernels("wasm");
  assert.equal(
    tf.getKernel("Conv2DBackpropFilter", "wasm"),
    undefined,
    "restoreKernels puts the original set back",
  );
});

Deno.test("kernels: portable conv2d gradients on wasm match cpu on 10 shapes", async () => {
  const cases = await _convReference();
  const names = registerKernelReplacements("wasm");
  assert.deepEqual(names.filter((k) => k.startsWith("Conv2D")).sort(), [
    "Conv2DBackpropFilter",
    "Conv2DBackpropInput",
  ]);
  await _checkConvs("portable", cases);
});

Deno.test("kernels: portable filter gradient on cpu matches cpu's own", async () => {
  const cases = await _convReference();
  const names = registerKernelReplacements("cpu");
  assert.ok(names.includes("Conv2DBackpropFilter"));
  try {
    for (const c of cases) {
      const got = _convAndGrads(c.shape, c.x, c.w, c.r);
      const e = _relErr(got[2], c.want[2]);
      assert.ok(e <= TOL, `cpu dw [${c.shape.join(",")}]: relative error ${e.toExponential(2)}`);
    }
  } finally {
    restoreKernels("cpu");
  }
});

Deno.test("kernels: BLAS conv2d and its gradients on wasm match cpu on 10 shapes", async (t) => {
  const names = registerKernelReplacements("wasm", { blas: true, dnnl: false });
  if (!blasLoaded()) {
    console.error(
      "tests/kernels: native OpenBLAS did not load (libopenblas.so.0, --allow-ffi): BLAS kernels untested",
    );
    restoreKernels("wasm");
    t.step({ name: "BLAS kernels (skipped: no OpenBLAS)", ignore: true, fn: () => {} });
    return;
  }
  for (
    const k of ["Conv2D:blas", "Conv2DBackpropInput:blas", "Conv2DBackpropFilter:blas", "BatchMatMul:blas"]
  ) {
    assert.ok(names.includes(k), `${k} registered`);
  }
  const cases = await _convReference();
  registerKernelReplacements("wasm", { blas: true, dnnl: false });
  await _checkConvs("blas", cases);
  // FusedConv2D with a bias (tf.fused.conv2d), forward and gradients, against cpu.
  const rng = new Rng(21);
  const fused = (xv: Float32Array, wv: Float32Array, bv: Float32Array, rv: Float32Array) =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, [2, 7, 7, 5]);
      const f = tf.tensor4d(wv, [3, 3, 5, 6]);
      const b = tf.tensor1d(bv);
      const r = tf.tensor4d(rv, [2, 4, 4, 6]);
      const conv = (p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
        tf.fused.conv2d({ x: p as tf.Tensor4D, filter: q as tf.Tensor4D, strides: 2, pad: "same", bias: c });
      const g = tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(conv(p, q, c), r)));
      return [conv(x, f, b), ...g([x, f, b])].map((t) => t.dataSync() as Float32Array);
    });
  const args = [
    _rand(rng, 2 * 7 * 7 * 5),
    _rand(rng, 9 * 5 * 6),
    _rand(rng, 6),
    _rand(rng, 2 * 4 * 4 * 6),
  ] as const;
  await tf.setBackend("cpu");
  const want = fused(...args);
  await tf.setBackend("wasm");
  const got = fused(...args);
  ["y", "dx", "dw", "db"].forEach((what, i) => {
    const e = _relErr(got[i], want[i]);
    assert.ok(e <= TOL, `fused conv2d ${what}: relative error ${e.toExponential(2)}`);
  });
});

/** Forward and both gradients of matMul(a, b, tA, tB), batch 3 (or a broadcast over b's batch). */
function _matmulAndGrads(
  av: Float32Array,
  aShape: number[],
  bv: Float32Array,
  bShape: number[],
  tA: boolean,
  tB: boolean,
) {
  return tf.tidy(() => {
    const a = tf.tensor(av, aShape);
    const b = tf.tensor(bv, bShape);
    const y = tf.matMul(a, b, tA, tB);
    const r = tf.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i)), y.shape);
    const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, tA, tB), r)));
    return [y, ...g([a, b])].map((t) => t.dataSync() as Float32Array);
  });
}

Deno.test("kernels: transposed BatchMatMul (portable and BLAS) matches cpu, with gradients", async () => {
  const rng = new Rng(11);
  const m = 5, k = 7, n = 4, batch = 3;
  const combos: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];
  const cases = combos.map(([tA, tB]) => {
    const aShape = tA ? [batch, k, m] : [batch, m, k];
    const bShape = tB ? [batch, n, k] : [batch, k, n];
    return { tA, tB, aShape, bShape, a: _rand(rng, batch * m * k), b: _rand(rng, batch * k * n) };
  });
  await tf.setBackend("cpu");
  const want = cases.map((c) => _matmulAndGrads(c.a, c.aShape, c.b, c.bShape, c.tA, c.tB));
  // Broadcast: a single left matrix against a batch (forward only; the gradient does not broadcast).
  const bcA = _rand(rng, m * k);
  const bcB = _rand(rng, batch * k * n);
  const bcWant = tf.matMul(tf.tensor(bcA, [1, m, k]), tf.tensor(bcB, [batch, k, n])).dataSync();
  for (const blas of [false, true]) {
    registerKernelReplacements("wasm", { blas, dnnl: false });
    if (blas && !blasLoaded()) continue;
    await tf.setBackend("wasm");
    cases.forEach((c, i) => {
      const got = _matmulAndGrads(c.a, c.aShape, c.b, c.bShape, c.tA, c.tB);
      ["y", "da", "db"].forEach((what, j) => {
        const e = _relErr(got[j], want[i][j]);
        assert.ok(e <= TOL, `matMul blas=${blas} tA=${c.tA} tB=${c.tB} ${what}: relative error ${e}`);
      });
    });
    const bc = tf.tidy(() => tf.matMul(tf.tensor(bcA, [1, m, k]), tf.tensor(bcB, [batch, k, n])).dataSync());
    assert.ok(_relErr(bc, bcWant) <= TOL, `matMul broadcast blas=${blas}`);
  }
});

Deno.test("kernels: Sum, Mean, SplitV, Concat and broadcasting binary ops match cpu (SIMD and JavaScript paths bit for bit)", async () => {
  const rng = new Rng(5);
  const shape = [2, 3, 4, 5];
  const x = _rand(rng, 2 * 3 * 4 * 5);
  const y6 = _rand(rng, 2 * 3 * 2 * 3 * 2);
  // [a shape, b shape] pairs: every broadcast pattern, scalar, rank 5, and > 4 merged loops (fallback).
  const pairs: [number[], number[]][] = [
    [[2, 3, 4, 5], [5]],
    [[2, 3, 4, 5], [2, 1, 4, 1]],
    [[2, 1, 4, 1], [2, 3, 4, 5]],
    [[3, 1], [1, 4]],
    [[2, 3, 4, 5], []],
    [[], [2, 3, 4, 5]],
    [[2, 3, 4, 5, 6], [1, 3, 1, 5, 1]],
    [[2, 1, 2, 1, 2, 1], [1, 2, 1, 2, 1, 2]],
    [[64, 40], [40]],
    [[3, 50, 2, 4], [3, 1, 2, 1]],
    [[3, 4, 4, 8], [3, 1, 1, 8]], // the U-Net's embedding add
    [[3, 4, 4, 6], [3, 1, 1, 6]], // … with a scalar tail
  ];
  const operands = pairs.map((
    [sa, sb],
  ) => [_rand(rng, tf.util.sizeFromShape(sa)), _rand(rng, tf.util.sizeFromShape(sb))]);
  const run = () =>
    tf.tidy(() => {
      const t = tf.tensor(x, shape);
      const u = tf.tensor(x.map((v) => 2 * v), shape);
      const v = tf.tensor(y6, [2, 3, 2, 3, 2]);
      const outs: tf.Tensor[] = [
        tf.sum(t, [0, 1, 2]),
        tf.sum(t, [0], true),
        tf.sum(t, [1, 3]),
        tf.sum(t),
        tf.mean(t, [1, 3], true),
        tf.mean(t, [0, 2]),
        tf.mean(t, -1),
        tf.sum(v, [0, 2, 4]), // 5 merged loops: the backend's own Sum
        ...tf.split(t, [1, 3], 2),
        ...tf.split(t, 5, 3),
        ...tf.split(t, [1, 1], 0),
        tf.concat([t, u], 3),
        tf.concat([t, u, t], 1),
        tf.concat([t, u], 0),
        tf.concat([tf.reshape(t, [2, 3, 2, 10]), tf.reshape(u, [2, 3, 2, 10])], 3), // runs of 10: SIMD and a tail
      ];
      pairs.forEach(([sa, sb], i) => {
        const a = tf.tensor(operands[i][0], sa);
        const b = tf.tensor(operands[i][1], sb);
        outs.push(tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, tf.add(tf.abs(b), 0.5)));
      });
      return outs.map((o) => ({ shape: o.shape, data: o.dataSync() as Float32Array }));
    });
  await tf.setBackend("cpu");
  const want = run();
  const names = registerKernelReplacements("wasm");
  for (const k of ["Sum", "Mean", "SplitV", "Concat", "Add", "Sub", "Multiply", "RealDiv", "Identity"]) {
    assert.ok(names.includes(k), `${k} registered`);
  }
  await tf.setBackend("wasm");
  const before = tf.engine().backend.numDataIds();
  const got = run();
  assert.equal(tf.engine().backend.numDataIds(), before, "no leaked buffers");
  got.forEach((g, i) => {
    assert.deepEqual(g.shape, want[i].shape, `output ${i} shape`);
    const e = _relErr(g.data, want[i].data);
    assert.ok(e <= TOL, `output ${i}: relative error ${e}`);
  });
  // The WebAssembly SIMD loops (lib/kernels/wasm/) and the JavaScript ones give the same bits.
  assert.notEqual(wasmSimdKernels(tf.backend()), null, "SIMD kernels instantiate");
  Deno.env.set("HG_WASM_SIMD", "0");
  let js: { shape: number[]; data: Float32Array }[];
  try {
    js = run();
  } finally {
    Deno.env.delete("HG_WASM_SIMD");
  }
  got.forEach((g, i) => {
    const a = new Uint32Array(g.data.buffer, g.data.byteOffset, g.data.length);
    const b = new Uint32Array(js[i].data.buffer, js[i].data.byteOffset, js[i].data.length);
    const k = a.findIndex((v, q) => v !== b[q]);
    assert.equal(k, -1, `output ${i}: SIMD and JavaScript differ first at element ${k}`);
  });
  // Identity shares the buffer: a clone outlives its source and keeps the values.
  const src = tf.tensor1d([1, 2, 3]);
  const copy = tf.clone(src);
  src.dispose();
  assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3]);
  copy.dispose();
  assert.equal(tf.engine().backend.numDataIds(), before, "the shared buffer is freed with its last tensor");
});

Deno.test("kernels: ResizeNearestNeighborGrad is the adjoint of the resize (and matches cpu on one image)", async () => {
  // tfjs-backend-cpu's own gradient mixes up strides for batch > 0, so cpu is compared on one image
  // only; the definition ⟨resize(x), dy⟩ = ⟨x, grad(dy)⟩ is checked on batches for random x.
  const rng = new Rng(3);
  const sizes: [number, number][] = [[10, 12], [7, 9], [4, 3]];
  const flags: [boolean, boolean][] = [[false, false], [true, false], [false, true]];
  const grad = (
    x: Float32Array,
    n: number,
    dy: Float32Array,
    size: [number, number],
    align: boolean,
    half: boolean,
  ) =>
    tf.tidy(() =>
      tf.engine().runKernel("ResizeNearestNeighborGrad", {
        images: tf.tensor(x, [n, 5, 6, 3]),
        dy: tf.tensor(dy, [n, size[0], size[1], 3]),
      }, { alignCorners: align, halfPixelCenters: half }) as tf.Tensor
    ).dataSync() as Float32Array;
  const one = _rand(rng, 5 * 6 * 3);
  const dyOne = sizes.map(([h, w]) => _rand(rng, h * w * 3));
  await tf.setBackend("cpu");
  const want = sizes.map((s, i) => grad(one, 1, dyOne[i], s, false, false));
  registerKernelReplacements("wasm");
  await tf.setBackend("wasm");
  sizes.forEach((s, i) => {
    assert.ok(_relErr(grad(one, 1, dyOne[i], s, false, false), want[i]) <= TOL, `grad vs cpu for size ${s}`);
    const dy = _rand(rng, 2 * s[0] * s[1] * 3);
    for (const [align, half] of flags) {
      for (let trial = 0; trial < 3; trial++) {
        const x = _rand(rng, 2 * 5 * 6 * 3);
        const fwd = tf.tidy(() =>
          tf.image.resizeNearestNeighbor(tf.tensor4d(x, [2, 5, 6, 3]), s, align, half).dataSync()
        );
        const g = grad(x, 2, dy, s, align, half);
        let lhs = 0;
        let rhs = 0;
        for (let j = 0; j < fwd.length; j++) lhs += fwd[j] * dy[j];
        for (let j = 0; j < x.length; j++) rhs += x[j] * g[j];
        assert.ok(
          Math.abs(lhs - rhs) <= 1e-4 * (Math.abs(lhs) + 1),
          `adjoint ${s} align=${align} half=${half}`,
        );
      }
    }
  });
});

Deno.test("kernels: fused GroupNorm(+SiLU) and its gradient match the op composition on cpu", async () => {
  const rng = new Rng(9);
  // [n, h, w, c, groups, silu]
  const cases: [number, number, number, number, number, boolean][] = [
    [2, 5, 4, 8, 2, true],
    [3, 3, 3, 6, 3, false],
    [1, 7, 7, 4, 1, true],
    [2, 4, 6, 12, 12, true],
  ];
  const data = cases.map(([n, h, w, c]) => ({
    x: _rand(rng, n * h * w * c).map((v) => 3 * v + 1),
    gamma: _rand(rng, c),
    beta: _rand(rng, c),
    r: _rand(rng, n * h * w * c),
  }));
  const run = () =>
    cases.map(([n, h, w, c, groups, silu], i) =>
      tf.tidy(() => {
        const d = data[i];
        const x = tf.tensor4d(d.x, [n, h, w, c]);
        const gamma = tf.tensor1d(d.gamma);
        const beta = tf.tensor1d(d.beta);
        const r = tf.tensor4d(d.r, [n, h, w, c]);
        const f = (a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) =>
          groupNormAct(a as tf.Tensor4D, b, e, { groups, silu });
        const y = f(x, gamma, beta);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a, b, e), r)));
        return [y, ...g([x, gamma, beta])].map((t) => t.dataSync() as Float32Array);
      })
    );
  restoreKernels("cpu");
  await tf.setBackend("cpu");
  assert.equal(tf.getKernel(GROUP_NORM_ACT, "cpu"), undefined, "reference runs the composed ops");
  registerKernelReplacements("wasm"); // registers the gradient; cpu keeps no fused kernel
  restoreKernels("cpu");
  const want = run();
  for (const backend of ["wasm", "cpu"]) {
    registerKernelReplacements(backend);
    await tf.setBackend(backend);
    assert.notEqual(tf.getKernel(GROUP_NORM_ACT, backend), undefined);
    const before = tf.engine().backend.numDataIds();
    const got = run();
    assert.equal(tf.engine().backend.numDataIds(), before, `${backend}: no leaked buffers`);
    got.forEach((outs, i) => {
      ["y", "dx", "dgamma", "dbeta"].forEach((what, j) => {
        const e = _relErr(outs[j], want[i][j]);
        assert.ok(e <= TOL, `${backend} case ${i} ${what}: relative error ${e.toExponential(2)}`);
      });
    });
  }
  restoreKernels("cpu");
});
