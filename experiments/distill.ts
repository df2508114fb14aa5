/**
 * D_L, the best linear approximation of a zoo model's D_θ at one σ (the paper's linear distillation,
 * Section 3), shared by C2, C3, C4 and C5. The paper learns W_σ, b_σ by gradient descent on
 * E‖W(y+σε)+b − D_θ(y+σε; σ)‖² over images y from outside the model's training set and fresh noise ε; here
 * D_L is that objective's exact minimiser over a fixed sample of ⌈samples / M⌉ noise draws per image
 * (lib/denoisers/linear.ts `leastSquaresLinear`), the point gradient descent converges to (C10 (a)
 * measures that convergence for the clean target).
 *
 * Which images (`FitSet`): `heldOut` (the default, as the authors fit): M test-split images after the
 * probes and the training history's held-out images, so disjoint from both; `heldOutA` / `heldOutB`: its
 * two halves, whose disagreement measures the fit's own noise ({@link fitNoise}); `train`: the model's
 * own training images, kept as a named control. On noisy training inputs the best linear fit of the
 * training set's optimal denoiser D_M is exactly D_G (E[(y − E[y|x]) xᵀ] = 0, Theorem 1 for the empirical
 * distribution), so a training-image fit makes "D_L ≈ D_G" hold by construction for any near-optimal
 * denoiser, memorisers included; tests/denoisers/heldout_fact.test.ts checks that fact.
 * Fits are memoised per process, so the claims that share a model share its D_L.
 *
 * @module
 */
import type { Denoiser, ImageSet } from "../lib/types.ts";
import { imageRange } from "../lib/data/transform.ts";
import { leastSquaresLinear } from "../lib/denoisers/linear.ts";
import { loadDenoiser, type TrainedModel } from "../lib/training/model.ts";
import { deriveSeed } from "../lib/rng.ts";
import { log } from "../lib/progress.ts";
import { type Context, loadImages } from "./_harness.ts";
import type { Batch } from "../lib/types.ts";
import { applyDenoiser, noisyProbes } from "../lib/metrics/probes.ts";
import { scoreDifferenceFromOutputs } from "../lib/metrics/score_difference.ts";
import { ZOO_SEEDS } from "./zoo.ts";
import type { ZooReferences } from "./references.ts";

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

/** The images a D_L is fitted on (see the module doc). */
export type FitSet = "heldOut" | "heldOutA" | "heldOutB" | "train";

const _fitImages = new Map<string, Promise<ImageSet>>();

/**
 * The held-out fit images of the context: `distill.fitImages` test-split images from index
 * `zoo.nProbe + zoo.historyHeldOut` on (after the probes and the history's held-out batch).
 */
export function heldOutFitImages(ctx: Context): Promise<ImageSet> {
  const z = ctx.profile.zoo;
  const m = ctx.profile.distill.fitImages;
  const key = `${ctx.dataset}/${z.resolution}/${m}`;
  let p = _fitImages.get(key);
  if (!p) {
    p = loadImages(ctx, "test", m, z.resolution, z.nProbe + z.historyHeldOut);
    p.catch(() => _fitImages.delete(key));
    _fitImages.set(key, p);
  }
  return p;
}

async function _imagesFor(ctx: Context, refs: ZooReferences, on: FitSet): Promise<ImageSet> {
  if (on === "train") return refs.train;
  const all = await heldOutFitImages(ctx);
  const half = Math.floor(all.n / 2);
  return on === "heldOut" ? all : on === "heldOutA" ? imageRange(all, 0, half) : imageRange(all, half, half);
}

/** Noise draws per training image so that N · draws ≥ samples. */
export function drawsFor(n: number, samples: number): number {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`experiments/distill.ts: samples must be an integer ≥ 1, got ${samples}`);
  }
  return Math.ceil(samples / n);
}

/**
 * D_L of `model` (its EMA weights, as EDM evaluates) at each σ of `sigmas`, fitted on the images `on`
 * (default: held-out) with ⌈samples / M⌉ noise draws per image; memoised per (model, images, σ, samples).
 */
export function zooLinear(
  ctx: Context,
  model: TrainedModel,
  refs: ZooReferences,
  sigmas: readonly number[],
  samples: number,
  on: FitSet = "heldOut",
): Promise<LinearFit[]> {
  return _linear(
    ctx,
    `${model.key}/${refs.train.n}`,
    () => loadDenoiser(model.dir, { weights: "ema" }),
    refs,
    sigmas,
    samples,
    on,
  );
}

/**
 * D_L of the memoriser D_M of `refs` (the training set's optimal denoiser) fitted on the held-out
 * images: the baseline of a perfect memoriser's linear part (C5).
 */
export function memoriserLinear(
  ctx: Context,
  refs: ZooReferences,
  sigmas: readonly number[],
  samples: number,
): Promise<LinearFit[]> {
  const key = `DM/${ctx.dataset}/${refs.train.name}/${refs.train.n}`;
  return _linear(
    ctx,
    key,
    () => Promise.resolve({ denoiser: refs.DM, dispose: () => {} }),
    refs,
    sigmas,
    samples,
    "heldOut",
  );
}

async function _linear(
  ctx: Context,
  id: string,
  load: () => Promise<{ denoiser: Denoiser; dispose(): void }>,
  refs: ZooReferences,
  sigmas: readonly number[],
  samples: number,
  on: FitSet,
): Promise<LinearFit[]> {
  const images = await _imagesFor(ctx, refs, on);
  const draws = drawsFor(images.n, samples);
  const keyOf = (s: number) => `${id}/${on}/${images.n}/${s}/${draws}`;
  const missing = sigmas.filter((s) => !_fits.has(keyOf(s)));
  if (missing.length > 0) {
    const loaded = load();
    let prev: Promise<unknown> = loaded;
    for (const sigma of missing) {
      // One fit after another: each waits for the previous one (settled either way).
      const p = prev.catch(() => {}).then(async () => {
        const D = await loaded;
        const t0 = performance.now();
        const [fit] = await leastSquaresLinear({
          train: images,
          sigma,
          target: D.denoiser,
          draws: [draws],
          seed: deriveSeed(DISTILL_SEED, Math.round(sigma * 1e6)),
        });
        log(
          `${ctx.claim}: D_L of ${id.slice(0, 12)} at σ = ${sigma} from ${images.n} ${on} images × ` +
            `${draws} draws in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
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
 * The fit's own noise at each σ: half the RMSE (eq. 10, on the noisy probes) between the D_L fitted on the
 * two disjoint halves of the held-out fit images. Each half-fit's error is √2 times the full fit's, and
 * two independent half-fits differ by √2 times a half-fit's error, so half their RMSE estimates the
 * full fit's deviation from the D_L of infinitely many samples.
 */
export async function fitNoise(
  ctx: Context,
  model: TrainedModel,
  refs: ZooReferences,
  sigmas: readonly number[],
  samples: number,
  probes: Batch,
): Promise<number[]> {
  const a = await zooLinear(ctx, model, refs, sigmas, samples / 2, "heldOutA");
  const b = await zooLinear(ctx, model, refs, sigmas, samples / 2, "heldOutB");
  const out: number[] = [];
  for (const [k, sigma] of sigmas.entries()) {
    const x = noisyProbes(probes, sigma, ZOO_SEEDS.probes);
    const da = await applyDenoiser(a[k].denoiser, x, sigma, 256);
    out.push(scoreDifferenceFromOutputs(await applyDenoiser(b[k].denoiser, x, sigma, 256), da).rmse / 2);
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
