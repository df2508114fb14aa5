/**
 * Generalization score (paper eq. 14, docs/paper.md "Metrics"):
 * GL = (1/k) Σ_i ‖x_i − NN_Y(x_i)‖₂ / ‖x_i‖₂ over k generated samples x_i, with NN_Y the nearest
 * training image in pixel space (exact, brute force: `nearestNeighbours` of multi_delta.ts).
 * Near 0 the model copies training images; on FFHQ the paper reads > 0.6 as generalising
 * (docs/scale.md: on MNIST compare with held-out images' score at the same N instead).
 *
 * @module
 */

import type { Batch } from "../types.ts";
import { nearestNeighbours } from "../denoisers/multi_delta.ts";

/** Result of {@link generalizationScore}. */
export interface GeneralizationResult {
  /** GL, eq. 14. */
  score: number;
  /** ‖x_i − NN(x_i)‖/‖x_i‖ per sample. */
  perSample: Float64Array;
  /** Index of each sample's nearest training image. */
  nearest: Int32Array;
}

/**
 * Eq. 14 (docs/paper.md "Metrics"): mean relative distance of samples to their nearest training image.
 *
 * @example
 * ```ts
 * import { batch, generalizationScore } from "../../gaussian.ts";
 * const samples = batch(1, 2, Float64Array.from([0.9, 0.1]));
 * const { score } = generalizationScore(samples, batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]))); // eq. 14: ‖x − NN(x)‖/‖x‖
 * ```
 */
export function generalizationScore(
  samples: Batch,
  train: Batch,
  opts: { chunk?: number } = {},
): GeneralizationResult {
  if (samples.n < 1) throw new RangeError("generalization.ts: no samples");
  if (samples.d !== train.d) {
    throw new RangeError(
      `generalization.ts: samples have d = ${samples.d} but training images d = ${train.d}`,
    );
  }
  const nn = nearestNeighbours(samples, train, { chunk: opts.chunk });
  const d = samples.d;
  const perSample = new Float64Array(samples.n);
  let sum = 0;
  for (let i = 0; i < samples.n; i++) {
    let t = 0;
    for (let k = i * d, e = k + d; k < e; k++) t += samples.data[k] * samples.data[k];
    if (t === 0) throw new RangeError(`generalization.ts: sample ${i} is all zeros (‖x‖ = 0)`);
    perSample[i] = nn.distance[i] / Math.sqrt(t);
    sum += perSample[i];
  }
  return { score: sum / samples.n, perSample, nearest: nn.index };
}
