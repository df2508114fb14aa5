import assert from "node:assert/strict";
import { inv, multiply } from "mathjs";
import {
  DEFAULT_LINEAR_LR,
  distillLinear,
  exponentialLrDecay,
  leastSquaresLinear,
  linearDenoiser,
  linearLearningRate,
} from "../../lib/denoisers/linear.ts";
import { PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";
import { wienerNMSE } from "../../lib/metrics/spectral.ts";
import { type Batch, batch } from "../../lib/types.ts";
import { deriveSeed, noiseRows, sampleNoise } from "../../lib/rng.ts";
import { withoutWasmSimd } from "../_wasm_simd.ts";

/** A correlated, non-centred 8-D data set (N × 8). */
function syntheticData(N: number, d = 8): Batch {
  const z = noiseRows(3, 0, N, d);
  const out = new Float64Array(N * d);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < d; k++) {
      out[i * d + k] = (0.8 / (1 + k)) * z[i * d + k] + 0.3 * z[i * d + ((k + 1) % d)] - 0.5 + 0.1 * k;
    }
  }
  return batch(N, d, out);
}

/** Theorem 1's optimum from the normal equations, independently of gaussian.ts: W* = Σ(Σ+σ²I)⁻¹, b* = (I−W*)μ. */
function wienerByNormalEquations(y: Batch, sigma: number): { W: Float64Array; b: Float64Array } {
  const { n, d } = y;
  const mu = Array.from({ length: d }, (_, k) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += y.data[i * d + k];
    return s / n;
  });
  const cov: number[][] = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < d; c++) {
        cov[a][c] += ((y.data[i * d + a] - mu[a]) * (y.data[i * d + c] - mu[c])) / n;
      }
    }
  }
  const reg = cov.map((r, a) => r.map((v, c) => v + (a === c ? sigma * sigma : 0)));
  const w = multiply(cov, inv(reg)) as number[][];
  const b = mu.map((m, a) => m - w[a].reduce((s, v, c) => s + v * mu[c], 0));
  return { W: Float64Array.from(w.flat()), b: Float64Array.from(b) };
}

Deno.test("linearDenoiser computes W x + b row by row", () => {
  const d = 3;
  const W = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 10]);
  const b = Float64Array.from([0.5, -1, 2]);
  const x = batch(2, d, Float64Array.from([1, 0, -1, 2, 3, 4]));
  const out = linearDenoiser(W, b, d)(x, 1.0) as Batch;
  assert.deepEqual(Array.from(out.data), [
    1 - 3 + 0.5,
    4 - 6 - 1,
    7 - 10 + 2,
    2 + 6 + 12 + 0.5,
    8 + 15 + 24 - 1,
    14 + 24 + 40 + 2,
  ]);
  assert.throws(() => linearDenoiser(W, b, 2), /W has 9/);
  assert.throws(() => linearDenoiser(W, b, d)(batch(1, 2), 1), /model has d = 3/);
});

Deno.test("Theorem 1: distilling against the clean image converges to the Wiener filter of the normal equations", async () => {
  const train = syntheticData(512);
  const sigma = 0.5;
  const epochs = 300;
  const r = await distillLinear({
    train,
    sigma,
    target: "clean",
    epochs,
    seed: 1,
    batchSize: 128,
    lr: 5e-2,
    lrFactor: exponentialLrDecay(epochs, 0.01),
  });
  const star = wienerByNormalEquations(train, sigma);
  const nmse = wienerNMSE(r.W, star.W);
  assert.ok(nmse < 2e-3, `NMSE(W, W*) = ${nmse}`);
  for (let k = 0; k < 8; k++) {
    assert.ok(Math.abs(r.b[k] - star.b[k]) < 0.02, `b[${k}] ${r.b[k]} vs ${star.b[k]}`);
  }
  // The fit is specific to σ: the Wiener filter of another σ is much further away.
  const other = wienerByNormalEquations(train, 1.5);
  assert.ok(wienerNMSE(r.W, other.W) > 50 * nmse);
  // Losses are recorded per epoch and fall.
  assert.equal(r.losses.length, epochs);
  assert.ok(r.losses[epochs - 1] < 0.5 * r.losses[0]);
});

Deno.test("distilling against a linear target recovers it (zero-residual optimum)", async () => {
  const d = 8;
  const train = syntheticData(256);
  const A = Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 0.7 : 0.05 * Math.cos(i)));
  const c = Float64Array.from({ length: d }, (_, k) => 0.1 * k - 0.3);
  const target = linearDenoiser(A, c, d);
  const epochs = 150;
  const seen: number[] = [];
  const r = await distillLinear({
    train,
    sigma: 1,
    target,
    epochs,
    seed: 2,
    batchSize: 64,
    lr: 5e-2,
    lrFactor: (e) => 0.001 ** (e / epochs),
    onEpoch: (e) => void seen.push(e.epoch),
  });
  assert.deepEqual(seen, Array.from({ length: epochs }, (_, i) => i + 1));
  assert.ok(wienerNMSE(r.W, A) < 1e-4, `NMSE ${wienerNMSE(r.W, A)}`);
  for (let k = 0; k < d; k++) assert.ok(Math.abs(r.b[k] - c[k]) < 5e-3);
  // Zero-residual optimum: the loss falls by orders of magnitude (only the decayed Adam noise is left).
  assert.ok(
    r.losses[epochs - 1] < 1e-4 * r.losses[0],
    `last loss ${r.losses[epochs - 1]}, first ${r.losses[0]}`,
  );
});

Deno.test("first Adam step from zero is −lr·g/(|g|+ε): W by lr/√d, b by lr (authors' 1/√d convention)", async () => {
  const d = 4;
  const B = 5;
  const train = batch(B, d, noiseRows(8, 0, B, d).map((v) => v + 0.3));
  const sigma = 0.7;
  const lr = 0.01;
  const r = await distillLinear({ train, sigma, target: "clean", epochs: 1, seed: 6, batchSize: B, lr });
  assert.equal(r.steps, 1);
  // Noise of image i in epoch 0 is sampleNoise(deriveSeed(seed, 0), i, d).
  const x = new Float64Array(B * d);
  for (let i = 0; i < B; i++) {
    const eps = sampleNoise(deriveSeed(6, 0), i, d);
    for (let k = 0; k < d; k++) x[i * d + k] = train.data[i * d + k] + sigma * eps[k];
  }
  // At W = 0, b = 0 the residual is −y, so grad_W[a][c] = −(2/B) Σ_i y_ia x_ic and grad_b[a] = −(2/B) Σ_i y_ia.
  // Adam's first step (bias-corrected) is −lr·g/(|g| + ε), ε = 1e-8: −lr·sign(g) up to ε/|g|.
  const lrW = lr / Math.sqrt(d);
  const step = (rate: number, g: number) => -rate * g / (Math.abs(g) + 1e-8);
  for (let a = 0; a < d; a++) {
    let gb = 0;
    for (let i = 0; i < B; i++) gb -= (2 / B) * train.data[i * d + a];
    assert.ok(Math.abs(r.b[a] - step(lr, gb)) < 1e-12, `b[${a}]`);
    assert.ok(Math.abs(Math.abs(r.b[a]) - lr) < 1e-6 * lr, `|b[${a}]| ≈ lr`);
    for (let c = 0; c < d; c++) {
      let g = 0;
      for (let i = 0; i < B; i++) g -= (2 / B) * train.data[i * d + a] * x[i * d + c];
      assert.ok(Math.abs(r.W[a * d + c] - step(lrW, g)) < 1e-12, `W[${a}][${c}]`);
    }
  }
});

Deno.test("distillLinear is deterministic, independent of nothing but its options; checks its input", async () => {
  const train = syntheticData(100);
  const opts = { train, sigma: 0.3, target: "clean" as const, epochs: 3, seed: 4, batchSize: 32 };
  const a = await distillLinear(opts);
  const b = await distillLinear(opts);
  assert.deepEqual(a.W, b.W);
  assert.deepEqual(a.b, b.b);
  const c = await distillLinear({ ...opts, seed: 5 });
  assert.notDeepEqual(a.W, c.W);
  await assert.rejects(() => distillLinear({ ...opts, sigma: -1 }), /σ must be/);
  await assert.rejects(() => distillLinear({ ...opts, batchSize: 0 }), /batchSize/);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => distillLinear({ ...opts, target: "noisy" as any }), /target/);
});

Deno.test("distillLinear: the WebAssembly Adam step (adam64) gives the JavaScript loop's weights bit for bit", async () => {
  const train = syntheticData(100, 5); // d = 5: W and b end in an odd tail after the pairs
  const opts = { train, sigma: 0.3, target: "clean" as const, epochs: 4, seed: 9, batchSize: 32 };
  const simd = await distillLinear(opts);
  const js = await withoutWasmSimd(() => distillLinear(opts));
  assert.ok(simd.W.some((w) => w !== 0));
  assert.deepEqual(simd.W, js.W);
  assert.deepEqual(simd.b, js.b);
  assert.deepEqual(simd.losses, js.losses);
});

Deno.test("default learning rates: one per paper σ, from the authors' grid, following linearLearningRate", () => {
  const grid = [5e-5, 5e-4, 5e-3, 5e-2, 5e-1];
  for (const s of PAPER_SIGMAS) {
    const lr = DEFAULT_LINEAR_LR[String(s)];
    assert.ok(grid.includes(lr), `σ ${s}: ${lr}`);
    assert.equal(linearLearningRate(s), lr);
  }
});

Deno.test("exponentialLrDecay runs from 1 to the final factor geometrically", () => {
  const f = exponentialLrDecay(5, 0.01);
  assert.equal(f(0), 1);
  assert.ok(Math.abs(f(4) - 0.01) < 1e-15);
  assert.ok(Math.abs(f(2) - 0.1) < 1e-15);
  assert.equal(exponentialLrDecay(1)(0), 1);
  assert.throws(() => exponentialLrDecay(0), /epochs/);
});

Deno.test("Theorem 1: the exact minimiser of the sampled objective tends to the normal-equation Wiener filter", async () => {
  const train = syntheticData(400);
  const sigma = 0.7;
  const fits = await leastSquaresLinear({ train, sigma, target: "clean", draws: [2, 32, 512], seed: 4 });
  const star = wienerByNormalEquations(train, sigma);
  const nmse = fits.map((f) => wienerNMSE(f.W, star.W));
  // Sampling error shrinks like 1/M: NMSE falls by roughly 16× per 16× more draws.
  assert.ok(nmse[1] < nmse[0] / 4 && nmse[2] < nmse[1] / 4, `NMSE ${nmse}`);
  assert.ok(nmse[2] < 1e-3, `NMSE at 512 draws ${nmse[2]}`);
  for (let k = 0; k < 8; k++) assert.ok(Math.abs(fits[2].b[k] - star.b[k]) < 0.01, `b[${k}]`);
  assert.ok(wienerNMSE(fits[2].W, wienerByNormalEquations(train, 1.5).W) > 50 * nmse[2]);
});

Deno.test("leastSquaresLinear recovers a linear target exactly and checks its input", async () => {
  const train = syntheticData(300);
  const d = 8;
  const W0 = Float64Array.from({ length: d * d }, (_, i) => Math.sin(i));
  const b0 = Float64Array.from({ length: d }, (_, i) => 0.1 * i);
  const [fit] = await leastSquaresLinear({
    train,
    sigma: 0.3,
    target: linearDenoiser(W0, b0, d),
    draws: [1],
    seed: 2,
  });
  for (let i = 0; i < d * d; i++) assert.ok(Math.abs(fit.W[i] - W0[i]) < 1e-8, `W[${i}]`);
  for (let i = 0; i < d; i++) assert.ok(Math.abs(fit.b[i] - b0[i]) < 1e-8, `b[${i}]`);
  await assert.rejects(
    () => leastSquaresLinear({ train, sigma: 0.3, target: "clean", draws: [4, 2], seed: 1 }),
    /increasing/,
  );
  await assert.rejects(
    () => leastSquaresLinear({ train, sigma: 0, target: "clean", draws: [1], seed: 1 }),
    /σ must be/,
  );
});
