/**
 * The EDM noise-level schedule (docs/paper.md "EDM training and sampling") and the paper's
 * 10-level evaluation grid.
 *
 * @module
 */

/** Options of {@link edmSchedule}; defaults are NVlabs/edm's. */
export interface EdmScheduleOptions {
  /** Largest noise level σ_max (first step), default 80. */
  sigmaMax?: number;
  /** Smallest non-zero noise level σ_min, default 0.002. */
  sigmaMin?: number;
  /** Exponent ρ that concentrates steps at low σ, default 7. */
  rho?: number;
  /** Append the final level σ_n = 0 (default true), as the EDM sampler does. */
  appendZero?: boolean;
}

/**
 * EDM σ schedule, docs/paper.md "EDM training and sampling":
 * σ_i = (σ_max^(1/ρ) + i/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ for i = 0 … n−1, then σ_n = 0.
 * Returns n + 1 levels (n without the final zero when `appendZero` is false).
 *
 * @example
 * ```ts
 * import { edmSchedule } from "../../gaussian.ts";
 * const sigmas = edmSchedule(18); // 80 … 0.002, then 0 (19 values)
 * ```
 */
export function edmSchedule(n: number, opts: EdmScheduleOptions = {}): Float64Array {
  const { sigmaMax = 80, sigmaMin = 0.002, rho = 7, appendZero = true } = opts;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`schedule.ts: n must be an integer ≥ 1, got ${n}`);
  if (!(sigmaMax > 0) || !(sigmaMin > 0) || !(sigmaMin <= sigmaMax)) {
    throw new RangeError(`schedule.ts: need 0 < sigmaMin ≤ sigmaMax, got ${sigmaMin}, ${sigmaMax}`);
  }
  if (!(rho > 0)) throw new RangeError(`schedule.ts: rho must be > 0, got ${rho}`);
  const out = new Float64Array(appendZero ? n + 1 : n);
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? sigmaMax : (a + (i / (n - 1)) * (b - a)) ** rho;
  return out;
}

/**
 * The 10 noise levels the paper evaluates at, as printed (docs/paper.md "EDM training and sampling");
 * they are `edmSchedule(10)` without its final zero, rounded.
 */
export const PAPER_SIGMAS: readonly number[] = Object.freeze([
  80,
  42.415,
  21.109,
  9.723,
  4.066,
  1.502,
  0.470,
  0.1166,
  0.0204,
  0.002,
]);

/** Check that a schedule is a usable sampling schedule: finite, strictly decreasing, last level ≥ 0. */
export function assertSchedule(sigmas: ArrayLike<number>, where = "schedule.ts"): void {
  if (sigmas.length < 2) {
    throw new RangeError(`${where}: a schedule needs at least 2 levels, got ${sigmas.length}`);
  }
  for (let i = 0; i < sigmas.length; i++) {
    const s = sigmas[i];
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`${where}: schedule level ${i} is ${s}`);
    if (i > 0 && !(s < sigmas[i - 1])) {
      throw new RangeError(
        `${where}: schedule must be strictly decreasing (level ${i}: ${sigmas[i - 1]} → ${s})`,
      );
    }
  }
  if (sigmas[0] <= 0) throw new RangeError(`${where}: first level must be > 0`);
}
