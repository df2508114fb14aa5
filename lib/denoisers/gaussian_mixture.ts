/**
 * The Gaussian-mixture denoiser D_GMM (Wang & Vastola, "The Unreasonable Effectiveness of Gaussian Score
 * Approximation for Diffusion Models and its Applications", TMLR 2024, Gaussian-mixture score, their
 * eq. for the mixture of K Gaussians): components (π_k, μ_k, Σ_k) fitted to the training set by seeded
 * k-means (k-means++ initialisation, Lloyd iterations) and each cluster's mean and 1/n_k covariance, and
 *
 *   D(x; σ) = Σ_k r_k(x) [μ_k + Σ_k(Σ_k + σ²I)⁻¹(x − μ_k)],  r_k(x) ∝ π_k N(x; μ_k, Σ_k + σ²I),
 *
 * the exact posterior mean of the mixture under x = y + σε. One component is D_G
 * (lib/denoisers/gaussian.ts); one component per training image (K = N) is D_M
 * (lib/denoisers/multi_delta.ts). Float64. Each component works in the span of its non-zero eigenvalues
 * (rank r_k ≤ n_k − 1): the rest of x − μ_k enters the likelihood as ‖·‖²/σ² and is shrunk to 0.
 *
 * @module
 */

import { type Batch, batch, type Denoiser, rows } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { fitGaussian } from "./gaussian.ts";
import { Rng } from "../rng.ts";

/** One mixture component: weight, mean and the non-zero part of its covariance's eigendecomposition. */
export interface MixtureComponent {
  /** Mixing weight π_k = n_k / N. */
  readonly pi: number;
  /** Mean μ_k (length d). */
  readonly mu: Float64Array;
  /** Non-zero eigenvalues of Σ_k, descending (length r). */
  readonly lambda: Float64Array;
  /** Their eigenvectors as columns of a d × r row-major matrix. */
  readonly U: Float64Array;
  /** Rank r. */
  readonly r: number;
  /** Training images in the cluster. */
  readonly n: number;
}

/** A fitted Gaussian mixture. */
export interface GaussianMixture {
  /** Components (empty k-means clusters are dropped). */
  readonly components: readonly MixtureComponent[];
  /** Dimension. */
  readonly d: number;
}

/** Options of {@link fitGaussianMixture}. */
export interface FitMixtureOptions {
  /** Seed of the k-means++ initialisation (lib/rng.ts). */
  seed: number;
  /** Most Lloyd iterations (default 100); stops earlier when no assignment changes. */
  maxIterations?: number;
}

/**
 * Fit K components to the rows of `train`: seeded k-means (K = min(K, N)), then per cluster its mean,
 * its 1/n_k covariance (fitGaussian) and π_k = n_k/N (Wang & Vastola 2024, Gaussian-mixture score).
 */
export function fitGaussianMixture(train: Batch, K: number, opts: FitMixtureOptions): GaussianMixture {
  if (!Number.isInteger(K) || K < 1) {
    throw new RangeError(
      `lib/denoisers/gaussian_mixture.ts fitGaussianMixture: K must be an integer ≥ 1, got ${K}`,
    );
  }
  if (train.n < 1) {
    throw new RangeError("lib/denoisers/gaussian_mixture.ts fitGaussianMixture: empty training set");
  }
  const assign = kMeans(train, Math.min(K, train.n), opts);
  const components: MixtureComponent[] = [];
  const k = Math.max(...assign) + 1;
  for (let c = 0; c < k; c++) {
    const idx: number[] = [];
    for (let i = 0; i < assign.length; i++) if (assign[i] === c) idx.push(i);
    if (idx.length === 0) continue;
    const data = new Float64Array(idx.length * train.d);
    idx.forEach((i, j) => data.set(train.data.subarray(i * train.d, (i + 1) * train.d), j * train.d));
    const g = fitGaussian(batch(idx.length, train.d, data));
    let r = 0;
    while (r < g.d && g.lambda[r] > 0) r++;
    const U = new Float64Array(g.d * r);
    for (let row = 0; row < g.d; row++) {
      for (let i = 0; i < r; i++) U[row * r + i] = g.U[row * g.d + i];
    }
    components.push({
      pi: idx.length / train.n,
      mu: g.mu,
      lambda: g.lambda.slice(0, r),
      U,
      r,
      n: idx.length,
    });
  }
  return { components, d: train.d };
}

/**
 * Seeded k-means (Lloyd's algorithm from a k-means++ initialisation drawn with lib/rng.ts): the cluster of
 * each row, 0 … K−1. Deterministic for a seed; ties go to the lower cluster index.
 */
export function kMeans(x: Batch, K: number, opts: FitMixtureOptions): Int32Array {
  const { n, d } = x;
  if (!Number.isInteger(K) || K < 1 || K > n) {
    throw new RangeError(`lib/denoisers/gaussian_mixture.ts kMeans: K must be in 1 … ${n}, got ${K}`);
  }
  const rng = new Rng(opts.seed);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) s += x.data[j] * x.data[j];
    norms[i] = s;
  }
  // k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one.
  const centres = new Float64Array(K * d);
  const first = rng.int(n);
  centres.set(x.data.subarray(first * d, (first + 1) * d), 0);
  const near = new Float64Array(n).fill(Infinity);
  for (let c = 1; c <= K; c++) {
    const cen = centres.subarray((c - 1) * d, c * d);
    let total = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x.data[i * d + j] - cen[j]) ** 2;
      if (s < near[i]) near[i] = s;
      total += near[i];
    }
    if (c === K) break;
    let pick = 0;
    if (total > 0) {
      let u = rng.uniform() * total;
      for (pick = 0; pick < n - 1; pick++) {
        u -= near[pick];
        if (u < 0 && near[pick] > 0) break;
      }
    } else {
      pick = c % n; // all rows coincide with a centre already
    }
    centres.set(x.data.subarray(pick * d, (pick + 1) * d), c * d);
  }
  const assign = new Int32Array(n).fill(-1);
  const maxIt = opts.maxIterations ?? 100;
  const g = new Float64Array(n * K);
  for (let it = 0; it < maxIt; it++) {
    gemm(n, K, d, x.data, centres, g, { transB: true });
    const cn = new Float64Array(K);
    for (let c = 0; c < K; c++) {
      let s = 0;
      for (let j = c * d; j < (c + 1) * d; j++) s += centres[j] * centres[j];
      cn[c] = s;
    }
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bv = Infinity;
      for (let c = 0; c < K; c++) {
        const v = cn[c] - 2 * g[i * K + c];
        if (v < bv) {
          bv = v;
          best = c;
        }
      }
      if (assign[i] !== best) changed++;
      assign[i] = best;
    }
    if (changed === 0) break;
    const count = new Float64Array(K);
    const sum = new Float64Array(K * d);
    for (let i = 0; i < n; i++) {
      const c = assign[i];
      count[c]++;
      for (let j = 0; j < d; j++) sum[c * d + j] += x.data[i * d + j];
    }
    for (let c = 0; c < K; c++) {
      if (count[c] === 0) continue; // an empty cluster keeps its centre (and stays empty or refills)
      for (let j = 0; j < d; j++) centres[c * d + j] = sum[c * d + j] / count[c];
    }
  }
  return assign;
}

/**
 * D_GMM(x; σ) = Σ_k r_k(x)[μ_k + Σ_k(Σ_k+σ²I)⁻¹(x − μ_k)], r_k ∝ π_k N(x; μ_k, Σ_k + σ²I): the posterior
 * mean of the fitted mixture (Wang & Vastola 2024, Gaussian-mixture score). σ must be > 0.
 *
 * @example
 * const D = gaussianMixtureDenoiser(fitGaussianMixture(train, 10, { seed: 1 }));
 * const out = await D(x, 0.5);
 */
export function gaussianMixtureDenoiser(model: GaussianMixture): Denoiser {
  return (x: Batch, sigma: number): Batch => {
    if (x.d !== model.d) {
      throw new RangeError(
        `lib/denoisers/gaussian_mixture.ts: batch has d = ${x.d}, model has d = ${model.d}`,
      );
    }
    if (!(sigma > 0) || !Number.isFinite(sigma)) {
      throw new RangeError(`lib/denoisers/gaussian_mixture.ts: σ must be finite and > 0, got ${sigma}`);
    }
    const out = new Float64Array(x.n * x.d);
    for (let s = 0; s < x.n; s += 256) _block(model, rows(x, s, s + 256), sigma, out.subarray(s * x.d));
    return batch(x.n, x.d, out);
  };
}

function _block(model: GaussianMixture, x: Batch, sigma: number, out: Float64Array): void {
  const { d } = model;
  const b = x.n;
  const s2 = sigma * sigma;
  const K = model.components.length;
  const logw = new Float64Array(b * K);
  const means: Float64Array[] = [];
  for (const [k, c] of model.components.entries()) {
    const xc = new Float64Array(b * d);
    const norm2 = new Float64Array(b);
    for (let i = 0; i < b; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const v = x.data[i * d + j] - c.mu[j];
        xc[i * d + j] = v;
        s += v * v;
      }
      norm2[i] = s;
    }
    // log π_k + log N(x; μ_k, Σ_k + σ²I) up to −(d/2) log 2π, in the eigenbasis of Σ_k.
    let logdet = (d - c.r) * Math.log(s2);
    for (let i = 0; i < c.r; i++) logdet += Math.log(c.lambda[i] + s2);
    const m = new Float64Array(b * d);
    if (c.r > 0) {
      const coef = gemm(b, c.r, d, xc, c.U); // (x − μ_k)ᵀ U_k
      for (let i = 0; i < b; i++) {
        let inSpan = 0;
        let quad = 0;
        for (let t = 0; t < c.r; t++) {
          const v = coef[i * c.r + t];
          inSpan += v * v;
          quad += (v * v) / (c.lambda[t] + s2);
          coef[i * c.r + t] = v * (c.lambda[t] / (c.lambda[t] + s2));
        }
        quad += Math.max(norm2[i] - inSpan, 0) / s2;
        logw[i * K + k] = Math.log(c.pi) - 0.5 * (quad + logdet);
      }
      gemm(b, d, c.r, coef, c.U, m, { transB: true });
    } else {
      for (let i = 0; i < b; i++) logw[i * K + k] = Math.log(c.pi) - 0.5 * (norm2[i] / s2 + logdet);
    }
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < d; j++) m[i * d + j] += c.mu[j];
    }
    means.push(m);
  }
  for (let i = 0; i < b; i++) {
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logw[i * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const w = Math.exp(logw[i * K + k] - mx);
      logw[i * K + k] = w;
      sum += w;
    }
    const o = out.subarray(i * d, (i + 1) * d);
    o.fill(0);
    for (let k = 0; k < K; k++) {
      const w = logw[i * K + k] / sum;
      if (w === 0) continue;
      const m = means[k];
      for (let j = 0; j < d; j++) o[j] += w * m[i * d + j];
    }
  }
}
