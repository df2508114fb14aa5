/**
 * Test helper: a small Gaussian N(μ, U diag(λ) Uᵀ) built from a known orthonormal U, with its
 * optimal denoiser and closed-form PF-ODE trajectory written out row by row with plain loops —
 * independent of lib/denoisers/gaussian.ts and of gemm.
 *
 * @module
 */

import { type Batch, batch, type Denoiser } from "../../lib/types.ts";

/** A known low-dimensional Gaussian: mean, eigenvalues and orthonormal eigenvectors (columns). */
export interface RefGaussian {
  d: number;
  mu: number[];
  lambda: number[];
  /** u[i] = i-th eigenvector. */
  u: number[][];
}

/** Orthonormalise the given vectors (Gram–Schmidt) into eigenvectors and pair them with λ. */
export function refGaussian(mu: number[], lambda: number[], raw: number[][]): RefGaussian {
  const u: number[][] = [];
  for (const v0 of raw) {
    const v = v0.slice();
    for (const w of u) {
      const c = v.reduce((s, x, k) => s + x * w[k], 0);
      for (let k = 0; k < v.length; k++) v[k] -= c * w[k];
    }
    const nrm = Math.hypot(...v);
    u.push(v.map((x) => x / nrm));
  }
  return { d: mu.length, mu, lambda, u };
}

/** x ↦ μ + Σ_i g_i u_i u_iᵀ (x − μ), row by row. */
export function spectral(g: RefGaussian, x: Batch, gain: (lambda: number) => number): Batch {
  const out = new Float64Array(x.n * x.d);
  for (let r = 0; r < x.n; r++) {
    for (let k = 0; k < g.d; k++) out[r * g.d + k] = g.mu[k];
    for (let i = 0; i < g.d; i++) {
      let c = 0;
      for (let k = 0; k < g.d; k++) c += g.u[i][k] * (x.data[r * g.d + k] - g.mu[k]);
      const f = gain(g.lambda[i]) * c;
      for (let k = 0; k < g.d; k++) out[r * g.d + k] += f * g.u[i][k];
    }
  }
  return batch(x.n, x.d, out);
}

/** D_G(x; σ) = μ + U diag(λ/(λ+σ²)) Uᵀ(x − μ). */
export function refDenoiser(g: RefGaussian): Denoiser {
  return (x, sigma) => spectral(g, x, (l) => l / (l + sigma * sigma));
}

/** x_t = μ + Σ √((σ_t²+λ)/(σ_T²+λ)) u uᵀ(x_T − μ). */
export function refTrajectory(g: RefGaussian, xT: Batch, sigmaT: number, sigmaTo: number): Batch {
  return spectral(g, xT, (l) => Math.sqrt((sigmaTo * sigmaTo + l) / (sigmaT * sigmaT + l)));
}

/** The 3-D Gaussian most sampler tests use. */
export const G3: RefGaussian = refGaussian([0.3, -0.5, 1], [2, 0.5, 0.05], [[1, 1, 0], [1, -1, 1], [
  0,
  1,
  2,
]]);

/** Largest absolute difference of two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
