import assert from "node:assert/strict";
import { loadBlas } from "../../lib/linalg/blas.ts";
import {
  fitGaussian,
  gaussianDenoiser,
  type GaussianModel,
  gaussianTrajectory,
  wienerBias,
  wienerMatrix,
} from "../../lib/denoisers/gaussian.ts";
import { Rng } from "../../lib/rng.ts";
import { type Batch, batch } from "../../lib/types.ts";

const SOLVERS = loadBlas("auto").name === "openblas"
  ? (["lapack", "ml-matrix"] as const)
  : (["ml-matrix"] as const);

const D = 20;
const RANK = 5;

/** Orthonormal columns q_0..q_{k-1} of a d × k matrix (Gram–Schmidt on random vectors), as arrays. */
function orthonormal(d: number, k: number, r: Rng): Float64Array[] {
  const q: Float64Array[] = [];
  while (q.length < k) {
    const v = r.normals(d);
    for (const u of q) {
      const p = dot(u, v);
      for (let j = 0; j < d; j++) v[j] -= p * u[j];
    }
    const nv = Math.sqrt(dot(v, v));
    q.push(v.map((x) => x / nv));
  }
  return q;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** N points μ0 + Σ_k z_k s_k q_k in a RANK-dimensional affine subspace of R^D; q_{RANK..} span its complement. */
function lowRankData(n: number, seed: number) {
  const r = new Rng(seed);
  const q = orthonormal(D, D, r);
  const mu0 = r.normals(D).map((v) => 0.3 * v);
  const x = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < RANK; k++) {
      const z = r.normal() * (2 - 0.3 * k);
      for (let j = 0; j < D; j++) x[i * D + j] += z * q[k][j];
    }
    for (let j = 0; j < D; j++) x[i * D + j] += mu0[j];
  }
  return { train: batch(n, D, x), q, r };
}

/** Full-rank anisotropic data. */
function fullRankData(n: number, d: number, seed: number): Batch {
  const r = new Rng(seed);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 0.1 * j + (0.2 + j / d) * r.normal();
  // correlate neighbouring coordinates
  for (let i = 0; i < n; i++) for (let j = 1; j < d; j++) x[i * d + j] += 0.5 * x[i * d + j - 1];
  return batch(n, d, x);
}

function naiveMoments(x: Batch) {
  const { n, d, data } = x;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += data[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) cov[j * d + k] += (data[i * d + j] - mu[j]) * (data[i * d + k] - mu[k]) / n;
    }
  }
  return { mu, cov };
}

async function denoise(model: GaussianModel, x: Batch, sigma: number): Promise<Float64Array> {
  return (await gaussianDenoiser(model)(x, sigma)).data;
}

Deno.test("fitGaussian: mean, descending spectrum, and exactly RANK non-zero eigenvalues for rank-RANK data", () => {
  const { train } = lowRankData(200, 1);
  for (const solver of SOLVERS) {
    const model = fitGaussian(train, { solver });
    assert.equal(model.d, D);
    assert.equal(model.n, 200);
    assert.ok(maxAbsDiff(model.mu, naiveMoments(train).mu) < 1e-14);
    for (let i = 1; i < D; i++) assert.ok(model.lambda[i] <= model.lambda[i - 1]);
    for (let i = 0; i < RANK; i++) assert.ok(model.lambda[i] > 0.1);
    for (let i = RANK; i < D; i++) assert.equal(model.lambda[i], 0);
    // trace Σ = Σ λ
    const { cov } = naiveMoments(train);
    let tr = 0;
    for (let j = 0; j < D; j++) tr += cov[j * D + j];
    assert.ok(Math.abs(tr - model.lambda.reduce((a, b) => a + b, 0)) < 1e-12 * tr);
  }
});

Deno.test("D_G as σ → 0 fixes points of μ + span(data) and removes the orthogonal component", async () => {
  const { train, q, r } = lowRankData(200, 2);
  for (const solver of SOLVERS) {
    const model = fitGaussian(train, { solver });
    const n = 6;
    // inSpan = μ + Σ_{k<RANK} z_k q_k (new points, not training points); withOrth adds Σ_{k≥RANK} z_k q_k.
    const inSpan = new Float64Array(n * D);
    const withOrth = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) inSpan[i * D + j] = model.mu[j];
      for (let k = 0; k < RANK; k++) {
        const z = r.normal();
        for (let j = 0; j < D; j++) inSpan[i * D + j] += z * q[k][j];
      }
      for (let j = 0; j < D; j++) withOrth[i * D + j] = inSpan[i * D + j];
      for (let k = RANK; k < D; k++) {
        const z = r.normal();
        for (let j = 0; j < D; j++) withOrth[i * D + j] += z * q[k][j];
      }
    }
    for (const sigma of [0, 1e-5]) {
      assert.ok(
        maxAbsDiff(await denoise(model, batch(n, D, inSpan), sigma), inSpan) < 1e-9,
        `fixed at σ=${sigma}`,
      );
      assert.ok(
        maxAbsDiff(await denoise(model, batch(n, D, withOrth), sigma), inSpan) < 1e-9,
        `projected at σ=${sigma}`,
      );
    }
  }
});

Deno.test("D_G as σ → ∞ tends to μ", async () => {
  const x = fullRankData(100, 8, 3);
  const model = fitGaussian(x);
  const q = fullRankData(5, 8, 4);
  const far = await denoise(model, q, 1e7);
  const inf = await denoise(model, q, Infinity);
  for (let i = 0; i < 5; i++) {
    assert.ok(maxAbsDiff(far.subarray(i * 8, (i + 1) * 8), model.mu) < 1e-10);
    assert.deepEqual(Array.from(inf.subarray(i * 8, (i + 1) * 8)), Array.from(model.mu));
  }
});

Deno.test("Theorem 1: W* solves the normal equation W(Σ+σ²I) = Σ, and D_G(x) = W*x + (I−W*)μ", async () => {
  const d = 10;
  const x = fullRankData(150, d, 5);
  const model = fitGaussian(x);
  const { mu, cov } = naiveMoments(x);
  const q = fullRankData(7, d, 6);
  for (const sigma of [0.05, 0.7, 4]) {
    const w = wienerMatrix(model, sigma);
    const b = wienerBias(model, sigma);
    // Stationarity of E‖W(y+σε)+b − y‖² in W (with the optimal b): W(Σ+σ²I) − Σ = 0.
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += w[i * d + k] * (cov[k * d + j] + (k === j ? sigma * sigma : 0));
        assert.ok(Math.abs(s - cov[i * d + j]) < 1e-11, `σ=${sigma} (${i},${j})`);
      }
    }
    // Optimal bias b = (I − W)μ, from the naive mean.
    for (let i = 0; i < d; i++) {
      let wm = 0;
      for (let k = 0; k < d; k++) wm += w[i * d + k] * mu[k];
      assert.ok(Math.abs(b[i] - (mu[i] - wm)) < 1e-12);
    }
    const got = await denoise(model, q, sigma);
    for (let n = 0; n < q.n; n++) {
      for (let i = 0; i < d; i++) {
        let v = b[i];
        for (let k = 0; k < d; k++) v += w[i * d + k] * q.data[n * d + k];
        assert.ok(Math.abs(got[n * d + i] - v) < 1e-12);
      }
    }
  }
});

Deno.test("closed-form trajectory: identity at σ_t = σ_T, a semigroup, and a solution of dx/dσ = (x − D_G(x;σ))/σ", async () => {
  const { train, r } = lowRankData(120, 7);
  const model = fitGaussian(train);
  const n = 4;
  const xT = batch(n, D, r.normals(n * D).map((v) => 10 * v));
  assert.ok(maxAbsDiff(gaussianTrajectory(model, xT, 10, 10).data, xT.data) < 1e-12);
  const direct = gaussianTrajectory(model, xT, 10, 0.5).data;
  const twoStep = gaussianTrajectory(model, gaussianTrajectory(model, xT, 10, 3), 3, 0.5).data;
  assert.ok(maxAbsDiff(direct, twoStep) < 1e-12);
  for (const sigma of [0.3, 2, 7]) {
    const h = 1e-5 * sigma;
    const xp = gaussianTrajectory(model, xT, 10, sigma + h).data;
    const xm = gaussianTrajectory(model, xT, 10, sigma - h).data;
    const x = gaussianTrajectory(model, xT, 10, sigma);
    const dg = await denoise(model, x, sigma);
    for (let i = 0; i < n * D; i++) {
      const fd = (xp[i] - xm[i]) / (2 * h);
      const ode = (x.data[i] - dg[i]) / sigma;
      assert.ok(Math.abs(fd - ode) < 1e-6 * (1 + Math.abs(ode)), `σ=${sigma} i=${i}: ${fd} vs ${ode}`);
    }
  }
  // At σ_t = 0 the trajectory lands on the data's affine span: D_G at σ = 0 leaves it unchanged.
  const x0 = gaussianTrajectory(model, xT, 10, 0);
  assert.ok(maxAbsDiff(await denoise(model, x0, 0), x0.data) < 1e-9);
});

Deno.test("gaussian.ts rejects mismatched dimensions and negative σ", () => {
  const model = fitGaussian(fullRankData(20, 4, 8));
  const wrong = fullRankData(2, 5, 9);
  assert.throws(() => gaussianDenoiser(model)(wrong, 1), /gaussian\.ts.*d = 5/);
  assert.throws(() => gaussianDenoiser(model)(fullRankData(2, 4, 9), -1), /σ must be ≥ 0/);
  assert.throws(() => gaussianTrajectory(model, wrong, 2, 1), /d = 5/);
  assert.throws(() => fitGaussian(batch(0, 4)), /empty/);
});
