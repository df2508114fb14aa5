/**
 * Linearity score (paper eq. 11, docs/paper.md "Metrics"):
 * LS(σ) = E |cos(D(αx₁ + βx₂; σ), αD(x₁; σ) + βD(x₂; σ))|, x = y + σε, α² + β² = 1,
 * and its centred variant (docs/scale.md): the same score for D̃(z) = D(μ + z) − μ with z = x − μ.
 *
 * Why both: on MNIST the raw score is ≈ 0.98 for every model, even D_M, because the −1 background
 * (far from the origin) dominates the cosine. Centred on the data mean μ, the score is exactly 1 for
 * D_G and for any affine map that fixes μ (D(μ) = μ), and it separates the models. Note that the
 * centred score of an affine map Wx + b with D(μ) ≠ μ is below 1: D̃ then has an offset, and
 * α + β ≠ 1 scales it differently on the two sides.
 *
 * Pairs (y₁, y₂) are drawn from the probe images by a seeded generator (two distinct images per
 * pair); pair p uses the noise streams 2p and 2p + 1 of the seed, so the same pairs and noises are
 * used for every α and σ of a sweep.
 *
 * @module
 */

import { type Batch, batch, type Denoiser } from "../types.ts";
import { deriveSeed, Rng, sampleNoise } from "../rng.ts";
import { applyDenoiser } from "./probes.ts";

/** The α² values of the paper's α sweep (docs/paper.md "Metrics"). */
export const PAPER_ALPHA_SQUARED: readonly number[] = Object.freeze([0.99, 0.87, 0.74, 0.62, 0.5]);

/** Options of the linearity scores. */
export interface LinearityOptions {
  /** Seed of the pair choice and the noise. */
  seed: number;
  /** Number of pairs (paper: 100). */
  pairs?: number;
  /** α, with β = √(1 − α²) (default 1/√2, the paper's main setting). */
  alpha?: number;
  /** Rows per denoiser call (default: all at once). */
  batchSize?: number;
}

/**
 * Eq. 11 (docs/paper.md "Metrics"): the paper's linearity score, on raw pixels.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser, linearityScore } from "../../gaussian.ts";
 * const train = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));
 * const ls = await linearityScore(gaussianDenoiser(fitGaussian(train)), train, 1.5, { seed: 1, pairs: 3 }); // eq. 11
 * ```
 */
export async function linearityScore(
  denoiser: Denoiser,
  probes: Batch,
  sigma: number,
  opts: LinearityOptions,
): Promise<number> {
  const [r] = await _scores(denoiser, probes, sigma, opts, [opts.alpha ?? Math.SQRT1_2], null);
  return r.raw;
}

/**
 * Centred linearity score (docs/scale.md): eq. 11 for D̃(z) = D(μ + z) − μ, z = x − μ. Exactly 1 for
 * D_G and any affine map with D(μ) = μ.
 */
export async function centredLinearityScore(
  denoiser: Denoiser,
  probes: Batch,
  sigma: number,
  mean: Float64Array,
  opts: LinearityOptions,
): Promise<number> {
  const [r] = await _scores(denoiser, probes, sigma, opts, [opts.alpha ?? Math.SQRT1_2], mean, false);
  return r.centred!;
}

/** One point of {@link linearitySweep}. */
export interface LinearityPoint {
  /** α² of this point (β² = 1 − α²). */
  alphaSquared: number;
  /** Paper's score (eq. 11). */
  raw: number;
  /** Centred score, when a mean was given. */
  centred?: number;
}

/**
 * Eq. 11 over the α sweep (default α² ∈ {0.99, 0.87, 0.74, 0.62, 0.50}, docs/paper.md "Metrics"),
 * raw and — when `mean` is given — centred, on the same pairs and noise for every α.
 */
export function linearitySweep(
  denoiser: Denoiser,
  probes: Batch,
  sigma: number,
  opts: Omit<LinearityOptions, "alpha"> & { alphaSquared?: readonly number[]; mean?: Float64Array },
): Promise<LinearityPoint[]> {
  const a2 = opts.alphaSquared ?? PAPER_ALPHA_SQUARED;
  for (const v of a2) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`linearity.ts: α² must be in [0, 1], got ${v}`);
  }
  return _scores(denoiser, probes, sigma, opts, a2.map(Math.sqrt), opts.mean ?? null);
}

/** |cos| between two vectors; 1 when both are zero, 0 when exactly one is. */
export function absCosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`linearity.ts: lengths differ, ${a.length} vs ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return Math.min(1, Math.abs(ab) / Math.sqrt(aa * bb));
}

async function _scores(
  denoiser: Denoiser,
  probes: Batch,
  sigma: number,
  opts: LinearityOptions,
  alphas: readonly number[],
  mean: Float64Array | null,
  wantRaw = true,
): Promise<LinearityPoint[]> {
  const { n, d } = probes;
  const pairs = opts.pairs ?? 100;
  if (n < 2) throw new RangeError(`linearity.ts: need at least 2 probe images, got ${n}`);
  if (!Number.isInteger(pairs) || pairs < 1) {
    throw new RangeError(`linearity.ts: pairs must be ≥ 1, got ${pairs}`);
  }
  if (!(sigma >= 0)) throw new RangeError(`linearity.ts: sigma must be ≥ 0, got ${sigma}`);
  if (mean !== null && mean.length !== d) {
    throw new RangeError(`linearity.ts: mean has length ${mean.length}, expected ${d}`);
  }
  for (const a of alphas) {
    if (!(a >= 0 && a <= 1)) throw new RangeError(`linearity.ts: α must be in [0, 1], got ${a}`);
  }
  // Pairs of distinct probe images and their noisy versions x = y + σε.
  const rng = new Rng(deriveSeed(opts.seed, 1));
  const noiseSeed = deriveSeed(opts.seed, 2);
  const x1 = new Float64Array(pairs * d);
  const x2 = new Float64Array(pairs * d);
  const eps = new Float64Array(d);
  for (let p = 0; p < pairs; p++) {
    const i = rng.int(n);
    let j = rng.int(n - 1);
    if (j >= i) j++;
    sampleNoise(noiseSeed, 2 * p, d, eps);
    for (let k = 0; k < d; k++) x1[p * d + k] = probes.data[i * d + k] + sigma * eps[k];
    sampleNoise(noiseSeed, 2 * p + 1, d, eps);
    for (let k = 0; k < d; k++) x2[p * d + k] = probes.data[j * d + k] + sigma * eps[k];
  }
  const d1 = (await applyDenoiser(denoiser, batch(pairs, d, x1), sigma, opts.batchSize)).data;
  const d2 = (await applyDenoiser(denoiser, batch(pairs, d, x2), sigma, opts.batchSize)).data;
  const out: LinearityPoint[] = [];
  for (const alpha of alphas) {
    const beta = Math.sqrt(Math.max(0, 1 - alpha * alpha));
    // Raw mixture αx₁ + βx₂; centred mixture μ + α(x₁ − μ) + β(x₂ − μ).
    let outRaw: Float64Array | null = null;
    if (wantRaw) {
      const mixRaw = new Float64Array(pairs * d);
      for (let k = 0; k < mixRaw.length; k++) mixRaw[k] = alpha * x1[k] + beta * x2[k];
      outRaw = (await applyDenoiser(denoiser, batch(pairs, d, mixRaw), sigma, opts.batchSize)).data;
    }
    let outCen: Float64Array | null = null;
    if (mean !== null) {
      const mixCen = new Float64Array(pairs * d);
      const c = 1 - alpha - beta;
      for (let p = 0; p < pairs; p++) {
        for (let k = 0; k < d; k++) {
          const q = p * d + k;
          mixCen[q] = alpha * x1[q] + beta * x2[q] + c * mean[k];
        }
      }
      outCen = (await applyDenoiser(denoiser, batch(pairs, d, mixCen), sigma, opts.batchSize)).data;
    }
    let sumRaw = 0;
    let sumCen = 0;
    const lhs = new Float64Array(d);
    const rhs = new Float64Array(d);
    for (let p = 0; p < pairs; p++) {
      const o = p * d;
      if (outRaw !== null) {
        for (let k = 0; k < d; k++) rhs[k] = alpha * d1[o + k] + beta * d2[o + k];
        sumRaw += absCosine(outRaw.subarray(o, o + d), rhs);
      }
      if (outCen !== null) {
        for (let k = 0; k < d; k++) {
          lhs[k] = outCen[o + k] - mean![k];
          rhs[k] = alpha * (d1[o + k] - mean![k]) + beta * (d2[o + k] - mean![k]);
        }
        sumCen += absCosine(lhs, rhs);
      }
    }
    const point: LinearityPoint = {
      alphaSquared: alpha * alpha,
      raw: outRaw !== null ? sumRaw / pairs : NaN,
    };
    if (outCen !== null) point.centred = sumCen / pairs;
    out.push(point);
  }
  return out;
}
