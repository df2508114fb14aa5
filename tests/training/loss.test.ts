import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { drawTrainingNoise, EDM_LOSS_DEFAULTS, edmLoss, edmLossWeight } from "../../lib/training/loss.ts";
import { edmPrecond } from "../../lib/denoisers/edm.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "./_backend.ts";

Deno.test("edmLossWeight: λ(σ) = (σ²+σd²)/(σ·σd)², = 1/c_out²", () => {
  assert.equal(edmLossWeight(0.5), 8); // (0.25+0.25)/(0.25²)
  for (const s of [0.002, 0.1, 1, 80]) {
    const p = edmPrecond(s);
    const w = edmLossWeight(s);
    assert.ok(Math.abs(w * p.cOut * p.cOut - 1) < 1e-12);
  }
});

Deno.test("drawTrainingNoise: deterministic per (seed, step); ln σ ~ N(−1.2, 1.2²); ε standard normal", () => {
  const a = drawTrainingNoise(3, 17, 64, 10);
  const b = drawTrainingNoise(3, 17, 64, 10);
  assert.deepEqual(a, b);
  assert.notDeepEqual(drawTrainingNoise(3, 18, 64, 10).sigma, a.sigma);
  assert.notDeepEqual(drawTrainingNoise(4, 17, 64, 10).sigma, a.sigma);
  const n = 20000;
  const { sigma, eps } = drawTrainingNoise(1, 0, n, 2);
  const ln = Array.from(sigma, Math.log);
  const mean = ln.reduce((x, y) => x + y, 0) / n;
  const sd = Math.sqrt(ln.reduce((x, y) => x + (y - mean) ** 2, 0) / (n - 1));
  // 5 standard errors: 1.2/√n ≈ 0.0085 for the mean, 1.2/√(2n) ≈ 0.006 for the sd.
  assert.ok(Math.abs(mean - EDM_LOSS_DEFAULTS.pMean) < 5 * 1.2 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(sd - EDM_LOSS_DEFAULTS.pStd) < 5 * 1.2 / Math.sqrt(2 * n), `sd ${sd}`);
  const em = eps.reduce((x, y) => x + y, 0) / eps.length;
  const ev = eps.reduce((x, y) => x + y * y, 0) / eps.length;
  assert.ok(
    Math.abs(em) < 5 / Math.sqrt(eps.length) && Math.abs(ev - 1) < 5 * Math.SQRT2 / Math.sqrt(eps.length),
  );
});

Deno.test("edmLoss: 0 for an oracle; ≈ 1 for the optimal denoiser c_skip·x of N(0, σd²) data at any σ", async () => {
  await testBackend();
  const B = 4, R = 32, d = R * R;
  const rng = new Rng(9);
  const yv = Float32Array.from(rng.normals(B * d), (v) => 0.5 * v); // y ~ N(0, σd²)
  const ev = Float32Array.from(rng.normals(B * d));
  const sig = [0.01, 0.3, 2, 40];
  const { oracle, wiener } = tf.tidy(() => {
    const y = tf.tensor4d(yv, [B, R, R, 1]);
    const eps = tf.tensor4d(ev, [B, R, R, 1]);
    const sigma = tf.tensor1d(sig);
    const oracle = edmLoss(() => y, y, sigma, eps).dataSync()[0];
    // D(x; σ) = c_skip(σ)·x per sample: the Wiener filter of N(0, σd²), whose MSE is c_out² = 1/λ.
    const cs = tf.tensor4d(sig.map((s) => edmPrecond(s).cSkip), [B, 1, 1, 1]);
    const wiener = edmLoss((x) => tf.mul(cs, x) as tf.Tensor4D, y, sigma, eps).dataSync()[0];
    return { oracle, wiener };
  });
  assert.equal(oracle, 0);
  // Mean of B·d χ²₁-like terms: standard error ≈ √(2/(B·d)) ≈ 0.022.
  assert.ok(Math.abs(wiener - 1) < 0.1, `loss ${wiener}`);
});
