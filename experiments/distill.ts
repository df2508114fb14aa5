/**
 * D_L, the best linear approximation of a zoo model's D_θ at one σ (docs/paper.md "Objects"), shared by
 * C2, C3, C4 and C5. The paper learns W_σ, b_σ by gradient descent on E‖W(y+σε)+b − D_θ(y+σε; σ)‖² over
 * training images y and fresh noise ε; here D_L is that objective's exact minimiser over a fixed sample
 * of ⌈samples / N⌉ noise draws per training image (lib/denoisers/linear.ts `leastSquaresLinear`), which
 * is the point gradient descent converges to (C10 (a) measures that convergence for the clean target).
 * Fits are memoised per process, so the claims that share a model share its D_L.
 *
 * @module
 */
import type { Denoiser } from "../lib/types.ts";
import { leastSquaresLinear } from "../lib/denoisers/linear.ts";
import { loadDenoiser, type TrainedModel } from "../lib/training/model.ts";
import { deriveSeed } from "../lib/rng.ts";
import { log } from "../lib/progress.ts";
import type { Context } from "./_harness.ts";
import type { Batch } from "../lib/types.ts";
import { applyDenoiser, noisyProbes } from "../lib/metrics/probes.ts";
import { scoreDifferenceFromOutputs } from "../lib/metrics/score_difference.ts";
import { ZOO_SEEDS, type ZooReferences } from "./zoo.ts";

/** Seed of the distillation noise; σ's own seed is deriveSeed(DISTILL_SEED, round(σ·10⁶)). */
export const DISTILL_SEED = 6071;

/** D_L at one σ. */
export interface LinearFit {
  /** Noise level σ. */
  sigma: number;
  /** W_σ (d × d row-major). */
  W: Float64Array;
  /** b_σ. */
  b: Float64Array;
  /** D_L(x; σ) = W_σ x + b_σ. */
  denoiser: Denoiser;
  /** Noise draws per training image. */
  draws: number;
}

const _fits = new Map<string, Promise<LinearFit>>();

/** Noise draws per training image so that N · draws ≥ samples. */
export function drawsFor(n: number, samples: number): number {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`experiments/distill.ts: samples must be an integer ≥ 1, got ${samples}`);
  }
  return Math.ceil(samples / n);
}

/**
 * D_L of `model` (its EMA weights, as EDM evaluates) at each σ of `sigmas`, fitted on its training
 * images `refs.train` with ⌈samples / N⌉ noise draws per image; memoised per (model, σ, samples).
 */
export async function zooLinear(
  ctx: Context,
  model: TrainedModel,
  refs: ZooReferences,
  sigmas: readonly number[],
  samples: number,
): Promise<LinearFit[]> {
  const draws = drawsFor(refs.train.n, samples);
  const keyOf = (s: number) => `${model.key}/${refs.train.n}/${s}/${draws}`;
  const missing = sigmas.filter((s) => !_fits.has(keyOf(s)));
  if (missing.length > 0) {
    const loaded = loadDenoiser(model.dir, { weights: "ema" });
    let prev: Promise<unknown> = loaded;
    for (const sigma of missing) {
      // One fit after another: each waits for the previous one (settled either way).
      const p = prev.catch(() => {}).then(async () => {
        const D = await loaded;
        const t0 = performance.now();
        const [fit] = await leastSquaresLinear({
          train: refs.train,
          sigma,
          target: D.denoiser,
          draws: [draws],
          seed: deriveSeed(DISTILL_SEED, Math.round(sigma * 1e6)),
        });
        log(
          `${ctx.claim}: D_L of model ${model.key.slice(0, 12)} at σ = ${sigma} from ${refs.train.n} × ` +
            `${draws} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        return { sigma, W: fit.W, b: fit.b, denoiser: fit.denoiser, draws };
      });
      prev = p;
      p.catch(() => _fits.delete(keyOf(sigma)));
      _fits.set(keyOf(sigma), p);
    }
    // Free the weights when the last fit is done.
    Promise.allSettled(missing.map((s) => _fits.get(keyOf(s))!)).then(async () => (await loaded).dispose())
      .catch(() => {});
  }
  const out: LinearFit[] = [];
  for (const s of sigmas) out.push(await _fits.get(keyOf(s))!);
  return out;
}

/**
 * RMSE(D_L, D_G) (eq. 10) at each fit's σ, on the noisy held-out probes of the zoo (noise seeded by
 * {@link ZOO_SEEDS}.probes, as every zoo distance): C3 and C5 measure D_L against D_G this way.
 */
export async function linearToGaussian(
  fits: readonly LinearFit[],
  refs: ZooReferences,
  probes: Batch,
): Promise<number[]> {
  const out: number[] = [];
  for (const { sigma, denoiser } of fits) {
    const x = noisyProbes(probes, sigma, ZOO_SEEDS.probes);
    const g = await applyDenoiser(refs.DG, x, sigma, 256);
    out.push(scoreDifferenceFromOutputs(await applyDenoiser(denoiser, x, sigma, 256), g).rmse);
  }
  return out;
}

/**
 * A denoiser defined by one D_L per σ of a schedule (C4's sampler): calling it at a σ with no fit is
 * an error naming the σ.
 */
export function piecewiseLinearDenoiser(fits: readonly LinearFit[]): Denoiser {
  const by = new Map(fits.map((f) => [f.sigma, f.denoiser]));
  return (x, sigma) => {
    const D = by.get(sigma);
    if (!D) {
      throw new RangeError(
        `experiments/distill.ts: no D_L at σ = ${sigma} (fitted at ${fits.map((f) => f.sigma).join(", ")})`,
      );
    }
    return D(x, sigma);
  };
}
