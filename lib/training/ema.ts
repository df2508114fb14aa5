/**
 * Exponential moving average of the weights, as in the EDM training loop: after each step
 * θ_ema ← θ + β·(θ_ema − θ) with β = 0.5^(B / max(h, 1e-8)), where the half-life h (in images) is
 * min(halflifeImages, imagesSeen·rampup) — the ramp-up keeps the average short early in training
 * (EDM: half-life 0.5 M images, ramp-up ratio 0.05; docs/paper.md "EDM training and sampling").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * EMA decay β for a step of `batchSize` images after which `imagesSeen` images have been seen
 * (EDM: β = 0.5^(B / max(min(h, imagesSeen·rampup), 1e-8)); `rampup` null disables the ramp-up).
 */
export function emaBeta(
  batchSize: number,
  imagesSeen: number,
  halflifeImages: number,
  rampup: number | null,
): number {
  let h = halflifeImages;
  if (rampup !== null) h = Math.min(h, imagesSeen * rampup);
  return Math.pow(0.5, batchSize / Math.max(h, 1e-8));
}

/** θ_ema ← θ + β·(θ_ema − θ) for every pair (in place on the EMA variables; no tensors left behind). */
export function emaUpdate(ema: readonly tf.Variable[], params: readonly tf.Variable[], beta: number): void {
  if (ema.length !== params.length) {
    throw new RangeError(`emaUpdate: ${ema.length} EMA tensors for ${params.length} parameters`);
  }
  tf.tidy(() => {
    for (let i = 0; i < ema.length; i++) {
      ema[i].assign(tf.add(params[i], tf.mul(tf.sub(ema[i], params[i]), beta)));
    }
  });
}
