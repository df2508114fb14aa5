/**
 * The Gaussian model of a training set and its exact optimal denoiser D_G (docs/paper.md Objects,
 * Theorem 1), the Wiener filter W*, and the closed-form probability-flow ODE trajectory under D_G.
 *
 * Everything is float64 and works through the eigenbasis: a batch is projected onto U, each
 * coordinate scaled by a function of (λ_i, σ), and mapped back — two gemms, never forming W*.
 *
 * @module
 */

import { type Batch, batch, type SyncDenoiser } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { noticeJavaScriptLinalg } from "../linalg/blas.ts";
import { covariance, mean } from "../linalg/covariance.ts";
import { eigh, type EighSolver } from "../linalg/eigh.ts";

/** N(μ, Σ) fitted to a training set, Σ = U diag(λ) Uᵀ (docs/paper.md D_G). */
export interface GaussianModel {
  /** Empirical mean μ (length d). */
  readonly mu: Float64Array;
  /** Eigenvalues of the 1/N covariance, descending; round-off below λ_1·d·ε set to 0. */
  readonly lambda: Float64Array;
  /** Eigenvectors as columns of a d × d row-major matrix: u_i[r] = U[r·d + i]. */
  readonly U: Float64Array;
  /** Dimension (pixels × channels). */
  readonly d: number;
  /** Number of training images it was fitted to. */
  readonly n: number;
  /** The eigensolver that produced λ and U (absent for a model built by hand). */
  readonly solver?: "lapack" | "ml-matrix";
}

/** Options of {@link fitGaussian}. */
export interface FitGaussianOptions {
  /** Eigen solver, default `"auto"` (LAPACK when loaded, else ml-matrix). */
  solver?: EighSolver;
}

/**
 * Fit N(μ, Σ) to the rows of `x`: empirical mean, 1/N covariance and its eigendecomposition
 * (docs/paper.md D_G). Eigenvalues below λ_1·d·2⁻⁵² (round-off of a rank-deficient Σ, including
 * tiny negatives) are clamped to exactly 0. Without native OpenBLAS it says so once on stderr
 * (`loadBlas()` loads it).
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser } from "../../gaussian.ts";
 * const train = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));
 * const model = fitGaussian(train); // μ, λ (descending), U, solver
 * const DG = gaussianDenoiser(model);
 * const clean = DG(train, 0.5); // synchronous: a Batch, no await
 * ```
 */
export function fitGaussian(x: Batch, opts: FitGaussianOptions = {}): GaussianModel {
  if (x.n < 1) throw new RangeError("lib/denoisers/gaussian.ts fitGaussian: empty training set");
  noticeJavaScriptLinalg(`fitGaussian (d = ${x.d})`);
  const mu = mean(x);
  const sigma = covariance(x, mu);
  const { values, vectors, solver } = eigh(sigma, x.d, opts.solver ?? "auto");
  const tol = Math.max(values[0], 0) * x.d * Number.EPSILON;
  const lambda = values.map((v) => (v > tol ? v : 0));
  return { mu, lambda, U: vectors, d: x.d, n: x.n, solver };
}

/** The Wiener shrinkage λ_i/(λ_i+σ²) of each eigen-direction; at σ = 0 it is 1 on λ > 0 and 0 on λ = 0. */
export function wienerGains(model: GaussianModel, sigma: number): Float64Array {
  _checkSigma(sigma, "wienerGains");
  const s2 = sigma * sigma;
  return model.lambda.map((l) => (l > 0 ? (s2 === Infinity ? 0 : l / (l + s2)) : 0));
}

/**
 * The gap g_k − g_{k+1} between the k-th and (k+1)-th largest Wiener gains λ_i/(λ_i+σ²) (k ≥ 1): how well
 * the k leading directions of the Wiener filter are separated from the rest at σ.
 */
export function wienerGainGap(model: GaussianModel, sigma: number, k: number): number {
  const g = [...wienerGains(model, sigma)].sort((a, b) => b - a);
  if (!Number.isInteger(k) || k < 1 || k >= g.length) {
    throw new RangeError(`gaussian.ts wienerGainGap: k must be in 1..${g.length - 1}, got ${k}`);
  }
  return g[k - 1] - g[k];
}

/**
 * D_G(x; σ) = μ + U diag(λ/(λ+σ²)) Uᵀ (x − μ), the optimal denoiser of the fitted Gaussian
 * (docs/paper.md D_G; Theorem 1). σ = ∞ gives μ; σ = 0 the projection onto μ + span{u_i : λ_i > 0}.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser } from "../../gaussian.ts";
 * const DG = gaussianDenoiser(fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]))));
 * const y = DG(batch(1, 2, Float64Array.from([0.3, -0.2])), 1.5);
 * ```
 */
export function gaussianDenoiser(model: GaussianModel): SyncDenoiser {
  return (x: Batch, sigma: number): Batch => {
    _checkBatch(model, x, "gaussianDenoiser");
    return _spectralMap(model, x, wienerGains(model, sigma));
  };
}

/**
 * W* = U diag(λ/(λ+σ²)) Uᵀ = Σ(Σ+σ²I)⁻¹, the optimal linear weight (Theorem 1), d × d row-major.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, wienerMatrix } from "../../gaussian.ts";
 * const W = wienerMatrix(fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]))), 0.5); // 2 × 2
 * ```
 */
export function wienerMatrix(model: GaussianModel, sigma: number): Float64Array {
  const g = wienerGains(model, sigma);
  const { d, U } = model;
  const scaled = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) scaled[o + i] = U[o + i] * g[i];
  }
  const w = gemm(d, d, d, scaled, U, undefined, { transB: true });
  // Symmetrise away the rounding of the product.
  for (let r = 0; r < d; r++) {
    for (let c = r + 1; c < d; c++) {
      const v = 0.5 * (w[r * d + c] + w[c * d + r]);
      w[r * d + c] = v;
      w[c * d + r] = v;
    }
  }
  return w;
}

/** b* = (I − W*) μ, the optimal linear bias (Theorem 1), length d. */
export function wienerBias(model: GaussianModel, sigma: number): Float64Array {
  const { d, mu } = model;
  const w = wienerMatrix(model, sigma);
  const wmu = gemm(d, 1, d, w, mu);
  return mu.map((m, i) => m - wmu[i]);
}

/**
 * Closed-form PF-ODE solution under D_G from σ_from to σ_to (docs/paper.md, “Closed-form trajectory”):
 * x(σ_to) = μ + Σ_i √((σ_to²+λ_i)/(σ_from²+λ_i)) u_i u_iᵀ (x(σ_from) − μ), for every row of `x`.
 * Either direction works (σ_to < σ_from denoises, σ_to > σ_from adds structure-shaped noise back).
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianTrajectory, sampleNoise } from "../../gaussian.ts";
 * const model = fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1])));
 * const xT = batch(1, 2, sampleNoise(7, 0, 2).map((e) => 80 * e)); // x(σ_from = 80) = 80 ε
 * const x0 = gaussianTrajectory(model, xT, 80, 0); // the exact PF-ODE end point under D_G
 * ```
 */
export function gaussianTrajectory(
  model: GaussianModel,
  x: Batch,
  sigmaFrom: number,
  sigmaTo: number,
): Batch {
  _checkSigma(sigmaFrom, "gaussianTrajectory");
  _checkSigma(sigmaTo, "gaussianTrajectory");
  if (!Number.isFinite(sigmaFrom) || !Number.isFinite(sigmaTo)) {
    throw new RangeError("lib/denoisers/gaussian.ts gaussianTrajectory: σ_from and σ_to must be finite");
  }
  _checkBatch(model, x, "gaussianTrajectory");
  const aT = sigmaFrom * sigmaFrom;
  const at = sigmaTo * sigmaTo;
  const g = model.lambda.map((l) => {
    if (aT === at) return 1;
    const f = Math.sqrt((at + l) / (aT + l));
    if (!Number.isFinite(f)) {
      throw new RangeError(
        "lib/denoisers/gaussian.ts gaussianTrajectory: σ_from = 0 with a zero eigenvalue has no flow to σ_to > 0",
      );
    }
    return f;
  });
  return _spectralMap(model, x, g);
}

/** μ + U diag(g) Uᵀ (x − μ) for each row of x: two gemms through the eigenbasis. */
function _spectralMap(model: GaussianModel, x: Batch, g: Float64Array): Batch {
  const { d, mu, U } = model;
  const n = x.n;
  const out = new Float64Array(n * d);
  if (n === 0) return batch(0, d, out);
  const xc = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) xc[o + j] = x.data[o + j] - mu[j];
  }
  // Keep only the directions with a non-zero gain: the rest contribute nothing.
  let k = d;
  while (k > 0 && g[k - 1] === 0) k--;
  if (k > 0) {
    const uk = k === d ? U : _leadingColumns(U, d, k);
    const coef = gemm(n, k, d, xc, uk); // (x − μ)·U_k, n × k: coordinates in the eigenbasis
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < k; i++) coef[r * k + i] *= g[i];
    }
    gemm(n, d, k, coef, uk, out, { transB: true });
  }
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) out[o + j] += mu[j];
  }
  return batch(n, d, out);
}

function _leadingColumns(u: Float64Array, d: number, k: number): Float64Array {
  const o = new Float64Array(d * k);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < k; i++) o[r * k + i] = u[r * d + i];
  }
  return o;
}

function _checkSigma(sigma: number, what: string): void {
  if (!(sigma >= 0)) throw new RangeError(`lib/denoisers/gaussian.ts ${what}: σ must be ≥ 0, got ${sigma}`);
}

function _checkBatch(model: GaussianModel, x: Batch, what: string): void {
  if (x.d !== model.d) {
    throw new RangeError(`lib/denoisers/gaussian.ts ${what}: batch has d = ${x.d}, model has d = ${model.d}`);
  }
  if (x.data.length !== x.n * x.d) {
    throw new RangeError(`lib/denoisers/gaussian.ts ${what}: data length ${x.data.length} ≠ ${x.n} × ${x.d}`);
  }
}
