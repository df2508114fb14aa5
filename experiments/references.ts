/**
 * What every zoo D_θ is measured against: per training set, N(μ, Σ) with D_G and the multi-delta D_M
 * (memoised per process, so claims share them), and the held-out probes (the first `zoo.nProbe` images of
 * the test split).
 *
 * @module
 */
import type { Denoiser, ImageSet } from "../lib/types.ts";
import type { Context } from "./_harness.ts";
import { loadImages } from "./_harness.ts";
import { fitGaussian, gaussianDenoiser, type GaussianModel } from "../lib/denoisers/gaussian.ts";
import { multiDeltaDenoiser } from "../lib/denoisers/multi_delta.ts";
import { specJson } from "../lib/training/cache.ts";

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
      `experiments/references.ts: profile ${ctx.profile.name} has nProbe ${z.nProbe} < nSamples ${z.nSamples}; ` +
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
