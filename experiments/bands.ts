/**
 * The σ bands the claims judge and report, in one place (every level is on the paper's 10-level grid,
 * lib/sampling/schedule.ts PAPER_SIGMAS). A claim's criterion names the band it reads.
 *
 * @module
 */

/** The informative levels σ ∈ [0.1, 4] (docs/scale.md: D_G and D_M differ there at MNIST scale). */
export const BAND_SIGMAS: readonly number[] = Object.freeze([4.066, 1.502, 0.47, 0.1166]);

/** The paper's "intermediate" range σ ∈ [0.1, 20], reported beside the criteria. */
export const PAPER_BAND_SIGMAS: readonly number[] = Object.freeze([9.723, 4.066, 1.502, 0.47, 0.1166]);

/** The paper's low-noise range σ ∈ [0.002, 0.1] (C2). */
export const LOW_SIGMAS: readonly number[] = Object.freeze([0.0204, 0.002]);

/** The paper's high-noise range σ ∈ [20, 80] (C2). */
export const HIGH_SIGMAS: readonly number[] = Object.freeze([80, 42.415, 21.109]);
