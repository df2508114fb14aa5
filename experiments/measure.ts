/**
 * The zoo's measurements of a D_θ, wired from the library's metrics: eq. 10 against D_G and D_M on the
 * held-out probes, GL (eq. 14) of its Heun samples and of D_G's exact samples, GL_ref of real held-out
 * images, and sample grids. Noise comes from {@link ZOO_SEEDS}, so every model gets the same probes and
 * initial noise.
 *
 * @module
 */
import type { Batch, Denoiser } from "../lib/types.ts";
import { batch, rows } from "../lib/types.ts";
import type { Context } from "./_harness.ts";
import { ZOO_SEEDS } from "./zoo.ts";
import type { ZooReferences } from "./references.ts";
import { loadDenoiser } from "../lib/training/model.ts";
import { gaussianTrajectory } from "../lib/denoisers/gaussian.ts";
import { applyDenoiser, noisyProbes } from "../lib/metrics/probes.ts";
import { scoreDifferenceFromOutputs } from "../lib/metrics/score_difference.ts";
import { generalizationScore } from "../lib/metrics/generalization.ts";
import { heunSampler, initialLatents } from "../lib/sampling/samplers.ts";
import { edmSchedule } from "../lib/sampling/schedule.ts";
import { imageGridPng } from "../lib/results/figures.ts";

/** RMSE(D, D_G) and RMSE(D, D_M) per σ (eq. 10) on the noisy held-out probes. */
export interface Distances {
  /** RMSE(D, D_G) at each σ. */
  toG: number[];
  /** RMSE(D, D_M) at each σ. */
  toM: number[];
}

/**
 * Eq. 10 (docs/paper.md "Metrics") of `D` against D_G and D_M at each σ, on x = y + σε with y the probes
 * and ε seeded by {@link ZOO_SEEDS}.probes (the same ε for every model and σ).
 */
export async function distances(
  D: Denoiser,
  refs: ZooReferences,
  probes: Batch,
  sigmas: readonly number[],
): Promise<Distances> {
  const toG: number[] = [];
  const toM: number[] = [];
  for (const sigma of sigmas) {
    const x = noisyProbes(probes, sigma, ZOO_SEEDS.probes);
    const out = await applyDenoiser(D, x, sigma, 256);
    toG.push(scoreDifferenceFromOutputs(out, await applyDenoiser(refs.DG, x, sigma, 256)).rmse);
    toM.push(scoreDifferenceFromOutputs(out, await applyDenoiser(refs.DM, x, sigma, 256)).rmse);
  }
  return { toG, toM };
}

/** RMSE(D_G, D_M) per σ (eq. 10) on the same probes: how far apart the two references themselves are. */
export async function referenceGap(
  refs: ZooReferences,
  probes: Batch,
  sigmas: readonly number[],
): Promise<number[]> {
  return (await distances(refs.DG, refs, probes, sigmas)).toM;
}

/** Samples of a denoiser and their generalisation score. */
export interface Generalization {
  /** GL, eq. 14, against the zoo model's training set. */
  score: number;
  /** The samples (rows). */
  samples: Batch;
}

/**
 * GL (eq. 14) of `count` Heun samples of `D` (EDM schedule with `levels` levels, initial noise seeded by
 * {@link ZOO_SEEDS}.samples, so every model starts from the same noise) against the training set.
 */
export async function sampleGeneralization(
  D: Denoiser,
  refs: ZooReferences,
  opts: { count: number; levels: number },
): Promise<Generalization> {
  const samples = await heunSampler(
    D,
    { seed: ZOO_SEEDS.samples, count: opts.count, d: refs.train.d },
    { schedule: edmSchedule(opts.levels), batchSize: 256 },
  );
  return { score: generalizationScore(samples, refs.train).score, samples };
}

/**
 * GL of D_G's own samples (the exact PF-ODE solution from σ_max = 80 to 0, docs/paper.md closed form, from
 * the same initial noise as {@link sampleGeneralization}): what a purely Gaussian model scores.
 */
export function gaussianGeneralization(refs: ZooReferences, count: number): Generalization {
  const eps = initialLatents({ seed: ZOO_SEEDS.samples, count, d: refs.train.d });
  const sigmaMax = edmSchedule(2)[0];
  const xT = batch(eps.n, eps.d, eps.data.map((v) => v * sigmaMax));
  const samples = gaussianTrajectory(refs.gaussian, xT, sigmaMax, 0);
  return { score: generalizationScore(samples, refs.train).score, samples };
}

/**
 * GL_ref: eq. 14 applied to the first `count` real held-out images against the training set, the score of
 * images that are new by construction (docs/scale.md: the paper's 0.6 is FFHQ's; compare with this instead).
 */
export function heldOutGeneralization(refs: ZooReferences, probes: Batch, count: number): number {
  return generalizationScore(rows(probes, 0, count), refs.train).score;
}

/** What {@link measureCheckpoint} finds for one D_θ. */
export interface Measurement extends Distances {
  /** GL (eq. 14) of its Heun samples against its training set. */
  gl: number;
  /** Those samples. */
  samples: Batch;
  /** Steps the weights were trained for. */
  step: number;
}

/**
 * Load D_θ (EMA weights, as EDM evaluates) from a checkpoint directory (a zoo model or one of its
 * snapshots), measure {@link distances} at `sigmas` and {@link sampleGeneralization} with the profile's
 * sample settings, and free the weights.
 */
export async function measureCheckpoint(
  ctx: Context,
  dir: string,
  refs: ZooReferences,
  probes: Batch,
  sigmas: readonly number[],
): Promise<Measurement> {
  const z = ctx.profile.zoo;
  const loaded = await loadDenoiser(dir, { weights: "ema" });
  try {
    const dist = await distances(loaded.denoiser, refs, probes, sigmas);
    const gen = await sampleGeneralization(loaded.denoiser, refs, {
      count: z.nSamples,
      levels: z.sampleLevels,
    });
    return { ...dist, gl: gen.score, samples: gen.samples, step: loaded.step };
  } finally {
    loaded.dispose();
  }
}

/**
 * A PNG grid of samples: one row per batch (e.g. per model), its first `cols` samples, all models' rows
 * starting from the same initial noise ({@link ZOO_SEEDS}.samples), so columns compare models.
 */
export function sampleGridPng(
  rowsOf: readonly Batch[],
  shape: { height: number; width: number; channels: number },
  cols = 8,
): Uint8Array {
  const d = rowsOf[0].d;
  const shown = Math.min(cols, ...rowsOf.map((b) => b.n));
  const grid = new Float64Array(rowsOf.length * shown * d);
  rowsOf.forEach((b, i) => grid.set(b.data.subarray(0, shown * d), i * shown * d));
  return imageGridPng(batch(rowsOf.length * shown, d, grid), {
    height: shape.height,
    width: shape.width,
    channels: shape.channels as 1 | 3,
    cols: shown,
    scale: 4,
  });
}
