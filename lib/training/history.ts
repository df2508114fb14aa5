/**
 * A training run's record: every `every` steps, the mean training loss since the last record and the EDM
 * loss of the EMA weights at fixed noise levels on a fixed batch of training images and a fixed batch of
 * held-out images ({@link historyMonitor}); and the convergence rule read off that record
 * ({@link convergence}).
 *
 * The per-level losses use the EDM loss λ(σ)‖D(y+σε; σ) − y‖² (lib/training/loss.ts) with σ fixed to
 * each monitor level and ε drawn once from a seeded stream, so two records differ only because the
 * weights differ. The held-out loss of a record is the mean of its per-level held-out losses.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deriveSeed, Rng } from "../rng.ts";
import { edmLoss } from "./loss.ts";
import type { TensorDenoiser } from "../denoisers/edm.ts";

/** Stream of the monitor's fixed noise (distinct from the training noise and batch streams). */
export const MONITOR_STREAM = 0x6d6f6e69; // "moni"

/** One record of a run. */
export interface HistoryPoint {
  /** Steps completed when it was taken. */
  step: number;
  /** Mean training loss (EDM objective, the step's own random σ) over the steps since the last record. */
  loss: number;
  /** EDM loss of the EMA weights at each monitor σ on the fixed training batch. */
  train: number[];
  /** The same on the fixed held-out batch. */
  heldOut: number[];
  /** Mean of `heldOut` over the monitor levels: the held-out denoising loss. */
  heldOutLoss: number;
}

/** What a run's history is taken with (recorded beside it so it can be read without the code). */
export interface HistorySettings {
  /** Steps between records. */
  every: number;
  /** Monitor noise levels σ. */
  sigmas: number[];
  /** Training images in the fixed training batch. */
  nTrain: number;
  /** Held-out images in the fixed held-out batch (none: `heldOut` holds NaN). */
  nHeldOut: number;
  /** Where the held-out images come from, in words (e.g. "test split, images 256…319"). */
  heldOutSource: string;
  /** Seed of the fixed noise. */
  seed: number;
}

/** The convergence rule: the held-out loss changed by less than `tolerance` over the last `window` of the steps. */
export interface ConvergenceRule {
  /** Fraction of the run's steps the change is measured over (e.g. 0.2: the last 20%). */
  window: number;
  /** Largest relative change |L(T) − L((1 − window)·T)| / L(T) that counts as converged (e.g. 0.01). */
  tolerance: number;
}

/** The rule this project states: held-out loss changed < 1% over the last 20% of steps. */
export const CONVERGENCE_RULE: Readonly<ConvergenceRule> = Object.freeze({ window: 0.2, tolerance: 0.01 });

/** The rule applied to a history. */
export interface ConvergenceCheck {
  /** True when the rule is met at the last record. */
  converged: boolean;
  /** Relative change of the held-out loss over the window (NaN when the history is too short). */
  change: number;
  /** Steps of the two records compared. */
  from: number;
  /** Last step. */
  to: number;
  /** The rule. */
  rule: ConvergenceRule;
}

/**
 * Read the convergence rule off a history: compare the held-out loss at the last record (step T) with
 * the record nearest to step (1 − window)·T.
 * @example
 * ```ts
 * const check = convergence(history);
 * if (!check.converged) console.error(`held-out loss still moved ${(100 * check.change).toFixed(1)}%`);
 * ```
 */
export function convergence(
  history: readonly HistoryPoint[],
  rule: ConvergenceRule = CONVERGENCE_RULE,
): ConvergenceCheck {
  const last = history[history.length - 1];
  if (!last || history.length < 2) {
    return { converged: false, change: NaN, from: 0, to: last?.step ?? 0, rule };
  }
  const target = (1 - rule.window) * last.step;
  let ref = history[0];
  for (const h of history) if (Math.abs(h.step - target) < Math.abs(ref.step - target)) ref = h;
  const change = Math.abs(last.heldOutLoss - ref.heldOutLoss) / last.heldOutLoss;
  return {
    converged: ref.step < last.step && Number.isFinite(change) && change < rule.tolerance,
    change,
    from: ref.step,
    to: last.step,
    rule,
  };
}

/** A function that measures the per-level losses of a denoiser: the monitor of a run. */
export type Monitor = (denoise: TensorDenoiser) => { train: number[]; heldOut: number[] };

/**
 * The monitor of a run: the EDM loss at each of `settings.sigmas` on fixed batches of training and
 * held-out images (float32 rows, H×W×C each), with noise fixed by `settings.seed`.
 */
export function historyMonitor(
  shape: { height: number; width: number; channels: number; sigmaData: number },
  train: Float32Array,
  heldOut: Float32Array,
  settings: HistorySettings,
): Monitor {
  const d = shape.height * shape.width * shape.channels;
  const batches = [train.subarray(0, settings.nTrain * d), heldOut.subarray(0, settings.nHeldOut * d)];
  const noise = batches.map((b, k) => {
    const rng = new Rng(deriveSeed(settings.seed, MONITOR_STREAM, k));
    const e = new Float32Array(b.length);
    for (let i = 0; i < e.length; i++) e[i] = rng.normal();
    return e;
  });
  return (denoise) => {
    const [tr, ho] = batches.map((y, k) => {
      const n = y.length / d;
      if (n === 0) return settings.sigmas.map(() => NaN);
      const s4 = [n, shape.height, shape.width, shape.channels] as [number, number, number, number];
      return settings.sigmas.map((sigma) => {
        const v = tf.tidy(() =>
          edmLoss(
            denoise,
            tf.tensor4d(y, s4),
            tf.fill([n], sigma) as tf.Tensor1D,
            tf.tensor4d(noise[k], s4),
            shape.sigmaData,
          )
        );
        const out = v.dataSync()[0];
        v.dispose();
        return out;
      });
    });
    return { train: tr, heldOut: ho };
  };
}

/** The mean of the finite entries of `xs` (NaN when none is finite). */
export function finiteMean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n ? s / n : NaN;
}
