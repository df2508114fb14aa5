/**
 * The WebAssembly SIMD passes of the fused GroupNorm(+SiLU) (lib/kernels/wasm/) give the same bits as
 * its JavaScript passes, forward and backward, including odd channel counts (the scalar tail).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { GROUP_NORM_ACT, groupNormAct, registerKernelReplacements } from "../../lib/kernels/mod.ts";
import { wasmSimdKernels } from "../../lib/kernels/wasm/mod.ts";
import { registerTrainingGradients } from "../../lib/training/gradients.ts";
import { Rng } from "../../lib/rng.ts";

Deno.test("GroupNorm(+SiLU) SIMD passes equal the JavaScript passes bit for bit, forward and backward", async () => {
  registerTrainingGradients();
  registerKernelReplacements("wasm");
  await tf.setBackend("wasm");
  assert.notEqual(tf.getKernel(GROUP_NORM_ACT, "wasm"), undefined);
  assert.notEqual(wasmSimdKernels(tf.backend()), null, "SIMD kernels instantiate on tfjs' memory");
  // [n, h, w, c, groups, silu]
  const cases: [number, number, number, number, number, boolean][] = [
    [2, 5, 4, 8, 2, true],
    [3, 3, 3, 6, 3, false],
    [1, 3, 3, 5, 5, true],
    [2, 2, 3, 7, 1, true],
    [4, 8, 8, 32, 8, true],
    [2, 4, 6, 12, 12, false],
  ];
  const run = () =>
    cases.map(([n, h, w, c, groups, silu], i) => {
      const r2 = new Rng(100 + i);
      const x = tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => 3 * r2.normal() + 1), [
        n,
        h,
        w,
        c,
      ]);
      const gamma = tf.tensor1d(Float32Array.from({ length: c }, () => r2.normal()));
      const beta = tf.tensor1d(Float32Array.from({ length: c }, () => r2.normal()));
      const r = tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => r2.normal()), [n, h, w, c]);
      const out: Float32Array[] = tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) =>
          groupNormAct(a as tf.Tensor4D, b, e, { groups, silu });
        const y = f(x, gamma, beta);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, e: tf.Tensor) => tf.sum(tf.mul(f(a, b, e), r)));
        return [y, ...g([x, gamma, beta])].map((t) => Float32Array.from(t.dataSync()));
      });
      tf.dispose([x, gamma, beta, r]);
      return out.map((a) => new Uint32Array(a.buffer));
    });
  const before = tf.engine().backend.numDataIds();
  const simd = run();
  assert.equal(tf.engine().backend.numDataIds(), before, "no leaked buffers");
  Deno.env.set("HG_WASM_SIMD", "0");
  let js: Uint32Array[][];
  try {
    assert.equal(wasmSimdKernels(tf.backend()), null, "HG_WASM_SIMD=0 turns the kernels off");
    js = run();
  } finally {
    Deno.env.delete("HG_WASM_SIMD");
  }
  simd.forEach((outs, i) => {
    ["y", "dx", "dgamma", "dbeta"].forEach((what, j) => {
      const a = outs[j];
      const b = js[i][j];
      const k = a.findIndex((v, q) => v !== b[q]);
      assert.equal(k, -1, `case ${i} ${what}: first differing element ${k}`);
    });
  });
});
