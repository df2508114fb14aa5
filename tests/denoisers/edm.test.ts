import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { asDenoiser, edmDenoiser, edmPrecond, SIGMA_DATA } from "../../lib/denoisers/edm.ts";
import { batch } from "../../lib/types.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "../training/_backend.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test("edmPrecond: at σ = σ_data, c_skip = 1/2, c_out = σd/√2, c_in = 1/(σd√2), c_noise = ln σd / 4", () => {
  const p = edmPrecond(SIGMA_DATA);
  close(p.cSkip, 0.5);
  close(p.cOut, 0.5 / Math.SQRT2);
  close(p.cIn, 1 / (0.5 * Math.SQRT2));
  close(p.cNoise, Math.log(0.5) / 4);
});

Deno.test("edmPrecond: limits σ → 0 (identity) and σ → ∞ (output ≈ σd·F, input ≈ x/σ)", () => {
  const lo = edmPrecond(1e-6);
  close(lo.cSkip, 1, 1e-10);
  close(lo.cOut, 1e-6, 1e-6);
  const hi = edmPrecond(1e6);
  close(hi.cSkip, 0.25e-12, 1e-6);
  close(hi.cOut, 0.5, 1e-6);
  close(hi.cIn * 1e6, 1, 1e-6);
});

Deno.test("edmPrecond: c_skip is the Wiener gain of N(0, σd²) data and c_out² its MSE (any σ, σd)", () => {
  for (const sd of [0.5, 1.3]) {
    for (const s of [0.002, 0.1166, 1.502, 80]) {
      const p = edmPrecond(s, sd);
      // Gaussian data of variance σd²: optimal linear denoiser λ/(λ+σ²), MSE λσ²/(λ+σ²) (docs/paper.md D_G).
      close(p.cSkip, (sd * sd) / (sd * sd + s * s));
      close(p.cOut * p.cOut, (sd * sd * s * s) / (sd * sd + s * s), 1e-12);
      // The network's input has unit variance: c_in²·(σd² + σ²) = 1.
      close(p.cIn * p.cIn * (sd * sd + s * s), 1);
    }
  }
  assert.throws(() => edmPrecond(0), /σ must be > 0/);
  assert.throws(() => edmPrecond(Number.NaN), /σ must be > 0/);
});

Deno.test("edmDenoiser: combines c_skip·x + c_out·F(c_in·x, c_noise) with one σ per sample", async () => {
  await testBackend();
  const seen: number[][] = [];
  // F returns its input times 2 and records c_noise.
  const net = (x: tf.Tensor4D, c: tf.Tensor1D) => {
    seen.push(Array.from(c.dataSync()));
    return tf.mul(x, 2) as tf.Tensor4D;
  };
  const sig = [0.1, 0.5, 3];
  const xs = [1, -2, 0.25];
  const out = tf.tidy(() => edmDenoiser(net)(tf.tensor4d(xs, [3, 1, 1, 1]), tf.tensor1d(sig))).dataSync();
  for (let i = 0; i < 3; i++) {
    const p = edmPrecond(sig[i]);
    close(out[i], p.cSkip * xs[i] + p.cOut * 2 * p.cIn * xs[i], 1e-6);
    close(seen[0][i], p.cNoise, 1e-6);
  }
});

Deno.test("asDenoiser: float64 in/out, chunking does not change results, no tensors left, bad d rejected", async () => {
  await testBackend();
  const h = 2, w = 3, c = 2, d = h * w * c;
  // A per-sample, pixel-wise network: F(x) = x² (so chunk boundaries would show if rows mixed).
  const D = edmDenoiser((x) => tf.square(x) as tf.Tensor4D);
  const rng = new Rng(5);
  const x = batch(7, d, rng.normals(7 * d));
  const before = tf.memory().numTensors;
  const a = await asDenoiser(D, { height: h, width: w, channels: c }, { batchSize: 3 })(x, 0.7);
  const b = await asDenoiser(D, { height: h, width: w, channels: c })(x, 0.7);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(a.data instanceof Float64Array);
  assert.deepEqual(a.data, b.data);
  const p = edmPrecond(0.7);
  for (let i = 0; i < x.data.length; i++) {
    const xi = Math.fround(x.data[i]);
    close(a.data[i], p.cSkip * xi + p.cOut * (p.cIn * xi) ** 2, 1e-5);
  }
  assert.throws(() => asDenoiser(D, { height: h, width: w, channels: c })(batch(1, d + 1), 1), /d = 13/);
});
