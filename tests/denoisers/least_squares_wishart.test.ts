import assert from "node:assert/strict";
import { fitGaussian, wienerBias, wienerMatrix } from "../../lib/denoisers/gaussian.ts";
import { leastSquaresLinear } from "../../lib/denoisers/linear.ts";
import { leastSquaresWishart } from "../../lib/denoisers/least_squares_wishart.ts";
import { type Batch, batch } from "../../lib/types.ts";
import { noiseRows } from "../../lib/rng.ts";

/** A correlated, non-centred N × d data set whose last pixel is constant (so Σ is rank-deficient). */
function syntheticData(N: number, d: number): Batch {
  const z = noiseRows(3, 0, N, d);
  const out = new Float64Array(N * d);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < d - 1; k++) {
      out[i * d + k] = (0.8 / (1 + k)) * z[i * d + k] + 0.3 * z[i * d + k + 1] - 0.5 + 0.1 * k;
    }
    out[i * d + d - 1] = 0.25;
  }
  return batch(N, d, out);
}

interface _Moments {
  mean: Float64Array;
  sd: Float64Array;
}

/** Per-coordinate mean and standard deviation over draws of a vector statistic. */
function moments(samples: Float64Array[]): _Moments {
  const S = samples.length;
  const n = samples[0].length;
  const mean = new Float64Array(n);
  const sd = new Float64Array(n);
  for (const x of samples) for (let i = 0; i < n; i++) mean[i] += x[i] / S;
  for (const x of samples) for (let i = 0; i < n; i++) sd[i] += (x[i] - mean[i]) ** 2 / (S - 1);
  return { mean, sd: sd.map(Math.sqrt) };
}

/** Largest |mean₁ − mean₂| in units of its standard error. */
function maxZ(a: _Moments, b: _Moments, S: number): number {
  let z = 0;
  for (let i = 0; i < a.mean.length; i++) {
    const se = Math.sqrt((a.sd[i] ** 2 + b.sd[i] ** 2) / S);
    if (se > 0) z = Math.max(z, Math.abs(a.mean[i] - b.mean[i]) / se);
  }
  return z;
}

Deno.test("the Wishart estimator has the sampled estimator's law (means of W, b and the error to W*)", async () => {
  const [N, d, sigma, S] = [14, 5, 0.6, 500];
  const train = syntheticData(N, d);
  const gaussian = fitGaussian(train);
  const wStar = wienerMatrix(gaussian, sigma);
  const stat = (f: { W: Float64Array; b: Float64Array }) => {
    let err = 0;
    for (let i = 0; i < d * d; i++) err += (f.W[i] - wStar[i]) ** 2;
    return Float64Array.from([...f.W, ...f.b, err]);
  };
  const sampled: Float64Array[][] = [[], []];
  const wishart: Float64Array[][] = [[], []];
  for (let seed = 0; seed < S; seed++) {
    const fs = await leastSquaresLinear({ train, sigma, target: "clean", draws: [1, 3], seed });
    const fw = leastSquaresWishart({ gaussian, sigma, draws: [1, 3], seed: 10_000 + seed });
    for (const k of [0, 1]) {
      sampled[k].push(stat(fs[k]));
      wishart[k].push(stat(fw[k]));
    }
  }
  for (const k of [0, 1]) {
    const ms = moments(sampled[k]);
    const mw = moments(wishart[k]);
    // 31 coordinates; |z| < 4.5 for all fails by chance with probability ≈ 2e-4.
    const z = maxZ(ms, mw, S);
    assert.ok(z < 4.5, `K = ${[1, 3][k]}: means differ by ${z.toFixed(2)} standard errors`);
    // The error to W* is a second moment: its mean must agree too (a missing noise term would shift it).
    const e = d * d + d;
    const ratio = mw.mean[e] / ms.mean[e];
    assert.ok(Math.abs(ratio - 1) < 0.15, `K = ${[1, 3][k]}: mean ‖W − W*‖² ratio ${ratio}`);
  }
  // Power check: at K = 1 the error to W* is clearly larger than at K = 3, for both.
  assert.ok(moments(wishart[0]).mean[d * d + d] > 1.5 * moments(wishart[1]).mean[d * d + d]);
});

Deno.test("Theorem 1: the Wishart estimator tends to D_G's W* = Σ(Σ+σ²I)⁻¹ and b* = (I − W*)μ", () => {
  const [N, d, sigma] = [60, 6, 0.5];
  const gaussian = fitGaussian(syntheticData(N, d));
  const wStar = wienerMatrix(gaussian, sigma);
  const bStar = wienerBias(gaussian, sigma);
  const fits = leastSquaresWishart({ gaussian, sigma, draws: [10, 1000, 100_000], seed: 7 });
  const norm = (x: Float64Array, y: Float64Array) => Math.sqrt(x.reduce((s, v, i) => s + (v - y[i]) ** 2, 0));
  const errW = fits.map((f) => norm(f.W, wStar) / norm(wStar, new Float64Array(d * d)));
  const errB = fits.map((f) => norm(f.b, bStar));
  assert.deepEqual(fits.map((f) => f.draws), [10, 1000, 100_000]);
  assert.ok(errW[1] < errW[0] / 3 && errW[2] < errW[1] / 3, `relative ‖W − W*‖ ${errW}`);
  assert.ok(errW[2] < 3e-3, `relative ‖W − W*‖ at K = 1e5: ${errW[2]}`);
  assert.ok(errB[2] < 3e-3, `‖b − b*‖ at K = 1e5: ${errB[2]}`);
  // The constant pixel is reproduced exactly in the limit: its row of W* is 0 and b* its value.
  assert.ok(Math.abs(fits[2].b[d - 1] - 0.25) < 1e-3);
});

Deno.test("leastSquaresWishart is seeded, and rejects bad input naming the file", () => {
  const gaussian = fitGaussian(syntheticData(20, 4));
  const a = leastSquaresWishart({ gaussian, sigma: 0.3, draws: [2], seed: 1 });
  const b = leastSquaresWishart({ gaussian, sigma: 0.3, draws: [2], seed: 1 });
  const c = leastSquaresWishart({ gaussian, sigma: 0.3, draws: [2], seed: 2 });
  assert.deepEqual(a[0].W, b[0].W);
  assert.notDeepEqual(a[0].W, c[0].W);
  const where = /least_squares_wishart\.ts/;
  assert.throws(() => leastSquaresWishart({ gaussian, sigma: 0.3, draws: [2, 2], seed: 1 }), where);
  assert.throws(() => leastSquaresWishart({ gaussian, sigma: 0, draws: [1], seed: 1 }), where);
  const small = fitGaussian(syntheticData(4, 4));
  assert.throws(
    () => leastSquaresWishart({ gaussian: small, sigma: 0.3, draws: [1], seed: 1 }),
    /N ≥ d \+ 1/,
  );
});
