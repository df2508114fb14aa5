/**
 * Comparing a trained denoiser D_θ with closed-form ones (C11): the fraction of D_θ's output variance a
 * closed-form denoiser explains, its uncentred variant, the per-σ patch-size calibration of the patch
 * denoisers, and the passes that evaluate every closed-form denoiser of a training set on noisy probes.
 *
 * r²(σ) = 1 − Σ_i ‖D_θ(x_i) − D(x_i)‖² / Σ_i ‖D_θ(x_i) − mean_i D_θ(x_i)‖², centred by the mean output over
 * the probes (the coefficient of determination); Wang & Vastola (TMLR 2024) report the uncentred
 * 1 − Σ‖D_θ − D‖²/Σ‖D_θ‖², given here too so that their numbers can be set beside ours.
 *
 * @module
 */
import { type Batch, batch, type ImageSet } from "../types.ts";
import { fitGaussian, gaussianDenoiser, type GaussianModel } from "../denoisers/gaussian.ts";
import { multiDeltaDenoiser } from "../denoisers/multi_delta.ts";
import { fitGaussianMixture, gaussianMixtureDenoiser } from "../denoisers/gaussian_mixture.ts";
import { localScoreAll } from "../denoisers/local_score.ts";
import { equivariantLocalScoreAll, equivariantPatchSet } from "../denoisers/equivariant_local_score.ts";
import { pcaLocalityDenoiser } from "../denoisers/pca_locality.ts";
import { applyDenoiser } from "./probes.ts";
import { log } from "../progress.ts";

const _WHERE = "lib/metrics/closed_form.ts";

function _same(a: Batch, b: Batch, what: string): void {
  if (a.n !== b.n || a.d !== b.d || a.n === 0) {
    throw new RangeError(`${_WHERE} ${what}: batches ${a.n}×${a.d} and ${b.n}×${b.d} differ or are empty`);
  }
}

/** r² = 1 − Σ‖target − estimate‖² / Σ‖target − mean(target)‖² over the rows (centred per coordinate). */
export function explainedVariance(target: Batch, estimate: Batch): number {
  _same(target, estimate, "explainedVariance");
  const { n, d } = target;
  const mu = new Float64Array(d);
  for (let i = 0; i < n * d; i++) mu[i % d] += target.data[i] / n;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n * d; i++) {
    res += (target.data[i] - estimate.data[i]) ** 2;
    tot += (target.data[i] - mu[i % d]) ** 2;
  }
  return tot > 0 ? 1 - res / tot : res === 0 ? 1 : -Infinity;
}

/** Wang & Vastola's uncentred explained variance 1 − Σ‖target − estimate‖² / Σ‖target‖². */
export function uncentredExplainedVariance(target: Batch, estimate: Batch): number {
  _same(target, estimate, "uncentredExplainedVariance");
  let res = 0;
  let tot = 0;
  for (let i = 0; i < target.data.length; i++) {
    res += (target.data[i] - estimate.data[i]) ** 2;
    tot += target.data[i] ** 2;
  }
  return tot > 0 ? 1 - res / tot : res === 0 ? 1 : -Infinity;
}

/** Index of the candidate output with the lowest mean squared error against `target` (first on ties). */
export function calibrate(candidates: readonly Batch[], target: Batch): number {
  if (candidates.length === 0) throw new RangeError(`${_WHERE} calibrate: no candidates`);
  let best = 0;
  let bestErr = Infinity;
  for (const [k, c] of candidates.entries()) {
    _same(c, target, "calibrate");
    let e = 0;
    for (let i = 0; i < c.data.length; i++) e += (c.data[i] - target.data[i]) ** 2;
    if (e < bestErr) {
      bestErr = e;
      best = k;
    }
  }
  return best;
}

/** A per-σ rule from values given at grid levels: the value at the grid level nearest σ in log σ. */
export function nearestLevelRule(
  sigmas: readonly number[],
  values: readonly number[],
): (sigma: number) => number {
  if (sigmas.length !== values.length || sigmas.length === 0) {
    throw new RangeError(`${_WHERE} nearestLevelRule: ${values.length} values for ${sigmas.length} levels`);
  }
  return (sigma: number) => {
    let k = 0;
    let best = Infinity;
    const ls = Math.log(Math.max(sigma, 1e-12));
    for (let i = 0; i < sigmas.length; i++) {
      const dl = Math.abs(Math.log(sigmas[i]) - ls);
      if (dl < best) {
        best = dl;
        k = i;
      }
    }
    return values[k];
  };
}

/** Mean and spread (sample standard deviation; 0 for one value) of a list. */
export function meanAndSpread(values: readonly number[]): { mean: number; spread: number } {
  if (values.length === 0) throw new RangeError(`${_WHERE} meanAndSpread: no values`);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, spread: 0 };
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, spread: Math.sqrt(v) };
}

/** What {@link closedFormOutputs} and {@link patchDenoiserOutputs} evaluate. */
export interface ClosedFormSettings {
  /** Mixture sizes K (each capped at N). */
  gmmK: readonly number[];
  /** Seed of the k-means initialisation. */
  gmmSeed: number;
  /** Most patches in ELS's set (a seeded subsample beyond it). */
  elsMaxPatches: number;
  /** Seed of that subsample. */
  elsSeed: number;
  /** PCA-locality thresholds τ. */
  taus: readonly number[];
}

/** The closed-form denoisers without a patch size, on the noisy probes of each σ. */
export interface ClosedFormOutputs {
  /** Per σ: D_G, D_M, each mixture (`GMM-K`, in `gmmK` order) and each PCA-locality τ (`PCA-loc τ=…`). */
  fixed: { name: string; out: Batch[] }[];
  /** Mixture sizes actually fitted (K capped at N, empty clusters dropped). */
  gmmComponents: number[];
}

/**
 * Evaluate D_G, D_M, the mixtures and PCA-locality at each τ of `train` on `xs[k]`, the noisy probes at
 * `sigmas[k]`.
 */
export async function closedFormOutputs(
  train: ImageSet,
  gaussian: GaussianModel | null,
  xs: readonly Batch[],
  sigmas: readonly number[],
  s: ClosedFormSettings,
  label = "closed-form",
): Promise<ClosedFormOutputs> {
  if (xs.length !== sigmas.length) {
    throw new RangeError(`${_WHERE}: ${xs.length} inputs for ${sigmas.length} σ`);
  }
  const g = gaussian ?? fitGaussian(train);
  const run = async (name: string, D: (x: Batch, s: number) => Batch | Promise<Batch>) => {
    const t0 = performance.now();
    const out: Batch[] = [];
    for (const [k, x] of xs.entries()) out.push(await applyDenoiser(D, x, sigmas[k], 256));
    log(`${label}: ${name} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { name, out };
  };
  const fixed = [await run("D_G", gaussianDenoiser(g)), await run("D_M", multiDeltaDenoiser(train))];
  const gmmComponents: number[] = [];
  for (const K of s.gmmK) {
    const model = fitGaussianMixture(train, K, { seed: s.gmmSeed });
    gmmComponents.push(model.components.length);
    fixed.push(await run(`GMM-${K}`, gaussianMixtureDenoiser(model)));
  }
  for (const tau of s.taus) fixed.push(await run(`PCA-loc τ=${tau}`, pcaLocalityDenoiser(train, g, tau)));
  return { fixed, gmmComponents };
}

/** LS and ELS outputs per σ, by patch side. */
export interface PatchOutputs {
  /** Per σ: LS output by patch side. */
  ls: Map<number, Batch>[];
  /** Per σ: ELS output by patch side. */
  els: Map<number, Batch>[];
  /** Patches in ELS's set, and whether it is a subsample. */
  elsPatches: { count: number; subsampled: boolean };
}

/**
 * LS and ELS of `train` on `xs[k]` (noisy probes at `sigmas[k]`) at the patch sides `lsSizes[k]` and
 * `elsSizes[k]` of each σ (lib/denoisers/local_score.ts, equivariant_local_score.ts).
 */
export function patchDenoiserOutputs(
  train: ImageSet,
  xs: readonly Batch[],
  sigmas: readonly number[],
  lsSizes: readonly (readonly number[])[],
  elsSizes: readonly (readonly number[])[],
  s: ClosedFormSettings,
  label = "closed-form",
): PatchOutputs {
  if (xs.length !== sigmas.length || lsSizes.length !== sigmas.length || elsSizes.length !== sigmas.length) {
    throw new RangeError(`${_WHERE} patchDenoiserOutputs: inputs and patch lists must have one entry per σ`);
  }
  const shape = { height: train.height, width: train.width, channels: train.channels };
  const byPatch = (sizes: readonly number[], outs: Batch[]) => new Map(sizes.map((P, i) => [P, outs[i]]));
  let t0 = performance.now();
  const ls = xs.map((x, k) => byPatch(lsSizes[k], localScoreAll(train, shape, x, sigmas[k], lsSizes[k])));
  log(`${label}: LS on ${xs[0].n} probes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  const set = equivariantPatchSet(train, shape, { maxPatches: s.elsMaxPatches, seed: s.elsSeed });
  const els = xs.map((x, k) =>
    byPatch(elsSizes[k], equivariantLocalScoreAll(set, x, sigmas[k], elsSizes[k]))
  );
  log(`${label}: ELS on ${xs[0].n} probes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ls, els, elsPatches: { count: set.image.length, subsampled: set.subsampled } };
}

/** Rows `from` … `to − 1` of a batch, copied (so a caller may keep them after the source is dropped). */
export function rowSlice(x: Batch, from: number, to: number): Batch {
  return batch(to - from, x.d, x.data.slice(from * x.d, to * x.d));
}
