import assert from "node:assert/strict";
import {
  absCosine,
  centredLinearityScore,
  linearityScore,
  linearitySweep,
  PAPER_ALPHA_SQUARED,
} from "../../lib/metrics/linearity.ts";
import { batch, type Denoiser } from "../../lib/types.ts";
import { noiseRows } from "../../lib/rng.ts";
import { fitGaussian, gaussianDenoiser } from "../../lib/denoisers/gaussian.ts";

const d = 5;
// Probe images with a strong common offset (like MNIST's −1 background).
const probes = batch(12, d, noiseRows(5, 0, 12, d).map((v) => 0.3 * v - 0.8));
const mu = new Float64Array(d);
for (let i = 0; i < probes.n; i++) for (let k = 0; k < d; k++) mu[k] += probes.data[i * d + k] / probes.n;
const A = Float64Array.from({ length: d * d }, (_, i) => Math.sin(1 + i) * 0.5 + (i % (d + 1) === 0 ? 1 : 0));
const affine = (b: Float64Array): Denoiser => (x) => {
  const out = new Float64Array(x.n * d);
  for (let r = 0; r < x.n; r++) {
    for (let i = 0; i < d; i++) {
      let s = b[i];
      for (let k = 0; k < d; k++) s += A[i * d + k] * x.data[r * d + k];
      out[r * d + i] = s;
    }
  }
  return batch(x.n, d, out);
};
const zero = new Float64Array(d);
// b = (I − A)μ makes D(μ) = μ.
const fixing = Float64Array.from(
  mu,
  (m, i) => m - A.slice(i * d, i * d + d).reduce((s, a, k) => s + a * mu[k], 0),
);
const opts = { seed: 21, pairs: 40 };

Deno.test("raw linearity score of a linear map (b = 0) is 1", async () => {
  assert.ok(Math.abs((await linearityScore(affine(zero), probes, 0.7, opts)) - 1) < 1e-12);
});

Deno.test("centred linearity score is 1 for an affine map with D(μ) = μ, below 1 otherwise", async () => {
  const c = await centredLinearityScore(affine(fixing), probes, 0.7, mu, opts);
  assert.ok(Math.abs(c - 1) < 1e-12, `centred ${c}`);
  // The same map is affine but not linear: the raw score sees the offset.
  assert.ok((await linearityScore(affine(fixing), probes, 0.7, opts)) < 0.999);
  // An affine map with D(μ) ≠ μ: D̃ has an offset, scaled by α+β ≠ 1 on one side only.
  const off = Float64Array.from(fixing, (v) => v + 0.5);
  assert.ok((await centredLinearityScore(affine(off), probes, 0.7, mu, opts)) < 0.999);
});

Deno.test("D_G (gaussian.ts) has centred linearity 1 at every σ", async () => {
  const train = batch(300, d, noiseRows(8, 0, 300, d).map((v, i) => 0.4 * v * (1 + (i % d)) - 0.8));
  const model = fitGaussian(train);
  for (const sigma of [0.1, 1.5, 20]) {
    const c = await centredLinearityScore(gaussianDenoiser(model), probes, sigma, model.mu, opts);
    assert.ok(Math.abs(c - 1) < 1e-10, `σ = ${sigma}: ${c}`);
  }
});

Deno.test("a non-linear map scores below 1 in both variants; α = 1 scores 1 for any map", async () => {
  const nonlin: Denoiser = (x) => batch(x.n, x.d, x.data.map((v) => Math.tanh(3 * v)));
  const raw = await linearityScore(nonlin, probes, 0.5, opts);
  const cen = await centredLinearityScore(nonlin, probes, 0.5, mu, opts);
  assert.ok(raw < 0.99, `raw ${raw}`);
  assert.ok(cen < 0.99, `centred ${cen}`);
  // α = 1, β = 0: both sides are D(x₁).
  assert.ok(Math.abs((await linearityScore(nonlin, probes, 0.5, { ...opts, alpha: 1 })) - 1) < 1e-12);
});

Deno.test("linearitySweep: the paper's five α², same pairs for every α, raw and centred", async () => {
  const nonlin: Denoiser = (x) => batch(x.n, x.d, x.data.map((v) => Math.tanh(3 * v)));
  const pts = await linearitySweep(nonlin, probes, 0.5, { ...opts, mean: mu });
  assert.deepEqual(pts.map((p) => p.alphaSquared.toFixed(12)), PAPER_ALPHA_SQUARED.map((v) => v.toFixed(12)));
  const single = await linearityScore(nonlin, probes, 0.5, { ...opts, alpha: Math.sqrt(0.74) });
  assert.ok(Math.abs(pts[2].raw - single) < 1e-14);
  const singleC = await centredLinearityScore(nonlin, probes, 0.5, mu, { ...opts, alpha: Math.sqrt(0.74) });
  assert.ok(Math.abs(pts[2].centred! - singleC) < 1e-14);
  // The mix αx₁ + βx₂ moves further from either endpoint as α² → 0.5: a tanh map is least linear there.
  assert.ok(pts[0].centred! > pts[4].centred!);
});

Deno.test("absCosine and input checks", async () => {
  assert.equal(absCosine([1, 0], [-3, 0]), 1);
  assert.equal(absCosine([0, 0], [0, 0]), 1);
  assert.equal(absCosine([0, 0], [1, 0]), 0);
  await assert.rejects(() => linearityScore(affine(zero), batch(1, d), 1, opts), /at least 2/);
  await assert.rejects(
    () => centredLinearityScore(affine(zero), probes, 1, new Float64Array(2), opts),
    /mean/,
  );
});
