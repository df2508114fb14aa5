/**
 * Score difference between two denoisers (paper eq. 10, docs/paper.md "Metrics"):
 * E_{y,ε} √(‖D₁(y+σε; σ) − D₂(y+σε; σ)‖²/d), an RMSE per pixel averaged over probe images, and the
 * normalised variant E ‖D₁ − D₂‖/‖D₁‖.
 *
 * @module
 */

import type { Batch, Denoiser } from "../types.ts";
import { applyDenoiser, noisyProbes } from "./probes.ts";

/** Score difference of two denoisers at one σ. */
export interface ScoreDifference {
  /** Eq. 10: mean over images of √(‖D₁ − D₂‖²/d). */
  rmse: number;
  /** Mean over images of ‖D₁ − D₂‖/‖D₁‖ (images with ‖D₁‖ = 0 count as 0 when D₂ = D₁ there, else ∞). */
  normalized: number;
  /** Per-image values, when asked for. */
  perImage?: { rmse: Float64Array; normalized: Float64Array };
}

/** Eq. 10 from precomputed outputs D₁(x_i) and D₂(x_i) (same rows, same order). */
export function scoreDifferenceFromOutputs(
  out1: Batch,
  out2: Batch,
  opts: { perImage?: boolean } = {},
): ScoreDifference {
  if (out1.n !== out2.n || out1.d !== out2.d) {
    throw new RangeError(
      `score_difference.ts: shapes differ, ${out1.n} × ${out1.d} vs ${out2.n} × ${out2.d}`,
    );
  }
  const { n, d } = out1;
  if (n === 0) throw new RangeError("score_difference.ts: no images");
  const rmse = new Float64Array(n);
  const norm = new Float64Array(n);
  const a = out1.data;
  const b = out2.data;
  let sumR = 0;
  let sumN = 0;
  for (let i = 0; i < n; i++) {
    let diff2 = 0;
    let ref2 = 0;
    for (let j = i * d, e = j + d; j < e; j++) {
      const t = a[j] - b[j];
      diff2 += t * t;
      ref2 += a[j] * a[j];
    }
    rmse[i] = Math.sqrt(diff2 / d);
    norm[i] = diff2 === 0 ? 0 : Math.sqrt(diff2 / ref2);
    sumR += rmse[i];
    sumN += norm[i];
  }
  const res: ScoreDifference = { rmse: sumR / n, normalized: sumN / n };
  if (opts.perImage) res.perImage = { rmse, normalized: norm };
  return res;
}

/** Options of {@link scoreDifference}. */
export interface ScoreDifferenceOptions {
  /** Seed of the probe noise: probe i gets sampleNoise(seed, i, d). */
  seed: number;
  /** Rows per denoiser call (default: all at once). */
  batchSize?: number;
  /** Also return per-image values. */
  perImage?: boolean;
}

/**
 * Eq. 10 (docs/paper.md "Metrics"): score difference of D₁ and D₂ at σ on x_i = y_i + σε_i, with y_i the
 * clean probe images and ε_i seeded per probe.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser, multiDeltaDenoiser, scoreDifference } from "../../gaussian.ts";
 * const train = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));
 * const DG = gaussianDenoiser(fitGaussian(train)), DM = multiDeltaDenoiser(train);
 * const r = await scoreDifference(DG, DM, train, 1.5, { seed: 1 }); // eq. 10 on x = y + 1.5 ε
 * ```
 */
export async function scoreDifference(
  d1: Denoiser,
  d2: Denoiser,
  probes: Batch,
  sigma: number,
  opts: ScoreDifferenceOptions,
): Promise<ScoreDifference> {
  return (await scoreDifferenceTo(d2, probes, sigma, opts))(d1);
}

/**
 * {@link scoreDifference} against one fixed `reference` on the same noisy probes, for many denoisers in
 * turn (e.g. one per training epoch): the noisy probes and the reference's outputs are computed once.
 * `scoreDifference(d, reference, probes, sigma, opts)` is one call of the returned function.
 *
 * @example
 * ```ts
 * import { batch, scoreDifferenceTo } from "../../gaussian.ts";
 * const probes = batch(2, 2, Float64Array.from([1, 0, 0, 1]));
 * const toIdentity = await scoreDifferenceTo((x) => x, probes, 0.5, { seed: 7 });
 * const { rmse } = await toIdentity((x) => batch(x.n, x.d, x.data.map((v) => v / 2)));
 * ```
 */
export async function scoreDifferenceTo(
  reference: Denoiser,
  probes: Batch,
  sigma: number,
  opts: ScoreDifferenceOptions,
): Promise<(d: Denoiser) => Promise<ScoreDifference>> {
  const x = noisyProbes(probes, sigma, opts.seed);
  const o2 = await applyDenoiser(reference, x, sigma, opts.batchSize);
  return async (d) =>
    scoreDifferenceFromOutputs(await applyDenoiser(d, x, sigma, opts.batchSize), o2, {
      perImage: opts.perImage,
    });
}
