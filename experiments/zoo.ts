/**
 * The shared model zoo: one rule that turns (profile, dataset, N, base channels C, steps, snapshots)
 * into the {@link ModelSpec} of a trained D_θ, so that claims needing the same model share it through
 * the model cache (lib/training/model.ts): C6's N sweep at the profile's C and C7's capacity sweep at
 * one N share the (N, C) model, and C8 reads the snapshots of one of those runs.
 *
 * A zoo model is the EDM-trained U-Net (lib/denoisers/unet.ts) on the first N training images of the
 * dataset, area-resized to the profile's resolution and scaled to [-1, 1]; every model of a profile
 * uses the same training seed (common random numbers across a sweep) and keeps snapshots at the
 * profile's `snapshotSteps` (those before its last step), so that a snapshot list never splits two
 * otherwise equal models in the cache.
 *
 * Beside the models, the zoo gives what every D_θ is measured against: held-out probes (the first
 * `nProbe` images of the test split, plus seeded noise), and per training set the fitted Gaussian
 * with D_G, the multi-delta D_M, and the generalisation scores of real held-out images (GL_ref) and of
 * D_G's own samples, both against that training set (docs/scale.md: the paper's 0.6 threshold is FFHQ's).
 * The measurements are the library's (eq. 10 and eq. 14); this module only wires them together.
 *
 * @module
 */
import type { Batch, Denoiser, ImageSet } from "../lib/types.ts";
import { batch, rows } from "../lib/types.ts";
import type { Context } from "./_harness.ts";
import { loadImages } from "./_harness.ts";
import { type Profile, withSeed } from "./profiles.ts";
import {
  getTrainedModel,
  loadDenoiser,
  type ModelSpec,
  readHistory,
  type TrainedModel,
} from "../lib/training/model.ts";
import { recordUsedModel } from "./_models_used.ts";
import { cacheKey, specJson } from "../lib/training/cache.ts";
import { defaultShippedRoot } from "../lib/training/shipped.ts";
import { trainConfig } from "../lib/training/train.ts";
import {
  fitGaussian,
  gaussianDenoiser,
  type GaussianModel,
  gaussianTrajectory,
} from "../lib/denoisers/gaussian.ts";
import { multiDeltaDenoiser } from "../lib/denoisers/multi_delta.ts";
import { applyDenoiser, noisyProbes } from "../lib/metrics/probes.ts";
import { scoreDifferenceFromOutputs } from "../lib/metrics/score_difference.ts";
import { generalizationScore } from "../lib/metrics/generalization.ts";
import { heunSampler, initialLatents } from "../lib/sampling/samplers.ts";
import { edmSchedule, PAPER_SIGMAS } from "../lib/sampling/schedule.ts";
import { log } from "../lib/progress.ts";
import { imageGridPng } from "../lib/results/figures.ts";

/** Seeds of the zoo's measurements, shared by every claim so one model gets one set of numbers. */
export const ZOO_SEEDS = Object.freeze({
  /** Probe noise: probe i gets sampleNoise(probes, i, d) at every σ (lib/metrics/probes.ts). */
  probes: 6061,
  /** Initial noise of the Heun samples for the generalisation score (the same for every model). */
  samples: 6062,
  /** Fixed noise of the training history's monitor (lib/training/history.ts). */
  history: 6063,
});

/** Noise levels of the training history's per-level losses: six of the paper's grid, 0.02 … 21.6. */
export const HISTORY_SIGMAS: readonly number[] = PAPER_SIGMAS.filter((s) => s >= 0.02 && s <= 25);

/** Which zoo model: N and, optionally, C, steps and snapshots (defaults: the profile's `zoo` section). */
export interface ZooRequest {
  /** Training images: `n` of the training split, from image `start` on. */
  n: number;
  /** First training image (default 0: the first `n`; C9's second half starts at `n`). */
  start?: number;
  /** Base channel count C of the U-Net (default `zoo.baseChannels`). */
  baseChannels?: number;
  /** Optimizer steps (default `zoo.steps`). */
  steps?: number;
  /** Snapshot steps (default `zoo.snapshotSteps`; only those before the last step are kept). */
  snapshotSteps?: number[];
  /** Training seed (default `zoo.seed`, shared by the sweeps; C9's second half uses its own). */
  seed?: number;
}

/** Image channels of a dataset by name: FFHQ (the `paper` profile) is RGB, MNIST and Fashion-MNIST grey. */
function _channels(dataset: string): number {
  return dataset === "ffhq" ? 3 : 1;
}

/**
 * The ModelSpec of a zoo model (its cache key is a function of this and the model code version):
 * the first `req.n` training images of `dataset` at the profile's resolution, the profile's U-Net with
 * `req.baseChannels`, EDM training with the profile's batch, learning rate, warm-up and seed.
 * `dataDir` names the user's image folder when `dataset` is `ffhq`.
 */
export function zooSpec(
  profile: Profile,
  dataset: string,
  req: ZooRequest,
  opts: { dataDir?: string } = {},
): ModelSpec {
  const z = profile.zoo;
  const where = `experiments/zoo.ts zooSpec(${profile.name}, ${dataset})`;
  const C = req.baseChannels ?? z.baseChannels;
  const steps = req.steps ?? z.steps;
  if (!Number.isInteger(req.n) || req.n < 1) {
    throw new RangeError(`${where}: n must be an integer ≥ 1, got ${req.n}`);
  }
  const start = req.start ?? 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new RangeError(`${where}: start must be an integer ≥ 0, got ${start}`);
  }
  if (!Number.isInteger(C) || C < 2 || C % 2) {
    throw new RangeError(`${where}: baseChannels must be an even integer ≥ 2, got ${C}`);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`${where}: steps must be an integer ≥ 1, got ${steps}`);
  }
  const snaps = [...new Set(req.snapshotSteps ?? z.snapshotSteps)];
  for (const s of snaps) {
    if (!Number.isInteger(s) || s < 1) {
      throw new RangeError(`${where}: snapshot step ${s} is not an integer ≥ 1`);
    }
  }
  if (dataset === "ffhq" && !opts.dataDir) {
    throw new Error(`${where}: dataset ffhq needs its image folder (dataDir)`);
  }
  return {
    data: {
      dataset,
      split: "train",
      resolution: z.resolution,
      resize: "area",
      scale: "[-1, 1]",
      // Keys of the first-n models are unchanged since version 1 of the zoo: start 0 stays "first".
      subset: start === 0 ? { rule: "first", n: req.n } : { rule: "range", start, n: req.n },
      ...(dataset === "ffhq" ? { dataDir: opts.dataDir } : {}),
    },
    net: {
      resolution: z.resolution,
      channels: _channels(dataset),
      baseChannels: C,
      attention: z.attention,
      dropout: 0,
    },
    train: trainConfig({
      seed: req.seed ?? z.seed,
      steps,
      batchSize: z.batchSize,
      lr: z.lr,
      warmupImages: z.warmupImages,
      ...(z.converge ? { converge: z.converge } : {}),
    }),
    snapshotSteps: snaps.filter((s) => s < steps).sort((a, b) => a - b),
  };
}

/** The model cache's key of a zoo spec (as `getTrainedModel` computes it: snapshot steps sorted). */
export function zooKey(spec: ModelSpec): string {
  const snapshotSteps = [...(spec.snapshotSteps ?? [])].sort((a, b) => a - b);
  return cacheKey({ ...spec, snapshotSteps });
}

/** Keys already retrained by this process under `--retrain`: a model shared by two claims trains once. */
const _retrained = new Set<string>();

/**
 * The trained zoo model for `req` in the experiment's context: from the shipped models (`models/`,
 * lib/training/shipped.ts), else the model cache (`HG_CACHE_DIR`), else trained now on its training
 * images (EDM training, docs/paper.md); `--retrain` ignores both and retrains each model once per
 * process. `opts.shipped: false` skips the shipped models (the `models` task exports from the cache).
 */
export async function zooModel(
  ctx: Context,
  req: ZooRequest,
  opts: { shipped?: boolean } = {},
): Promise<TrainedModel> {
  const spec = zooSpec(ctx.profile, ctx.dataset, req, { dataDir: ctx.opts.dataDir });
  const key = zooKey(spec);
  const retrain = ctx.opts.retrain && !_retrained.has(key);
  const start = req.start ?? 0;
  const label = `${ctx.claim} N=${req.n}${start ? ` from ${start}` : ""} C=${spec.net.baseChannels}`;
  const t0 = performance.now();
  const z = ctx.profile.zoo;
  const model = await getTrainedModel(
    spec,
    () => loadImages(ctx, "train", req.n, z.resolution, start),
    {
      monitor: {
        settings: {
          every: z.historyEvery,
          sigmas: [...HISTORY_SIGMAS],
          nTrain: 32,
          nHeldOut: z.historyHeldOut,
          heldOutSource: `test split, images ${z.nProbe}…${
            z.nProbe + z.historyHeldOut - 1
          } (after the probes)`,
          seed: ZOO_SEEDS.history,
        },
        loadHeldOut: () => loadImages(ctx, "test", z.historyHeldOut, z.resolution, z.nProbe),
      },
      retrain,
      label,
      log: true,
      ...(opts.shipped === false ? {} : { shippedRoot: defaultShippedRoot() }),
    },
  );
  if (retrain) _retrained.add(key);
  const history = await readHistory(model.dir);
  recordUsedModel(key, {
    label: `${label} seed ${spec.train.seed}`,
    convergence: history?.convergence ?? null,
  });
  const from = model.trained
    ? `trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`
    : model.shipped
    ? "shipped (models/)"
    : "from the cache";
  log(
    `${label}: model ${key.slice(0, 12)} ${from} (${model.manifest.step}${
      spec.train.converge ? ` of at most ${spec.train.steps}` : ""
    } steps, snapshots ${model.snapshots.join(", ") || "none"})`,
  );
  return model;
}

/** C9's second-half models train with seed `zoo.seed + C9_SEED_OFFSET`: other initial weights and noise. */
export const C9_SEED_OFFSET = 1;

/** One model a profile needs: its request, the claims that read it, and whether they read its snapshots. */
export interface PlannedModel {
  /** The zoo request. */
  req: ZooRequest;
  /** Claims that use it. */
  claims: string[];
  /** True when a claim reads its snapshots (C8), so they are shipped too. */
  snapshots: boolean;
}

/** Every zoo model the claims of `profile` use (C1, C2–C5, C6, C7, C8, C9), each once, for every seed. */
export function zooPlan(profile: Profile): PlannedModel[] {
  return profile.zoo.seeds.flatMap((_, k) => _seedPlan(withSeed(profile, k)));
}

function _seedPlan(profile: Profile): PlannedModel[] {
  const plan = new Map<string, PlannedModel>();
  const add = (claim: string, req: ZooRequest, snapshots = false) => {
    const C = req.baseChannels ?? profile.zoo.baseChannels;
    const steps = req.steps ?? profile.zoo.steps;
    const id = `${req.n}/${req.start ?? 0}/${C}/${steps}/${req.seed ?? profile.zoo.seed}`;
    const seed = req.seed ?? profile.zoo.seed;
    const p = plan.get(id) ?? { req: { ...req, baseChannels: C, steps, seed }, claims: [], snapshots: false };
    if (!p.claims.includes(claim)) p.claims.push(claim);
    p.snapshots ||= snapshots;
    plan.set(id, p);
  };
  const { c1, c5, c6, c7, c8, c9, distill } = profile;
  for (const n of c1.ns) add("C1", { n, baseChannels: c1.baseChannels });
  for (const claim of ["C2", "C3", "C4"]) add(claim, { n: distill.n, baseChannels: distill.baseChannels });
  for (const n of c5.ns) add("C5", { n, baseChannels: c5.baseChannels });
  for (const n of c6.ns) add("C6", { n, baseChannels: c6.baseChannels });
  for (const c of c7.capacities) add("C7", { n: c7.n, baseChannels: c });
  add("C8", { n: c8.n, baseChannels: c8.baseChannels, steps: c8.steps }, true);
  for (const n of [c9.nGeneralising, c9.nMemorising]) {
    add("C9", { n, baseChannels: c9.baseChannels });
    add("C9", { n, start: n, baseChannels: c9.baseChannels, seed: profile.zoo.seed + C9_SEED_OFFSET });
  }
  return [...plan.values()];
}

/** What a zoo model's D_θ is compared with: its training set, N(μ, Σ) with D_G, and D_M. */
export interface ZooReferences {
  /** The first N training images at the profile's resolution. */
  train: ImageSet;
  /** N(μ, Σ) fitted to them (1/N covariance). */
  gaussian: GaussianModel;
  /** D_G, docs/paper.md Objects. */
  DG: Denoiser;
  /** D_M, docs/paper.md Objects. */
  DM: Denoiser;
}

const _refs = new Map<string, Promise<ZooReferences>>();
const _probes = new Map<string, Promise<ImageSet>>();

function _dataKey(ctx: Context, what: string, n: number, start = 0): string {
  return specJson({
    what,
    dataset: ctx.dataset,
    dataDir: ctx.opts.dataDir ?? null,
    r: ctx.profile.zoo.resolution,
    n,
    start,
  });
}

/**
 * D_G and D_M of training images `start` … `start + n − 1` (default: the first `n`), memoised per
 * process: claims share them.
 */
export function zooReferences(ctx: Context, n: number, start = 0): Promise<ZooReferences> {
  const key = _dataKey(ctx, "train", n, start);
  let p = _refs.get(key);
  if (!p) {
    p = (async () => {
      const train = await loadImages(ctx, "train", n, ctx.profile.zoo.resolution, start);
      const gaussian = fitGaussian(train);
      return { train, gaussian, DG: gaussianDenoiser(gaussian), DM: multiDeltaDenoiser(train) };
    })();
    p.catch(() => _refs.delete(key));
    _refs.set(key, p);
  }
  return p;
}

/** The held-out probe images: the first `zoo.nProbe` images of the test split (memoised per process). */
export function zooProbes(ctx: Context): Promise<ImageSet> {
  const z = ctx.profile.zoo;
  if (z.nProbe < z.nSamples) {
    throw new RangeError(
      `experiments/zoo.ts: profile ${ctx.profile.name} has nProbe ${z.nProbe} < nSamples ${z.nSamples}; ` +
        "GL_ref scores the first nSamples probes",
    );
  }
  const key = _dataKey(ctx, "test", z.nProbe);
  let p = _probes.get(key);
  if (!p) {
    p = loadImages(ctx, "test", z.nProbe, z.resolution);
    p.catch(() => _probes.delete(key));
    _probes.set(key, p);
  }
  return p;
}

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

/** Mean of `values` (one per entry of `sigmas`) over the levels listed in `at` (each must be in `sigmas`). */
export function meanAt(sigmas: readonly number[], values: readonly number[], at: readonly number[]): number {
  if (values.length !== sigmas.length) {
    throw new RangeError(`experiments/zoo.ts meanAt: ${values.length} values for ${sigmas.length} σ levels`);
  }
  if (at.length === 0) throw new RangeError("experiments/zoo.ts meanAt: no σ levels to average");
  let s = 0;
  for (const a of at) {
    const k = sigmas.indexOf(a);
    if (k < 0) {
      throw new RangeError(`experiments/zoo.ts meanAt: σ = ${a} is not on the grid ${sigmas.join(", ")}`);
    }
    s += values[k];
  }
  return s / at.length;
}

/** Spearman's rank correlation of x and y (ties get their mean rank); the criteria's "trend" test. */
export function rankCorrelation(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2) {
    throw new RangeError(`experiments/zoo.ts rankCorrelation: need two series of equal length ≥ 2`);
  }
  const rx = _ranks(x);
  const ry = _ranks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i < n; i++) {
    num += (rx[i] - mx) * (ry[i] - my);
    vx += (rx[i] - mx) ** 2;
    vy += (ry[i] - my) ** 2;
  }
  return vx > 0 && vy > 0 ? num / Math.sqrt(vx * vy) : 0;
}

function _ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** √(‖a − b‖²/d): eq. 10's RMSE per pixel for one pair of vectors (e.g. two samples). */
export function rmsePerPixel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s / a.length);
}

/**
 * RMSE per pixel between row i of `a` and row (i + shift) mod n of `b`, for every i: with shift 0,
 * samples from the same initial noise; with shift 1, from other noise (the chance level).
 */
export function rowRmse(a: Batch, b: Batch, shift = 0): number[] {
  if (a.n !== b.n || a.d !== b.d || a.n === 0) {
    throw new RangeError(`experiments/zoo.ts rowRmse: batches ${a.n}×${a.d} and ${b.n}×${b.d} differ`);
  }
  const d = a.d;
  return Array.from({ length: a.n }, (_, i) => {
    const j = (i + shift) % a.n;
    return rmsePerPixel(a.data.subarray(i * d, (i + 1) * d), b.data.subarray(j * d, (j + 1) * d));
  });
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
