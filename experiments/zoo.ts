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
 * What a D_θ is measured against lives in experiments/references.ts (D_G, D_M, the probes), the
 * measurements in experiments/measure.ts, and shared statistics in lib/metrics/stats.ts.
 *
 * @module
 */
import type { Context } from "./_harness.ts";
import { loadImages } from "./_harness.ts";
import { type Profile, withSeed } from "./profiles.ts";
import { getTrainedModel, type ModelSpec, readHistory, type TrainedModel } from "../lib/training/model.ts";
import { recordUsedModel } from "./_models_used.ts";
import { cacheKey } from "../lib/training/cache.ts";
import { defaultShippedRoot } from "../lib/training/shipped.ts";
import { trainConfig } from "../lib/training/train.ts";
import { PAPER_SIGMAS } from "../lib/sampling/schedule.ts";
import { log } from "../lib/progress.ts";

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
    label: `${label} seed ${spec.train.seed}${spec.train.converge ? `, ${model.manifest.step} steps` : ""}`,
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
