import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import type { UNetConfig } from "../../lib/denoisers/unet.ts";
import { Rng } from "../../lib/rng.ts";
import { emaBeta } from "../../lib/training/ema.ts";
import { fusedAdamEmaStep, unfusedAdamEmaStep } from "../../lib/training/fused_adam.ts";
import { drawTrainingNoise, edmLoss } from "../../lib/training/loss.ts";
import {
  createTrainState,
  disposeTrainState,
  learningRate,
  stateDenoiser,
  train,
  trainConfig,
  type TrainState,
} from "../../lib/training/train.ts";
import { batch, type ImageSet } from "../../lib/types.ts";
import { testBackend } from "./_backend.ts";

const NET: UNetConfig = { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 };
const B = 8;

/** Every state tensor's float32 bits, in one array per group. */
function groups(s: TrainState): Uint32Array[] {
  return [s.params, s.adamM, s.adamV, s.ema].flatMap((vs) =>
    vs.map((v) => new Uint32Array(Float32Array.from(v.dataSync() as Float32Array).buffer))
  );
}

/** Index of the first differing tensor, or -1. */
function firstDiff(a: Uint32Array[], b: Uint32Array[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i].length !== b[i].length || a[i].some((x, j) => x !== b[i][j])) return i;
  }
  return -1;
}

/** Gradients of the EDM loss of `s` on step `step`'s random batch (a `tf.variableGrads` map, in params order). */
function grads(s: TrainState, step: number): tf.Tensor[] {
  const d = NET.resolution * NET.resolution;
  const rng = new Rng(1000 + step);
  const y = Float32Array.from({ length: B * d }, () => rng.uniform() * 2 - 1);
  const noise = drawTrainingNoise(3, step, B, d, s.train);
  const den = stateDenoiser(s, "params");
  const { value, grads } = tf.tidy(() =>
    tf.variableGrads(() =>
      edmLoss(
        den,
        tf.tensor4d(y, [B, 8, 8, 1]),
        tf.tensor1d(noise.sigma),
        tf.tensor4d(noise.eps, [B, 8, 8, 1]),
        s.train.sigmaData,
      ), s.params)
  );
  value.dispose();
  return s.params.map((v) => grads[v.name]);
}

Deno.test("fusedAdamEmaStep: 30 U-Net steps equal adamStep + emaUpdate bit for bit (SIMD and JS passes), also after the heap grows", async () => {
  const backend = await testBackend();
  const cfg = trainConfig({ seed: 5, steps: 30, batchSize: B, warmupImages: 64, lr: 1e-2 });
  const ref = createTrainState(NET, cfg);
  const js = createTrainState(NET, cfg);
  const auto = createTrainState(NET, cfg);
  const before = tf.memory().numTensors;
  const adam = { beta1: cfg.adamBeta1, beta2: cfg.adamBeta2, epsilon: cfg.adamEpsilon };
  let big: tf.Tensor | null = null;
  const paths = new Set<string>();
  for (let s = 0; s < 30; s++) {
    if (s === 15) big = tf.zeros([8 << 20]); // 32 MB more: the wasm heap grows under the bound kernels
    // Each state's gradients come from its own forward pass, so a stale copy of its weights anywhere
    // (e.g. a backend's cached packed conv weights) would show.
    const [g, gj, ga] = [ref, js, auto].map((st) => grads(st, s));
    const lr = learningRate(cfg, s);
    const beta = emaBeta(B, (s + 1) * B, cfg.emaHalflifeImages, cfg.emaRampup);
    unfusedAdamEmaStep(ref.params, g, ref.adamM, ref.adamV, ref.ema, s + 1, lr, beta, adam);
    paths.add(
      fusedAdamEmaStep(js.params, gj, js.adamM, js.adamV, js.ema, s + 1, lr, beta, adam, { kernel: "js" }),
    );
    paths.add(fusedAdamEmaStep(auto.params, ga, auto.adamM, auto.adamV, auto.ema, s + 1, lr, beta, adam));
    tf.dispose([...gj, ...ga]);
    tf.dispose(g);
  }
  big?.dispose();
  if (backend === "wasm") assert.deepEqual([...paths].sort(), ["wasm-js", "wasm-simd"]);
  assert.equal(tf.memory().numTensors, before, "no tensors left behind");
  const r = groups(ref);
  assert.equal(firstDiff(r, groups(js)), -1, "JS pass differs from the tfjs kernels");
  assert.equal(firstDiff(r, groups(auto)), -1, "SIMD pass differs from the tfjs kernels");
  // The weights did move, and the EMA lags them.
  const p0 = createTrainState(NET, cfg);
  assert.notEqual(firstDiff(groups(p0).slice(0, ref.params.length), r.slice(0, ref.params.length)), -1);
  for (const st of [ref, js, auto, p0]) disposeTrainState(st);
});

Deno.test("fusedAdamEmaStep: odd sizes (SIMD tail) and the copy path (cpu backend, shared arrays) equal the unfused step", async () => {
  await testBackend();
  await import("@tensorflow/tfjs-backend-cpu");
  const rng = new Rng(9);
  const sizes = [1, 3, 7, 9, 130];
  const mk = (f: () => number) => sizes.map((n) => Float32Array.from({ length: n }, f));
  const p = mk(() => rng.normal());
  const e = mk(() => rng.normal());
  const m = mk(() => 0.1 * rng.normal());
  const v = mk(() => 0.01 * rng.uniform());
  const gs = Array.from({ length: 4 }, () => mk(() => rng.normal()));
  const run = (fused: boolean, kernel: "auto" | "js") => {
    // On cpu, tf.tensor keeps the array: params and EMA (and m, v) deliberately share theirs.
    const shareOk = tf.getBackend() === "cpu";
    const vars = (xs: Float32Array[]) =>
      xs.map((x) => tf.variable(tf.tensor1d(shareOk ? x.slice() : x), false));
    const P = vars(p), M = vars(m), V = vars(v);
    const E = shareOk ? P.map((x) => tf.variable(x, false)) : vars(e);
    for (let t = 1; t <= gs.length; t++) {
      const g = gs[t - 1].map((x) => tf.tensor1d(x));
      if (fused) fusedAdamEmaStep(P, g, M, V, E, t, 0.05, 0.9, undefined, { kernel });
      else unfusedAdamEmaStep(P, g, M, V, E, t, 0.05, 0.9);
      tf.dispose(g);
    }
    const out = [P, M, V, E].flatMap((vs) =>
      vs.map((x) => new Uint32Array(Float32Array.from(x.dataSync()).buffer))
    );
    tf.dispose([...P, ...M, ...V, ...E]);
    return out;
  };
  const ref = run(false, "auto");
  assert.equal(firstDiff(ref, run(true, "auto")), -1);
  assert.equal(firstDiff(ref, run(true, "js")), -1);
  const prev = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    const refCpu = run(false, "auto");
    assert.equal(firstDiff(refCpu, run(true, "auto")), -1, "copy path on cpu");
  } finally {
    await tf.setBackend(prev);
  }
});

Deno.test("fusedAdamEmaStep: mismatched lists and shapes are named", async () => {
  await testBackend();
  const a = tf.variable(tf.zeros([3]), false, "fusedtest/a");
  const b = tf.variable(tf.zeros([4]), false);
  assert.throws(() => fusedAdamEmaStep([a], [], [a], [a], [a], 1, 0.1, 0.9), /1 parameters, 0 gradients/);
  assert.throws(() => fusedAdamEmaStep([a], [b], [a], [a], [a], 1, 0.1, 0.9), /fusedtest\/a/);
  assert.throws(() => fusedAdamEmaStep([a], [a], [a], [a], [a], 0, 0.1, 0.9), /t must be ≥ 1/);
  tf.dispose([a, b]);
});

Deno.test("train: the WebAssembly SIMD kernels on and off (HG_WASM_SIMD=0) give the same weights bit for bit", async () => {
  const backend = await testBackend();
  if (backend !== "wasm") return;
  const cfg = trainConfig({ seed: 11, steps: 4, batchSize: B, warmupImages: 64 });
  const n = 32;
  const rng = new Rng(4);
  const pixels = Float64Array.from({ length: n * 64 }, () => 2 * rng.uniform() - 1);
  const data: ImageSet = { ...batch(n, 64, pixels), name: "random 8×8", height: 8, width: 8, channels: 1 };
  const on = createTrainState(NET, cfg);
  await train(on, data, { log: false });
  Deno.env.set("HG_WASM_SIMD", "0");
  const off = createTrainState(NET, cfg);
  try {
    await train(off, data, { log: false });
  } finally {
    Deno.env.delete("HG_WASM_SIMD");
  }
  assert.equal(firstDiff(groups(on), groups(off)), -1);
  disposeTrainState(on);
  disposeTrainState(off);
});

Deno.test("fusedAdamEmaStep: a tensor sharing a moment's or a weight's buffer (a clone) keeps its values", async () => {
  const backend = await testBackend();
  const p = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), true);
  const e = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), false);
  const m = tf.variable(tf.tensor1d([0.1, 0.2, 0.3, 0.4, 0.5]), false);
  const v = tf.variable(tf.tensor1d([0.01, 0.02, 0.03, 0.04, 0.05]), false);
  const clones = [p, e, m, v].map((x) => tf.clone(x)); // on wasm these share the buffers (lib/kernels/identity.ts)
  const before = clones.map((c) => Array.from(c.dataSync()));
  const g = tf.tensor1d([1, -1, 2, -2, 3]);
  assert.equal(
    fusedAdamEmaStep([p], [g], [m], [v], [e], 1, 0.1, 0.9),
    backend === "wasm" ? "wasm-simd" : "copy-js",
  );
  clones.forEach((c, i) => assert.deepEqual(Array.from(c.dataSync()), before[i], `clone ${i} changed`));
  assert.notDeepEqual(Array.from(m.dataSync()), before[2], "m moved");
  // A second step, now with unshared moments (updated in place), still leaves the clones alone.
  fusedAdamEmaStep([p], [g], [m], [v], [e], 2, 0.1, 0.9);
  clones.forEach((c, i) => assert.deepEqual(Array.from(c.dataSync()), before[i], `clone ${i} changed`));
  tf.dispose([p, e, m, v, g, ...clones]);
});
