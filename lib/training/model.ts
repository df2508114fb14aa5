/**
 * Trained denoisers D_θ from the shared cache: {@link getTrainedModel} trains a U-Net with the EDM
 * objective (or finds it in the cache, or resumes an interrupted run), and {@link loadDenoiser}
 * turns a finished entry or one of its snapshots into the library's {@link Denoiser}.
 *
 * An entry directory holds the final training state as a checkpoint (manifest.json, weights.bin),
 * `key.json` (the spec, the cache key and the sha256 of the training pixels), and
 * `snapshots/step-<step>/` checkpoints for each requested snapshot step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { createHash } from "node:crypto";
import type { Denoiser, ImageSet } from "../types.ts";
import { asDenoiser, edmDenoiser, type TensorDenoiser } from "../denoisers/edm.ts";
import { type UNetConfig, unetNetwork, unetParamSpecs } from "../denoisers/unet.ts";
import { type CacheEntry, cacheKey, type CacheOptions, getOrTrain, specJson } from "./cache.ts";
import { CheckpointError, type CheckpointManifest, MANIFEST_FILE, readCheckpoint } from "./checkpoint.ts";
import { checkModelDir, checkNetTensors, ModelIntegrityError } from "./integrity.ts";
import { writeFileAtomic } from "../results/io.ts";
import { log as _progressLog } from "../progress.ts";
import { findShipped } from "./shipped.ts";
import {
  convergence,
  type ConvergenceCheck,
  historyMonitor,
  type HistoryPoint,
  type HistorySettings,
  type Monitor,
} from "./history.ts";
import {
  createTrainState,
  disposeTrainState,
  loadTrainState,
  saveTrainState,
  train,
  type TrainConfig,
  type TrainOptions,
  type TrainState,
} from "./train.ts";

/** Everything that determines a trained model's weights (the cache key is computed from it). */
export interface ModelSpec {
  /**
   * What determines the training images, exactly (e.g. `{dataset: "mnist", split: "train",
   * resolution: 16, subset: {rule: "first", n: 1024}}`); it must describe what `loadData` returns.
   */
  data: Record<string, unknown>;
  /** Network config. */
  net: UNetConfig;
  /** Training config. */
  train: TrainConfig;
  /** Steps after which a snapshot is kept (e.g. for the training-time claim). */
  snapshotSteps?: number[];
}

/** A finished cache entry with its manifest. */
export interface TrainedModel extends CacheEntry {
  /** The spec it was trained from. */
  spec: ModelSpec;
  /** Manifest of the final checkpoint. */
  manifest: CheckpointManifest;
  /** Snapshot steps available. */
  snapshots: number[];
  /** True when it was loaded from the shipped models (lib/training/shipped.ts), not the cache. */
  shipped?: boolean;
}

/** Directory of the snapshot at `step` inside a model directory. */
export function snapshotDir(modelDir: string, step: number): string {
  return `${modelDir}/snapshots/step-${String(step).padStart(8, "0")}`;
}

/** Hex sha256 of a set's pixels (float64 bytes) and geometry, for provenance. */
export function imageSetSha256(data: ImageSet): string {
  const h = createHash("sha256");
  h.update(`${data.n}x${data.height}x${data.width}x${data.channels}\n`);
  h.update(new Uint8Array(data.data.buffer, data.data.byteOffset, data.data.byteLength));
  return h.digest("hex");
}

/** Options of {@link getTrainedModel}. */
export interface TrainedModelOptions extends CacheOptions {
  /** Checkpoint into the work directory every this many steps (default 250), for resuming. */
  checkpointEvery?: number;
  /** Progress lines (see {@link TrainOptions}). */
  log?: TrainOptions["log"];
  /** Progress line prefix. */
  label?: string;
  /** Seconds between progress lines (default 5). */
  logEverySec?: number;
  /** Shipped models' root, looked in first unless `retrain` (lib/training/shipped.ts; default: none). */
  shippedRoot?: string;
  /**
   * Record the run's history (lib/training/history.ts) on the first `settings.nTrain` training images
   * and the first `settings.nHeldOut` images `loadHeldOut` returns (images outside the training set).
   * It does not change the weights, so it is not part of the cache key; it is written to the entry's
   * `history.json` and kept in its checkpoints.
   */
  monitor?: { settings: HistorySettings; loadHeldOut: () => ImageSet | Promise<ImageSet> };
}

/** File of a model entry holding its history settings, records and convergence check. */
export const HISTORY_FILE = "history.json";

/** The contents of {@link HISTORY_FILE}. */
export interface HistoryFile {
  /** How the history was taken. */
  settings: HistorySettings;
  /** The records. */
  history: HistoryPoint[];
  /** The convergence rule read off the records at the last step. */
  convergence: ConvergenceCheck;
}

/** The history of a model entry, or null when it has none (trained before histories were kept). */
export async function readHistory(dir: string): Promise<HistoryFile | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${HISTORY_FILE}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    return JSON.parse(text) as HistoryFile;
  } catch (e) {
    throw new Error(`${dir}/${HISTORY_FILE}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * D_θ for `spec`, from the cache or trained now (EDM training, docs/paper.md): a run interrupted
 * earlier resumes from the checkpoint in its work directory and ends with the same weights.
 * `loadData` is called only when training is needed.
 */
export async function getTrainedModel(
  spec: ModelSpec,
  loadData: () => ImageSet | Promise<ImageSet>,
  opts: TrainedModelOptions = {},
): Promise<TrainedModel> {
  const snapshotSteps = [...(spec.snapshotSteps ?? [])].sort((a, b) => a - b);
  const fullSpec = { ...spec, snapshotSteps };
  const shipped = opts.shippedRoot && !opts.retrain
    ? await findShipped(opts.shippedRoot, cacheKey(fullSpec))
    : null;
  const trainFn = async (work: string) => {
    const data = await loadData();
    let state: TrainState | null = null;
    try {
      state = await _resumeOrCreate(work, spec);
      const monitor = opts.monitor ? await _monitor(spec, data, opts.monitor) : undefined;
      await train(state, data, {
        ...(monitor ? { monitor: { every: opts.monitor!.settings.every, measure: monitor } } : {}),
        snapshotSteps,
        onSnapshot: async (s) => void await saveTrainState(snapshotDir(work, s.step), s),
        checkpointDir: work,
        checkpointEvery: opts.checkpointEvery ?? 250,
        log: opts.log,
        label: opts.label,
        logEverySec: opts.logEverySec,
      });
      await saveTrainState(work, state);
      if (opts.monitor) {
        const file: HistoryFile = {
          settings: { ...opts.monitor.settings, nTrain: Math.min(opts.monitor.settings.nTrain, data.n) },
          history: state.history,
          convergence: convergence(state.history, spec.train.converge),
        };
        await writeFileAtomic(`${work}/${HISTORY_FILE}`, JSON.stringify(file, null, 1) + "\n");
      }
      await writeFileAtomic(
        `${work}/data.json`,
        JSON.stringify({ sha256: imageSetSha256(data), n: data.n }),
      );
    } finally {
      if (state) disposeTrainState(state);
    }
  };
  let entry: CacheEntry = shipped
    ? { dir: shipped, key: cacheKey(fullSpec), trained: false }
    : await getOrTrain(fullSpec, trainFn, opts);
  if (!shipped) {
    // A cache entry must hold what its key names: key.json, the snapshots, the weights it lists.
    // A run stopped by its convergence rule (TrainConfig.converge) has the snapshots before its minimum.
    const last = spec.train.converge ? spec.train.converge.minSteps : spec.train.steps;
    const expected = snapshotSteps.filter((s) => s < last);
    try {
      await checkModelDir(entry.dir, { key: entry.key, snapshots: expected });
    } catch (e) {
      if (!(e instanceof ModelIntegrityError)) throw e;
      _progressLog(`model cache: ${e.message}; retraining ${opts.label ?? entry.key.slice(0, 12)}`);
      entry = await getOrTrain(fullSpec, trainFn, { ...opts, retrain: true });
      await checkModelDir(entry.dir, { key: entry.key, snapshots: expected });
    }
  }
  const { manifest } = await readCheckpoint(entry.dir);
  const snapshots: number[] = [];
  for (const s of snapshotSteps) {
    try {
      await Deno.stat(`${snapshotDir(entry.dir, s)}/${MANIFEST_FILE}`);
      snapshots.push(s);
    } catch {
      // A snapshot step beyond the run's length has no directory.
    }
  }
  return { ...entry, spec: fullSpec, manifest, snapshots, ...(shipped ? { shipped: true } : {}) };
}

async function _monitor(
  spec: ModelSpec,
  data: ImageSet,
  m: NonNullable<TrainedModelOptions["monitor"]>,
): Promise<Monitor> {
  const heldOut = await m.loadHeldOut();
  const rows = (set: ImageSet, n: number, what: string) => {
    if (set.n < n) throw new RangeError(`history monitor: ${what} has ${set.n} images, ${n} needed`);
    return Float32Array.from(set.data.subarray(0, n * set.d));
  };
  return historyMonitor(
    {
      height: spec.net.resolution,
      width: spec.net.resolution,
      channels: spec.net.channels,
      sigmaData: spec.train.sigmaData,
    },
    rows(data, Math.min(m.settings.nTrain, data.n), "the training set"),
    rows(heldOut, m.settings.nHeldOut, `held-out set ${heldOut.name}`),
    { ...m.settings, nTrain: Math.min(m.settings.nTrain, data.n) },
  );
}

async function _resumeOrCreate(work: string, spec: ModelSpec): Promise<TrainState> {
  try {
    await Deno.stat(`${work}/${MANIFEST_FILE}`);
  } catch {
    return createTrainState(spec.net, spec.train);
  }
  let state: TrainState;
  try {
    state = await loadTrainState(work);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    // A torn resume checkpoint (e.g. a kill between its two renames) restarts this model, not the claim.
    _progressLog(`${e.message}: the resume checkpoint is damaged; restarting this model from step 0`);
    for (const f of [...Deno.readDirSync(work)]) await Deno.remove(`${work}/${f.name}`, { recursive: true });
    return createTrainState(spec.net, spec.train);
  }
  const same = specJson({ net: state.net, train: state.train }) ===
    specJson({ net: spec.net, train: spec.train });
  if (!same) {
    disposeTrainState(state);
    throw new Error(`${work}/${MANIFEST_FILE}: the checkpoint's configs differ from the spec of this key`);
  }
  return state;
}

/** A denoiser loaded from a checkpoint, holding its weights as tensors until disposed. */
export interface LoadedDenoiser {
  /** D_θ as the library's Denoiser (float64 rows in, float64 rows out). */
  denoiser: Denoiser;
  /** D_θ on tensors, σ per sample. */
  tensorDenoiser: TensorDenoiser;
  /** Network config. */
  net: UNetConfig;
  /** Training config. */
  train: TrainConfig;
  /** Steps the weights were trained for. */
  step: number;
  /** Free the weights. */
  dispose(): void;
}

/**
 * Load D_θ from checkpoint directory `dir` (a model directory or one of its snapshots), over its
 * EMA weights (default, as EDM evaluates) or its raw weights (D_θ, docs/paper.md Objects).
 *
 * @example
 * ```ts
 * import { initBackend, loadDenoiser, loadImages, scoreDifference } from "../../mod.ts";
 * import { fitGaussian, gaussianDenoiser } from "../../mod.ts";
 * await initBackend("wasm");
 * const model = await loadDenoiser("models/<key>"); // a shipped D_θ (models/INDEX.json lists them)
 * const probes = await loadImages("mnist", "test", { n: 64, size: model.net.resolution });
 * const DG = gaussianDenoiser(fitGaussian(await loadImages("mnist", "train", { n: 1024, size: 16 })));
 * const r = await scoreDifference(model.denoiser, DG, probes, 1.5, { seed: 1 }); // eq. 10
 * model.dispose();
 * ```
 */
export async function loadDenoiser(
  dir: string,
  opts: { weights?: "ema" | "params"; batchSize?: number } = {},
): Promise<LoadedDenoiser> {
  const group = opts.weights ?? "ema";
  const { manifest, tensors } = await readCheckpoint(dir);
  const net = manifest.config.net as UNetConfig;
  const trainCfg = manifest.config.train as TrainConfig;
  checkNetTensors(dir, net, tensors, [group]);
  const params: Record<string, tf.Tensor> = {};
  for (const t of tensors) {
    if (t.name.startsWith(`${group}/`)) params[t.name.slice(group.length + 1)] = tf.tensor(t.data, t.shape);
  }
  for (const spec of unetParamSpecs(net)) {
    if (!params[spec.name]) {
      Object.values(params).forEach((t) => t.dispose());
      throw new Error(`${dir}/${MANIFEST_FILE}: tensor ${group}/${spec.name} is missing`);
    }
  }
  const tensorDenoiser = edmDenoiser(unetNetwork(net, params), { sigmaData: trainCfg.sigmaData });
  const shape = { height: net.resolution, width: net.resolution, channels: net.channels };
  return {
    denoiser: asDenoiser(tensorDenoiser, shape, { batchSize: opts.batchSize }),
    tensorDenoiser,
    net,
    train: trainCfg,
    step: manifest.step,
    dispose: () => Object.values(params).forEach((t) => t.dispose()),
  };
}
