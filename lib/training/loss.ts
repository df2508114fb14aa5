/**
 * The EDM training objective (docs/paper.md "EDM training and sampling"):
 * ln σ ~ N(P_mean, P_std²), λ(σ) = (σ²+σd²)/(σ·σd)², loss = λ(σ)·‖D_θ(y+σε; σ) − y‖², here averaged
 * over pixels and over the batch (EDM sums over pixels; the mean only rescales the learning rate).
 *
 * Noise is drawn per step from a seeded stream, `Rng(deriveSeed(seed, NOISE_STREAM, step))`: first
 * the B values of ln σ, then the B·d values of ε (row by row), so a step's noise depends only on
 * (seed, step, B, d).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "../rng.ts";
import type { TensorDenoiser } from "../denoisers/edm.ts";

/** Stream tag of the per-step training noise (σ and ε) under the run's seed. */
export const NOISE_STREAM = 0x6e6f6973; // "nois"

/** Parameters of the EDM noise distribution and weighting. */
export interface EdmLossConfig {
  /** Mean of ln σ (EDM: −1.2). */
  pMean: number;
  /** Standard deviation of ln σ (EDM: 1.2). */
  pStd: number;
  /** σ_data (EDM: 0.5). */
  sigmaData: number;
}

/** EDM's defaults: P_mean −1.2, P_std 1.2, σ_data 0.5. */
export const EDM_LOSS_DEFAULTS: EdmLossConfig = { pMean: -1.2, pStd: 1.2, sigmaData: 0.5 };

/** Loss weight λ(σ) = (σ²+σd²)/(σ·σd)² (EDM training, docs/paper.md). */
export function edmLossWeight(sigma: number, sigmaData: number = EDM_LOSS_DEFAULTS.sigmaData): number {
  return (sigma * sigma + sigmaData * sigmaData) / (sigma * sigmaData) ** 2;
}

/** The random draws of one training step. */
export interface NoiseDraw {
  /** σ per sample, length B. */
  sigma: Float32Array;
  /** Standard normal ε, B × d row-major. */
  eps: Float32Array;
}

/** The noise of training step `step`: σ = exp(P_mean + P_std·n) per sample, then ε (see module doc). */
export function drawTrainingNoise(
  seed: number,
  step: number,
  batchSize: number,
  d: number,
  cfg: EdmLossConfig = EDM_LOSS_DEFAULTS,
): NoiseDraw {
  const rng = new Rng(deriveSeed(seed, NOISE_STREAM, step));
  const sigma = new Float32Array(batchSize);
  for (let i = 0; i < batchSize; i++) sigma[i] = Math.exp(cfg.pMean + cfg.pStd * rng.normal());
  const eps = new Float32Array(batchSize * d);
  for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
  return { sigma, eps };
}

/**
 * The EDM loss λ(σ)‖D(y+σε; σ) − y‖², mean over pixels and batch, as a scalar tensor
 * (EDM training, docs/paper.md). `y`, `eps` [B, H, W, C]; `sigma` [B]. Call inside `tf.tidy`.
 */
export function edmLoss(
  denoise: TensorDenoiser,
  y: tf.Tensor4D,
  sigma: tf.Tensor1D,
  eps: tf.Tensor4D,
  sigmaData: number = EDM_LOSS_DEFAULTS.sigmaData,
): tf.Scalar {
  const b = y.shape[0];
  const s4 = tf.reshape(sigma, [b, 1, 1, 1]);
  const x = tf.add(y, tf.mul(s4, eps)) as tf.Tensor4D;
  const weight = tf.div(tf.add(tf.square(s4), sigmaData * sigmaData), tf.square(tf.mul(s4, sigmaData)));
  return tf.mean(tf.mul(weight, tf.square(tf.sub(denoise(x, sigma), y)))) as tf.Scalar;
}

/**
 * The EDM loss on float32 arrays (rows of flattened HWC images) with a given draw: a helper for
 * fixed-noise evaluation. Returns the loss as a number; leaves no tensors behind.
 */
export function edmLossValue(
  denoise: TensorDenoiser,
  shape: { height: number; width: number; channels: number },
  y: Float32Array,
  draw: NoiseDraw,
  sigmaData: number = EDM_LOSS_DEFAULTS.sigmaData,
): number {
  const b = draw.sigma.length;
  const s = [b, shape.height, shape.width, shape.channels] as [number, number, number, number];
  const v = tf.tidy(() =>
    edmLoss(denoise, tf.tensor4d(y, s), tf.tensor1d(draw.sigma), tf.tensor4d(draw.eps, s), sigmaData)
  );
  const out = v.dataSync()[0];
  v.dispose();
  return out;
}
