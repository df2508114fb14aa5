/**
 * The exact minimiser of Theorem 1's sampled denoising objective, drawn from its sufficient statistics
 * in O(d³) per noise level instead of O(N·K·d²): the same estimator in distribution as
 * lib/denoisers/linear.ts `leastSquaresLinear` with the clean target (C10 (a), `lsEstimator: "wishart"`).
 *
 * Derivation (M = N·K samples x = y + σε, y_c = y − μ, E's row i = e_i = Σ_k ε_ik): the normal equations
 * need C_tx = Σ + (σ/M)·P, C_xx = Σ + (σ/M)(P + Pᵀ) + (σ²/M)(G − s sᵀ/M) and x̄ = μ + σ s/M, with
 * P = Y_cᵀE, s = Σ_i e_i and G = Σ_ik εεᵀ. Projecting each block of noise onto the d + 1 orthonormal
 * columns spanned by 1 and Y_c (Y_cᵀY_c = NΣ = N·UΛUᵀ), a block of ΔK draws per image adds
 * ΔP = √(NΔK)·UΛ^½·Γ, Δs = √(NΔK)·g, ΔG = g gᵀ + ΓᵀΓ + Wishart(NΔK − d − 1, I), with Γ (d × d) and
 * g (d) standard normal and the Wishart part (the noise orthogonal to that span) independent: exactly
 * the joint law of the sampled sums, so only N, μ and Σ = UΛUᵀ of the training set are needed.
 *
 * @module
 */

import type { GaussianModel } from "./gaussian.ts";
import { type LeastSquaresFit, linearDenoiser } from "./linear.ts";
import { gemm } from "../linalg/gemm.ts";
import { dsyrk } from "../linalg/blas.ts";
import { deriveSeed, Rng } from "../rng.ts";

/** Options of {@link leastSquaresWishart}. */
export interface WishartLeastSquaresOptions {
  /** N(μ, Σ) fitted to the N training images (lib/denoisers/gaussian.ts `fitGaussian`, 1/N covariance). */
  gaussian: GaussianModel;
  /** Noise level σ > 0. */
  sigma: number;
  /** Numbers K of noise draws per image at which to solve, increasing; each adds to the previous draws. */
  draws: number[];
  /** Seed of the statistics' draws (the sampled estimator's noise is not reproduced, only its law). */
  seed: number;
}

/**
 * Exact minimiser of Σ_{i,k}‖W(y_i+σε_ik)+b − y_i‖² over N images × K draws, W = C_tx C_xx⁻¹,
 * b = t̄ − W x̄ (Theorem 1's objective; tends to D_G as K → ∞), with the noise sums drawn from their
 * joint law (see the module note) in O(d³) per K. Needs N ≥ d + 1.
 *
 * @example
 * ```ts
 * import { fitGaussian } from "./gaussian.ts";
 * import { batch } from "../types.ts";
 * const train = batch(4, 2, Float64Array.from([0, 1, 1, 0, 2, 2, 1, 3]));
 * const [fit] = leastSquaresWishart({ gaussian: fitGaussian(train), sigma: 0.5, draws: [64], seed: 1 });
 * console.log(fit.W); // ≈ Σ(Σ + 0.25·I)⁻¹
 * ```
 */
export function leastSquaresWishart(opts: WishartLeastSquaresOptions): LeastSquaresFit[] {
  const { gaussian, sigma, draws, seed } = opts;
  const { d, n: N, mu, lambda, U } = gaussian;
  const where = "lib/denoisers/least_squares_wishart.ts leastSquaresWishart";
  if (
    draws.length === 0 || draws.some((k, i) => !Number.isInteger(k) || k < 1 || (i > 0 && k <= draws[i - 1]))
  ) {
    throw new RangeError(`${where}: draws must be increasing positive integers, got ${draws.join(", ")}`);
  }
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`${where}: σ must be finite and > 0, got ${sigma}`);
  }
  if (!Number.isInteger(N) || N < d + 1) {
    throw new RangeError(`${where}: needs N ≥ d + 1 training images (N = ${N}, d = ${d})`);
  }
  // H = UΛ^½ (d × d): Σ = HHᵀ, and the cross sums' increments are √(NΔK)·H·Γ.
  const H = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < d; i++) H[r * d + i] = U[r * d + i] * Math.sqrt(Math.max(lambda[i], 0));
  }
  const Sigma = _symmetricUpper(dsyrk(d, d, H), d);
  const P = new Float64Array(d * d);
  const s = new Float64Array(d);
  const G = new Float64Array(d * d); // upper triangle accumulated
  const gamma = new Float64Array(d * d);
  const out: LeastSquaresFit[] = [];
  let k = 0;
  for (const K of draws) {
    const dM = N * (K - k);
    const rng = new Rng(deriveSeed(seed, k, K));
    rng.normals(d * d, gamma);
    const g = rng.normals(d);
    const root = Math.sqrt(dM);
    gemm(d, d, d, H, gamma, P, { alpha: root, beta: 1 });
    for (let j = 0; j < d; j++) s[j] += root * g[j];
    dsyrk(d, d, gamma, G, { trans: true, beta: 1 });
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) G[i * d + j] += g[i] * g[j];
    _addWishartUpper(G, d, dM - d - 1, rng);
    k = K;
    out.push({ draws: K, ..._solve(Sigma, P, s, G, mu, sigma, N * K, d) });
  }
  return out;
}

/** Copy the upper triangle of a row-major d × d matrix into its lower one (in place). */
function _symmetricUpper(a: Float64Array, d: number): Float64Array {
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) a[j * d + i] = a[i * d + j];
  return a;
}

/** Upper triangle of `acc` += a Wishart(ν, I_d) draw: Bartlett's T·Tᵀ when ν ≥ d, else ν outer products. */
function _addWishartUpper(acc: Float64Array, d: number, nu: number, rng: Rng): void {
  if (nu <= 0) return;
  if (nu < d) {
    const z = rng.normals(nu * d); // ν × d: Σ_r z_r z_rᵀ = ZᵀZ
    dsyrk(d, nu, z, acc, { trans: true, beta: 1 });
    return;
  }
  // Bartlett: T lower triangular, T_ii = √χ²(ν − i), T_ij ~ N(0, 1) below the diagonal; T·Tᵀ ~ Wishart(ν, I).
  const T = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) T[i * d + j] = rng.normal();
    T[i * d + i] = Math.sqrt(2 * _gamma((nu - i) / 2, rng));
  }
  dsyrk(d, d, T, acc, { beta: 1 });
}

/** Gamma(a, 1) by Marsaglia and Tsang's squeeze (a < 1 through Gamma(a + 1)·U^{1/a}). */
function _gamma(a: number, rng: Rng): number {
  if (a < 1) return _gamma(a + 1, rng) * Math.pow(1 - rng.uniform(), 1 / a);
  const dd = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.uniform();
    if (u < 1 - 0.0331 * x ** 4) return dd * v;
    if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
  }
}

/** W = C_tx C_xx⁻¹ by Cholesky (C_xx = LLᵀ, C_xx⁻¹ = L⁻ᵀL⁻¹), b = μ − W x̄. */
function _solve(
  Sigma: Float64Array,
  P: Float64Array,
  s: Float64Array,
  G: Float64Array,
  mu: Float64Array,
  sigma: number,
  M: number,
  d: number,
): Omit<LeastSquaresFit, "draws"> {
  const a = sigma / M;
  const b2 = (sigma * sigma) / M;
  const Cxx = new Float64Array(d * d);
  const Ctx = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const ij = i * d + j;
      Ctx[ij] = Sigma[ij] + a * P[ij];
      if (j >= i) {
        const v = Sigma[ij] + a * (P[ij] + P[j * d + i]) + b2 * (G[ij] - (s[i] * s[j]) / M);
        Cxx[ij] = v;
        Cxx[j * d + i] = v;
      }
    }
  }
  const Linv = _lowerInverse(_cholesky(Cxx, d), d);
  const inv = gemm(d, d, d, Linv, Linv, undefined, { transA: true }); // L⁻ᵀL⁻¹
  const W = gemm(d, d, d, Ctx, inv);
  const xbar = mu.map((m, j) => m + (sigma * s[j]) / M);
  const wx = gemm(d, 1, d, W, xbar);
  const bias = mu.map((m, i) => m - wx[i]);
  return { W, b: bias, denoiser: linearDenoiser(W, bias, d) };
}

/** Lower Cholesky factor L (row-major, LLᵀ = a) of a symmetric positive definite matrix. */
function _cholesky(a: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let j = 0; j <= i; j++) {
      const rj = j * d;
      let sum = a[ri + j];
      for (let p = 0; p < j; p++) sum -= L[ri + p] * L[rj + p];
      if (i === j) {
        if (!(sum > 0)) {
          throw new RangeError(
            `lib/denoisers/least_squares_wishart.ts: C_xx is not positive definite (pivot ${i} = ${sum})`,
          );
        }
        L[ri + i] = Math.sqrt(sum);
      } else L[ri + j] = sum / L[rj + j];
    }
  }
  return L;
}

/** Inverse of a lower-triangular row-major matrix (lower triangular). */
function _lowerInverse(L: Float64Array, d: number): Float64Array {
  // Column by column: solve L x = e_c; work on the transpose so each solve reads rows contiguously.
  const X = new Float64Array(d * d); // X[c·d + i] = (L⁻¹)[i][c]
  for (let c = 0; c < d; c++) {
    const xc = c * d;
    X[xc + c] = 1 / L[c * d + c];
    for (let i = c + 1; i < d; i++) {
      const ri = i * d;
      let sum = 0;
      for (let p = c; p < i; p++) sum -= L[ri + p] * X[xc + p];
      X[xc + i] = sum / L[ri + i];
    }
  }
  const out = new Float64Array(d * d);
  for (let c = 0; c < d; c++) for (let i = c; i < d; i++) out[i * d + c] = X[c * d + i];
  return out;
}
