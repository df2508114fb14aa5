/**
 * The training loop of D_θ with the EDM objective (docs/paper.md "EDM training and sampling"):
 * Adam, linear learning-rate warm-up, EMA of the weights, seeded minibatch order, snapshots,
 * periodic checkpoints, a progress line, and a stop with an error on NaN or divergence.
 *
 * Determinism: every random draw is a function of the run's `seed` and the step number:
 * - initial weights: `initUNet(net, deriveSeed(seed, INIT_STREAM))`;
 * - data order: the k-th training image overall (k = step·B + j) is image `perm_e[k mod N]` with
 *   e = ⌊k/N⌋ and `perm_e = Rng(deriveSeed(seed, ORDER_STREAM, e)).permutation(N)` (one seeded
 *   permutation per epoch; a batch may straddle two epochs, and N < B works);
 * - noise σ, ε of step s: {@link drawTrainingNoise}(seed, s, …).
 * So the same (seed, configs, data) give bit-identical weights on one backend with the same kernels and
 * thread count (oneDNN's convolutions, whose threads follow OPENBLAS_NUM_THREADS, sum in another order with
 * another thread count: 30 steps of N = 64, C = 8 end with other bits at 1 and 2 threads), and a run resumed
 * from a checkpoint at step k continues exactly as the uninterrupted run (the step number is the
 * whole RNG state). Nothing depends on the total number of steps either (warm-up and EMA are in
 * images, there is no decay), so the snapshot at step s of a long run equals the end of an s-step run.
 *
 * Learning rate of step s (0-based): lr·min(1, (s+1)·B / warmupImages) (EDM uses the images seen
 * before the step, which makes its first step a no-op; we count the step's own batch).
 *
 * Divergence: a non-finite loss, a loss above {@link DIVERGENCE_MAX_LOSS}, or one above `divergenceFactor`
 * (default 1e3) × the step-0 loss stops training at once (so an explosion at step 1 is caught); after the
 * first `divergenceWindow` steps (default 20) of the run, a step loss above `divergenceFactor` (default 1e3) × the median of those
 * early losses stops it too. The check runs before the update is applied, so the weights (and any
 * checkpoint written earlier) stay at the last good step; a {@link TrainingDivergedError} names
 * the step. Before a snapshot or checkpoint is written, the weights are checked to be finite (a
 * bad update throws the same error rather than overwrite the last good checkpoint).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ImageSet } from "../types.ts";
import { deriveSeed, Rng } from "../rng.ts";
import { edmDenoiser, type TensorDenoiser } from "../denoisers/edm.ts";
import {
  initUNet,
  type NamedArray,
  type UNetConfig,
  unetNetwork,
  unetParamSpecs,
  validateUNetConfig,
} from "../denoisers/unet.ts";
import { drawTrainingNoise, EDM_LOSS_DEFAULTS, edmLoss } from "./loss.ts";
import { ADAM_DEFAULTS } from "./adam.ts";
import { emaBeta } from "./ema.ts";
import { fusedAdamEmaStep, unfusedAdamEmaStep } from "./fused_adam.ts";
import { type CheckpointManifest, readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { registerTrainingGradients } from "./gradients.ts";
import { convergence, type ConvergenceRule, finiteMean, type HistoryPoint, type Monitor } from "./history.ts";
import { checkNetTensors } from "./integrity.ts";
import { log as _progressLog } from "../progress.ts";

/** Stream tag of the initial weights under the run's seed. */
export const INIT_STREAM = 0x696e6974; // "init"
/** Stream tag of the per-epoch data order under the run's seed. */
export const ORDER_STREAM = 0x6f726472; // "ordr"

/** Everything about training that determines the weights (beside the network config and the data). */
export interface TrainConfig {
  /** Seed of the run: initial weights, data order and noise. */
  seed: number;
  /** Minibatch size B. */
  batchSize: number;
  /** Total optimizer steps. */
  steps: number;
  /** Peak learning rate (after warm-up). */
  lr: number;
  /** Length of the linear learning-rate warm-up, in images (0: none). */
  warmupImages: number;
  /** EMA half-life in images (EDM: 500 000). */
  emaHalflifeImages: number;
  /** EMA ramp-up ratio (EDM: 0.05), or null for none. */
  emaRampup: number | null;
  /** Mean of ln σ (EDM: −1.2). */
  pMean: number;
  /** Standard deviation of ln σ (EDM: 1.2). */
  pStd: number;
  /** σ_data (EDM: 0.5). */
  sigmaData: number;
  /** Adam β1 (0.9). */
  adamBeta1: number;
  /** Adam β2 (0.999). */
  adamBeta2: number;
  /** Adam ε (1e-8). */
  adamEpsilon: number;
  /**
   * Stop early by the convergence rule (lib/training/history.ts): at a history record at step ≥
   * `minSteps` where the held-out loss changed by less than `tolerance` over the last `window` of the
   * steps; `steps` is then the cap. Needs a monitor (TrainOptions.monitor). Absent: exactly `steps`.
   */
  converge?: StopRule;
}

/** Train until the convergence rule holds (after `minSteps`), at most `steps`: {@link TrainConfig.converge}. */
export interface StopRule extends ConvergenceRule {
  /** No stop before this many steps (e.g. well after the learning-rate warm-up). */
  minSteps: number;
}

/**
 * Defaults: EDM's noise, Adam and EMA settings; lr 2e-3 and batch 64 as in the pilot (docs/scale.md);
 * a 10 000-image warm-up (EDM's 10 M is longer than our whole runs).
 */
export const TRAIN_DEFAULTS: Omit<TrainConfig, "seed" | "steps"> = {
  batchSize: 64,
  lr: 2e-3,
  warmupImages: 10_000,
  emaHalflifeImages: 500_000,
  emaRampup: 0.05,
  pMean: EDM_LOSS_DEFAULTS.pMean,
  pStd: EDM_LOSS_DEFAULTS.pStd,
  sigmaData: EDM_LOSS_DEFAULTS.sigmaData,
  adamBeta1: ADAM_DEFAULTS.beta1,
  adamBeta2: ADAM_DEFAULTS.beta2,
  adamEpsilon: ADAM_DEFAULTS.epsilon,
};

/** A full {@link TrainConfig} from `seed`, `steps` and any overrides of {@link TRAIN_DEFAULTS}. */
export function trainConfig(c: Partial<TrainConfig> & { seed: number; steps: number }): TrainConfig {
  const cfg = { ...TRAIN_DEFAULTS, ...c };
  const bad = (k: string, v: unknown) => new RangeError(`TrainConfig.${k}: invalid value ${v}`);
  if (!Number.isInteger(cfg.seed)) throw bad("seed", cfg.seed);
  if (!Number.isInteger(cfg.batchSize) || cfg.batchSize < 1) throw bad("batchSize", cfg.batchSize);
  if (!Number.isInteger(cfg.steps) || cfg.steps < 0) throw bad("steps", cfg.steps);
  if (!(cfg.lr > 0)) throw bad("lr", cfg.lr);
  if (!(cfg.warmupImages >= 0)) throw bad("warmupImages", cfg.warmupImages);
  if (!(cfg.emaHalflifeImages >= 0)) throw bad("emaHalflifeImages", cfg.emaHalflifeImages);
  if (cfg.emaRampup !== null && !(cfg.emaRampup > 0)) throw bad("emaRampup", cfg.emaRampup);
  if (!(cfg.pStd > 0)) throw bad("pStd", cfg.pStd);
  if (!(cfg.sigmaData > 0)) throw bad("sigmaData", cfg.sigmaData);
  if (cfg.converge !== undefined) {
    const r = cfg.converge;
    if (!Number.isInteger(r.minSteps) || r.minSteps < 1 || r.minSteps > cfg.steps) {
      throw bad("converge.minSteps", r.minSteps);
    }
    if (!(r.window > 0 && r.window < 1)) throw bad("converge.window", r.window);
    if (!(r.tolerance > 0)) throw bad("converge.tolerance", r.tolerance);
  }
  return cfg;
}

/** Learning rate of step `step` (0-based): lr·min(1, (step+1)·B / warmupImages). */
export function learningRate(cfg: TrainConfig, step: number): number {
  if (cfg.warmupImages <= 0) return cfg.lr;
  return cfg.lr * Math.min(1, ((step + 1) * cfg.batchSize) / cfg.warmupImages);
}

/** Steps needed to show `epochs` passes over `n` images at batch size `batchSize`: ⌈epochs·n/B⌉. */
export function epochsToSteps(epochs: number, n: number, batchSize: number): number {
  return Math.ceil((epochs * n) / batchSize);
}

/** Indices into the N training images of the minibatch of step `step` (see module doc). */
export function batchIndices(seed: number, step: number, batchSize: number, n: number): Int32Array {
  if (!(n >= 1)) throw new RangeError(`batchIndices: need at least one training image, got ${n}`);
  const out = new Int32Array(batchSize);
  let epoch = -1;
  let perm: Int32Array | null = null;
  for (let j = 0; j < batchSize; j++) {
    const k = step * batchSize + j;
    const e = Math.floor(k / n);
    if (e !== epoch) {
      epoch = e;
      perm = new Rng(deriveSeed(seed, ORDER_STREAM, e)).permutation(n);
    }
    out[j] = perm![k - e * n];
  }
  return out;
}

/** The state of a training run: configs, counters, and the tensors (as tfjs variables). */
export interface TrainState {
  /** Network config. */
  net: UNetConfig;
  /** Training config. */
  train: TrainConfig;
  /** Optimizer steps completed. */
  step: number;
  /** Images seen. */
  imagesSeen: number;
  /** Parameter names, in the network's fixed order. */
  names: string[];
  /** Shapes, in the same order. */
  shapes: number[][];
  /** The weights θ. */
  params: tf.Variable[];
  /** The EMA weights. */
  ema: tf.Variable[];
  /** Adam first moments. */
  adamM: tf.Variable[];
  /** Adam second moments. */
  adamV: tf.Variable[];
  /** Losses of the first steps (the divergence check's reference). */
  earlyLosses: number[];
  /** The run's record so far (lib/training/history.ts); empty when no monitor was given. */
  history: HistoryPoint[];
  /** Sum and count of the training losses since the last history record. */
  historyAcc: { sum: number; count: number };
}

let _uid = 0;

function _vars(arrays: NamedArray[], group: string, uid: number, trainable: boolean): tf.Variable[] {
  return arrays.map((a) =>
    tf.variable(tf.tensor(a.data, a.shape, "float32"), trainable, `hg${uid}/${group}/${a.name}`)
  );
}

/** Build a state from arrays (all four groups in the network's parameter order). */
function _stateFrom(
  net: UNetConfig,
  train: TrainConfig,
  groups: { params: NamedArray[]; ema: NamedArray[]; adamM: NamedArray[]; adamV: NamedArray[] },
  counters: {
    step: number;
    imagesSeen: number;
    earlyLosses: number[];
    history?: HistoryPoint[];
    historyAcc?: { sum: number; count: number };
  },
): TrainState {
  const uid = ++_uid;
  return {
    net,
    train,
    ...counters,
    history: counters.history ?? [],
    historyAcc: counters.historyAcc ?? { sum: 0, count: 0 },
    names: groups.params.map((a) => a.name),
    shapes: groups.params.map((a) => [...a.shape]),
    params: _vars(groups.params, "params", uid, true),
    ema: _vars(groups.ema, "ema", uid, false),
    adamM: _vars(groups.adamM, "adam.m", uid, false),
    adamV: _vars(groups.adamV, "adam.v", uid, false),
  };
}

/** A fresh training state: seeded initial weights, EMA = weights, zero Adam moments, step 0. */
export function createTrainState(net: UNetConfig, train: TrainConfig): TrainState {
  validateUNetConfig(net);
  const init = initUNet(net, deriveSeed(train.seed, INIT_STREAM));
  const zeros = init.map((a) => ({ ...a, data: new Float32Array(a.data.length) }));
  return _stateFrom(net, train, { params: init, ema: init, adamM: zeros, adamV: zeros }, {
    step: 0,
    imagesSeen: 0,
    earlyLosses: [],
  });
}

/** Dispose every tensor of a state. */
export function disposeTrainState(state: TrainState): void {
  for (const g of [state.params, state.ema, state.adamM, state.adamV]) g.forEach((v) => v.dispose());
}

/**
 * The state's tensors in checkpoint order: params/…, ema/…, adam.m/…, adam.v/… (float32 copies). Reads
 * synchronously: on webgpu only after an async read of each tensor (as {@link saveTrainState} does).
 */
export function stateTensors(state: TrainState): NamedArray[] {
  const out: NamedArray[] = [];
  const groups: [string, tf.Variable[]][] = [
    ["params", state.params],
    ["ema", state.ema],
    ["adam.m", state.adamM],
    ["adam.v", state.adamV],
  ];
  for (const [g, vs] of groups) {
    vs.forEach((v, i) => {
      out.push({
        name: `${g}/${state.names[i]}`,
        shape: [...state.shapes[i]],
        data: v.dataSync() as Float32Array,
      });
    });
  }
  return out;
}

/** Save a training state as a checkpoint directory (lib/training/checkpoint.ts format). */
export async function saveTrainState(dir: string, state: TrainState): Promise<CheckpointManifest> {
  // Read asynchronously first (a GPU backend caches the values, so stateTensors' reads then succeed).
  for (const g of [state.params, state.ema, state.adamM, state.adamV]) {
    await Promise.all(g.map((v) => v.data()));
  }
  return await writeCheckpoint(dir, {
    config: { net: state.net, train: state.train },
    step: state.step,
    imagesSeen: state.imagesSeen,
    seed: state.train.seed,
    extra: { earlyLosses: state.earlyLosses, history: state.history, historyAcc: state.historyAcc },
    tensors: stateTensors(state),
  });
}

/** Load a training state saved by {@link saveTrainState} (checks sizes, sha256 and tensor names). */
export async function loadTrainState(dir: string): Promise<TrainState> {
  const { manifest, tensors } = await readCheckpoint(dir);
  const net = manifest.config.net as UNetConfig;
  const train = trainConfig(manifest.config.train as TrainConfig);
  checkNetTensors(dir, net, tensors, ["params", "ema", "adam.m", "adam.v"]);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const names = unetParamSpecs(net).map((p) => p.name);
  const group = (g: string) =>
    names.map((n) => {
      const t = byName.get(`${g}/${n}`);
      if (!t) throw new Error(`${dir}/manifest.json: tensor ${g}/${n} is missing`);
      return { ...t, name: n };
    });
  const extra = manifest.extra as {
    earlyLosses?: number[];
    history?: HistoryPoint[];
    historyAcc?: { sum: number; count: number };
  };
  return _stateFrom(net, train, {
    params: group("params"),
    ema: group("ema"),
    adamM: group("adam.m"),
    adamV: group("adam.v"),
  }, {
    step: manifest.step,
    imagesSeen: manifest.imagesSeen,
    earlyLosses: extra.earlyLosses ?? [],
    history: extra.history ?? [],
    historyAcc: extra.historyAcc ?? { sum: 0, count: 0 },
  });
}

/** The tensor-level D_θ of a state, over its EMA weights (default) or its raw weights. */
export function stateDenoiser(state: TrainState, weights: "ema" | "params" = "ema"): TensorDenoiser {
  const vs = weights === "ema" ? state.ema : state.params;
  const p: Record<string, tf.Tensor> = {};
  state.names.forEach((n, i) => (p[n] = vs[i]));
  return edmDenoiser(unetNetwork(state.net, p), { sigmaData: state.train.sigmaData });
}

/**
 * Absolute bound on the EDM loss of one step: with EDM's preconditioning the loss of a network that
 * outputs zeros is about 1 per pixel, so 1e5 is far beyond any training that has not exploded.
 */
export const DIVERGENCE_MAX_LOSS = 1e5;

/** Raised when the loss is not finite or diverges; `step` is the (0-based) step that failed. */
export class TrainingDivergedError extends Error {
  /** Make the error for step `step` with loss `loss`. */
  constructor(readonly step: number, readonly loss: number, detail: string) {
    super(`training diverged at step ${step}: loss ${loss} ${detail}`);
    this.name = "TrainingDivergedError";
  }
}

/** Options of {@link train} that do not change the weights. */
export interface TrainOptions {
  /** Stop after this many completed steps (default: `train.steps`), e.g. to interrupt a run. */
  untilStep?: number;
  /** Steps (counts of completed steps) after which `onSnapshot` is called. */
  snapshotSteps?: readonly number[];
  /** Called with the state after each snapshot step. */
  onSnapshot?: (state: TrainState) => void | Promise<void>;
  /** Directory for periodic checkpoints (overwritten in place). */
  checkpointDir?: string;
  /** Write a checkpoint every this many steps (and at the end), when `checkpointDir` is set. */
  checkpointEvery?: number;
  /** Called after every step with its loss (e.g. for tests). */
  onStep?: (step: number, loss: number, state: TrainState) => void | Promise<void>;
  /** Progress lines: true (stderr via lib/progress.ts, silenced by HG_QUIET=1; default), false, or a function. */
  log?: boolean | ((line: string) => void);
  /** Seconds between progress lines (default 5). */
  logEverySec?: number;
  /** Prefix of progress lines (default "train"). */
  label?: string;
  /** Divergence threshold factor over the early median (default 1e3). */
  divergenceFactor?: number;
  /** Number of early steps whose median is the divergence reference (default 20). */
  divergenceWindow?: number;
  /**
   * Record the run's history every `every` steps with `measure` (lib/training/history.ts); the record
   * is part of the state, so it is saved in checkpoints and survives a resume. It does not change the
   * weights.
   */
  monitor?: { every: number; measure: Monitor };
  /** Absolute bound on a step's loss (default {@link DIVERGENCE_MAX_LOSS}). */
  maxLoss?: number;
}

/** What {@link train} reports. */
export interface TrainReport {
  /** Steps run by this call. */
  steps: number;
  /** Step counter at the end. */
  finalStep: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** Images per second over this call. */
  imagesPerSec: number;
  /** Loss of every step run by this call. */
  losses: Float64Array;
}

/** Name of the first parameter or EMA tensor holding a NaN or ±Inf, or null. */
async function _nonFinite(state: TrainState): Promise<string | null> {
  for (const [g, vs] of [["params", state.params], ["ema", state.ema]] as const) {
    for (let i = 0; i < vs.length; i++) {
      const a = await vs[i].data();
      for (let j = 0; j < a.length; j++) if (!Number.isFinite(a[j])) return `${g}/${state.names[i]}`;
    }
  }
  return null;
}

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

function _fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return "?";
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

/** tfjs backends whose tensors live on a GPU: the optimiser runs there as tfjs kernels. */
const _GPU_BACKENDS = new Set(["webgpu", "webgl"]);

/** Append a history record at the state's step (EMA weights) and reset the loss accumulator. */
function _record(state: TrainState, measure: Monitor): void {
  const { train, heldOut } = measure(stateDenoiser(state, "ema"));
  const acc = state.historyAcc;
  state.history.push({
    step: state.step,
    loss: acc.count ? acc.sum / acc.count : NaN,
    train,
    heldOut,
    heldOutLoss: finiteMean(heldOut),
  });
  state.historyAcc = { sum: 0, count: 0 };
}

/** True when the state's history meets the stop rule at its last record, at or after `minSteps`. */
function _ruleMet(state: TrainState, rule: StopRule): boolean {
  const last = state.history[state.history.length - 1];
  return last !== undefined && last.step === state.step && state.step >= rule.minSteps &&
    convergence(state.history, rule).converged;
}

/** Float32 rows of the images, checked against the network geometry. */
export function trainingPixels(data: ImageSet, net: UNetConfig): Float32Array {
  if (data.height !== net.resolution || data.width !== net.resolution || data.channels !== net.channels) {
    throw new RangeError(
      `train: data ${data.name} is ${data.height}×${data.width}×${data.channels}, the network expects ` +
        `${net.resolution}×${net.resolution}×${net.channels}`,
    );
  }
  for (let i = 0; i < data.data.length; i++) {
    if (!Number.isFinite(data.data[i])) {
      throw new RangeError(
        `train: data ${data.name} has a non-finite value at image ${Math.floor(i / data.d)}`,
      );
    }
  }
  return Float32Array.from(data.data);
}

/**
 * Train `state` in place on `data` from `state.step` up to `opts.untilStep ?? state.train.steps`
 * (EDM objective, docs/paper.md "EDM training and sampling"; see the module doc for determinism,
 * warm-up and divergence). Resolves with a report; rejects with {@link TrainingDivergedError}.
 *
 * @example
 * ```ts
 * import { createTrainState, initBackend, loadImages, stateDenoiser, train, trainConfig } from "../../mod.ts";
 * await initBackend("wasm");
 * const data = await loadImages("mnist", "train", { n: 64, size: 16 });
 * const state = createTrainState(
 *   { resolution: 16, channels: 1, baseChannels: 8, attention: false, dropout: 0 },
 *   trainConfig({ seed: 1, steps: 200 }),
 * );
 * await train(state, data); // the EDM objective, Adam, EMA
 * const D = stateDenoiser(state); // D_θ on the EMA weights
 * ```
 */
export async function train(
  state: TrainState,
  data: ImageSet,
  opts: TrainOptions = {},
): Promise<TrainReport> {
  registerTrainingGradients();
  const cfg = state.train;
  const net = state.net;
  const pixels = trainingPixels(data, net);
  const n = data.n;
  const d = data.d;
  const B = cfg.batchSize;
  const R = net.resolution;
  const shape4: [number, number, number, number] = [B, R, R, net.channels];
  const until = Math.min(opts.untilStep ?? cfg.steps, cfg.steps);
  if (cfg.converge && !opts.monitor) {
    throw new Error("train: TrainConfig.converge needs a history monitor (TrainOptions.monitor)");
  }
  // A run resumed after its rule already stopped it has nothing left to do.
  let stopped = cfg.converge ? _ruleMet(state, cfg.converge) : false;
  const snapshots = new Set(opts.snapshotSteps ?? []);
  const window = opts.divergenceWindow ?? 20;
  const factor = opts.divergenceFactor ?? 1e3;
  const maxLoss = opts.maxLoss ?? DIVERGENCE_MAX_LOSS;
  const logFn = opts.log === false ? null : typeof opts.log === "function" ? opts.log : _progressLog;
  const logEvery = (opts.logEverySec ?? 5) * 1000;
  const label = opts.label ?? "train";
  const denoise = stateDenoiser(state, "params");
  const adamCfg = { beta1: cfg.adamBeta1, beta2: cfg.adamBeta2, epsilon: cfg.adamEpsilon };
  const y = new Float32Array(B * d);

  const startStep = state.step;
  const losses = new Float64Array(Math.max(0, until - startStep));
  const t0 = performance.now();
  let lastLog = t0;
  let lastYield = t0;
  let runSum = 0;
  let runCount = 0;

  while (state.step < until && !stopped) {
    const s = state.step;
    const idx = batchIndices(cfg.seed, s, B, n);
    for (let j = 0; j < B; j++) y.set(pixels.subarray(idx[j] * d, (idx[j] + 1) * d), j * d);
    const noise = drawTrainingNoise(cfg.seed, s, B, d, cfg);
    const { value, grads } = tf.tidy(() => {
      const yt = tf.tensor4d(y, shape4);
      const st = tf.tensor1d(noise.sigma);
      const et = tf.tensor4d(noise.eps, shape4);
      return tf.variableGrads(() => edmLoss(denoise, yt, st, et, cfg.sigmaData), state.params);
    });
    const loss = (await value.data())[0]; // async: a GPU backend (webgpu) cannot read synchronously
    value.dispose();
    let bad: string | null = null;
    if (!Number.isFinite(loss)) bad = "(not finite)";
    else if (loss > maxLoss) bad = `(> the absolute bound ${maxLoss} of the EDM loss)`;
    else if (state.earlyLosses.length >= 1 && loss > factor * state.earlyLosses[0]) {
      bad = `(> ${factor} × the step-0 loss ${state.earlyLosses[0].toPrecision(4)})`;
    } else if (state.earlyLosses.length >= window) {
      const med = _median(state.earlyLosses);
      if (loss > factor * med) {
        bad = `(> ${factor} × the median ${med.toPrecision(4)} of the first ${window} steps)`;
      }
    }
    if (bad !== null) {
      tf.dispose(grads);
      const where = opts.checkpointDir ? `; last checkpoint left in ${opts.checkpointDir}` : "";
      throw new TrainingDivergedError(s, loss, bad + where);
    }
    const g = state.params.map((v) => grads[v.name]);
    // Adam then the EMA, fused (lib/training/fused_adam.ts: the same bits as adamStep + emaUpdate) on the
    // CPU backends; on a GPU backend (webgpu, which cannot read tensors synchronously under Deno) as tfjs
    // kernels on the device.
    const beta = emaBeta(B, state.imagesSeen + B, cfg.emaHalflifeImages, cfg.emaRampup);
    const step = _GPU_BACKENDS.has(tf.getBackend()) ? unfusedAdamEmaStep : fusedAdamEmaStep;
    step(
      state.params,
      g,
      state.adamM,
      state.adamV,
      state.ema,
      s + 1,
      learningRate(cfg, s),
      beta,
      adamCfg,
    );
    tf.dispose(grads);
    state.step = s + 1;
    state.imagesSeen += B;
    if (state.earlyLosses.length < window) state.earlyLosses.push(loss);
    losses[s - startStep] = loss;
    if (opts.monitor) {
      state.historyAcc.sum += loss;
      state.historyAcc.count++;
      if (state.step % opts.monitor.every === 0) {
        _record(state, opts.monitor.measure);
        if (cfg.converge) stopped = _ruleMet(state, cfg.converge);
      }
    }
    runSum += loss;
    runCount++;

    if (opts.onStep) await opts.onStep(s, loss, state);
    const snap = snapshots.has(state.step) && opts.onSnapshot;
    const ckpt = opts.checkpointDir && opts.checkpointEvery &&
      (state.step % opts.checkpointEvery === 0 || state.step === until || stopped);
    if (snap || ckpt) {
      const bad = await _nonFinite(state);
      if (bad !== null) {
        const where = opts.checkpointDir ? `; last checkpoint left in ${opts.checkpointDir}` : "";
        throw new TrainingDivergedError(s, loss, `(${bad} is not finite after the update${where})`);
      }
    }
    if (snap) await opts.onSnapshot!(state);
    if (ckpt) await saveTrainState(opts.checkpointDir!, state);
    const now = performance.now();
    if (now - lastYield > 1000) {
      // Let timers run (e.g. the cache lock's heartbeat) during long synchronous training.
      await new Promise((r) => setTimeout(r, 0));
      lastYield = performance.now();
    }
    if (stopped && logFn) {
      logFn(`[${label}] step ${state.step}: held-out loss converged; stopping (cap ${until})`);
    }
    if (logFn && (now - lastLog >= logEvery || state.step === until)) {
      const done = state.step - startStep;
      const rate = (done * B) / ((now - t0) / 1000);
      const eta = ((until - state.step) * B) / rate;
      logFn(
        `[${label}] step ${state.step}/${until}  loss ${(runSum / runCount).toFixed(4)}  ` +
          `${rate.toFixed(0)} img/s  ETA ${_fmtTime(eta)}`,
      );
      lastLog = now;
      runSum = 0;
      runCount = 0;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const steps = state.step - startStep;
  return {
    steps,
    finalStep: state.step,
    seconds,
    imagesPerSec: (steps * B) / Math.max(seconds, 1e-9),
    losses,
  };
}
