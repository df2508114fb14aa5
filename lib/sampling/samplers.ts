/**
 * Deterministic probability-flow ODE samplers (EDM Algorithm 1 without churn; docs/paper.md
 * "EDM training and sampling"): Euler and Heun's second order steps, for any {@link Denoiser}.
 *
 * Under the EDM (VE) parameterisation the ODE is dx/dσ = (x − D(x; σ))/σ. Sampling starts at
 * x_T = σ_0·ε and follows the schedule down to its last level (σ_n = 0 for `edmSchedule`).
 * Samples are processed in chunks of `batchSize` rows; since every denoiser here acts row by row
 * and initial noise comes from one stream per sample (`noiseRows`), a sample does not depend on
 * the chunk it falls in.
 *
 * @module
 */

import { type Batch, batch, type Denoiser, rows } from "../types.ts";
import { noiseRows } from "../rng.ts";
import { assertSchedule, edmSchedule } from "./schedule.ts";

/** Seeded initial noise: sample `i` gets the noise `sampleNoise(seed, start + i, d)`. */
export interface NoiseSpec {
  /** Seed of the per-sample noise streams. */
  seed: number;
  /** Number of samples. */
  count: number;
  /** Dimension of a sample. */
  d: number;
  /** Index of the first sample's stream (default 0), so a run can be split over calls. */
  start?: number;
}

/**
 * The sampler's starting point: either a batch of standard-normal latents ε (multiplied by σ_0,
 * as EDM does with `latents * t_steps[0]`), or a {@link NoiseSpec} that draws them.
 */
export type InitialNoise = Batch | NoiseSpec;

/** Progress report passed to {@link SamplerOptions.onProgress} after every step of every chunk. */
export interface SamplerProgress {
  /** Step just finished, 1 … steps. */
  step: number;
  /** Steps in the schedule (levels − 1). */
  steps: number;
  /** Noise level reached by this step. */
  sigma: number;
  /** First sample of the chunk being integrated. */
  chunkStart: number;
  /** Samples in that chunk. */
  chunkSize: number;
  /** Total samples. */
  total: number;
}

/** Options shared by the samplers. */
export interface SamplerOptions {
  /** Noise levels σ_0 > σ_1 > … > σ_n ≥ 0; default `edmSchedule(18)` (EDM's 32×32 setting). */
  schedule?: ArrayLike<number>;
  /** Rows per denoiser call (default: all samples in one chunk). */
  batchSize?: number;
  /** Called after every step of every chunk. */
  onProgress?: (p: SamplerProgress) => void;
}

/** Integration rule: first-order Euler, or Heun's second order with an Euler last step to σ = 0. */
export type OdeMethod = "euler" | "heun";

/** Draw or check the standard-normal latents ε of an {@link InitialNoise}. */
export function initialLatents(init: InitialNoise): Batch {
  if ("data" in init) return init;
  const { seed, count, d, start = 0 } = init;
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(d) || d <= 0) {
    throw new RangeError(`samplers.ts: noise spec needs integer count ≥ 0 and d > 0, got ${count}, ${d}`);
  }
  return batch(count, d, noiseRows(seed, start, count, d));
}

/**
 * Euler sampler (EDM Algorithm 1 with first-order steps, no churn): x_T = σ_0·ε, then
 * x_{i+1} = x_i + (σ_{i+1} − σ_i)·(x_i − D(x_i; σ_i))/σ_i. This is what the authors' notebooks use.
 */
export function eulerSampler(
  denoiser: Denoiser,
  init: InitialNoise,
  opts: SamplerOptions = {},
): Promise<Batch> {
  return _sampleFromNoise(denoiser, init, opts, "euler");
}

/**
 * Heun sampler (EDM Algorithm 1, deterministic): Euler predictor, trapezoidal corrector with
 * D(x_{i+1}; σ_{i+1}), except for a step that ends at σ = 0, which stays an Euler step.
 *
 * @example
 * ```ts
 * import { batch, edmSchedule, fitGaussian, gaussianDenoiser, heunSampler } from "../../gaussian.ts";
 * const DG = gaussianDenoiser(fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]))));
 * // 8 samples from seeded noise x_T = σ_max·ε, down EDM's 18-level schedule.
 * const x0 = await heunSampler(DG, { seed: 1, count: 8, d: 2 }, { schedule: edmSchedule(18) });
 * ```
 */
export function heunSampler(
  denoiser: Denoiser,
  init: InitialNoise,
  opts: SamplerOptions = {},
): Promise<Batch> {
  return _sampleFromNoise(denoiser, init, opts, "heun");
}

function _sampleFromNoise(
  denoiser: Denoiser,
  init: InitialNoise,
  opts: SamplerOptions,
  method: OdeMethod,
): Promise<Batch> {
  const sigmas = opts.schedule ?? edmSchedule(18);
  assertSchedule(sigmas, "samplers.ts");
  const eps = initialLatents(init);
  const x = new Float64Array(eps.data.length);
  const s0 = sigmas[0];
  for (let i = 0; i < x.length; i++) x[i] = s0 * eps.data[i];
  return integrateODE(denoiser, batch(eps.n, eps.d, x), sigmas, { ...opts, method });
}

/**
 * Integrate the probability-flow ODE dx/dσ = (x − D(x; σ))/σ from a state `x` at σ = sigmas[0]
 * down the given levels (docs/paper.md "EDM training and sampling"). `x` is not modified.
 * Used by the samplers and by the Gaussian-teleport hybrid, which starts mid-schedule.
 */
export async function integrateODE(
  denoiser: Denoiser,
  x: Batch,
  sigmas: ArrayLike<number>,
  opts: Omit<SamplerOptions, "schedule"> & { method?: OdeMethod } = {},
): Promise<Batch> {
  assertSchedule(sigmas, "samplers.ts");
  const { method = "heun", onProgress } = opts;
  if (method !== "euler" && method !== "heun") throw new RangeError(`samplers.ts: unknown method ${method}`);
  const bs = opts.batchSize ?? Math.max(1, x.n);
  if (!Number.isInteger(bs) || bs < 1) throw new RangeError(`samplers.ts: batchSize must be ≥ 1, got ${bs}`);
  const out = new Float64Array(x.data.length);
  for (let start = 0; start < x.n; start += bs) {
    const chunk = rows(x, start, start + bs);
    const res = await _integrateChunk(denoiser, chunk, sigmas, method, (step, sigma) =>
      onProgress?.({
        step,
        steps: sigmas.length - 1,
        sigma,
        chunkStart: start,
        chunkSize: chunk.n,
        total: x.n,
      }));
    out.set(res, start * x.d);
  }
  return batch(x.n, x.d, out);
}

async function _integrateChunk(
  denoiser: Denoiser,
  x0: Batch,
  sigmas: ArrayLike<number>,
  method: OdeMethod,
  progress: (step: number, sigma: number) => void,
): Promise<Float64Array> {
  const { n, d } = x0;
  const len = n * d;
  let x = Float64Array.from(x0.data);
  let next = new Float64Array(len);
  const dCur = new Float64Array(len);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const t = sigmas[i];
    const tNext = sigmas[i + 1];
    const h = tNext - t;
    const den = await _denoise(denoiser, batch(n, d, x), t);
    for (let j = 0; j < len; j++) {
      dCur[j] = (x[j] - den[j]) / t;
      next[j] = x[j] + h * dCur[j];
    }
    if (method === "heun" && tNext > 0) {
      const den2 = await _denoise(denoiser, batch(n, d, next), tNext);
      for (let j = 0; j < len; j++) {
        const dPrime = (next[j] - den2[j]) / tNext;
        next[j] = x[j] + h * 0.5 * (dCur[j] + dPrime);
      }
    }
    [x, next] = [next, x];
    progress(i + 1, tNext);
  }
  return x;
}

async function _denoise(denoiser: Denoiser, x: Batch, sigma: number): Promise<Float64Array> {
  const out = await denoiser(x, sigma);
  if (out.n !== x.n || out.d !== x.d || out.data.length !== x.n * x.d) {
    throw new RangeError(
      `samplers.ts: denoiser returned ${out.n} × ${out.d} for an input of ${x.n} × ${x.d} at σ = ${sigma}`,
    );
  }
  return out.data;
}
