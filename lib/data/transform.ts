/**
 * Pure transforms of {@link ImageSet}s: area resizing and index-recording subsets (first N, seeded
 * subsets, disjoint halves for the paper's strong-generalisation experiment C9, held-out probes).
 *
 * Every subset records in `indices` the positions of its images in the set named by `name` (the
 * loaded dataset split): subsets of subsets compose, so `indices` always points at the original
 * rows. Randomness comes only from {@link Rng} seeded by the caller. Outputs never share memory
 * with their inputs.
 *
 * @module
 */

import type { ImageSet } from "../types.ts";
import { Rng } from "../rng.ts";

/**
 * Area-resampling weights from `nIn` pixels to `nOut` pixels along one axis, as a sparse matrix
 * (CSR): output pixel i covers the source interval [i·nIn/nOut, (i+1)·nIn/nOut) and takes from
 * source pixel j (covering [j, j+1)) the weight |overlap| / (nIn/nOut). Each row sums to 1, each
 * column to nOut/nIn, so the mean of an image is preserved exactly (up to rounding).
 *
 * For an integer factor (28→14, 28→7) this is the plain block average; for fractional factors
 * (28→16, 28→8) boundary pixels are split by their overlap; upsampling (28→32) gives each output
 * pixel the source pixels its interval overlaps (one, or two at a boundary). The overlaps are
 * computed in integer units of 1/(nIn·nOut), so the weights are exact rationals.
 */
export interface AreaWeights {
  /** Source length. */
  nIn: number;
  /** Output length. */
  nOut: number;
  /** Row offsets: the weights of output i are entries `offsets[i] … offsets[i+1]−1`. */
  offsets: Int32Array;
  /** Source pixel index of each entry. */
  index: Int32Array;
  /** Weight of each entry. */
  weight: Float64Array;
}

/** Area-resampling weights along one axis (see {@link AreaWeights}). */
export function areaWeights(nIn: number, nOut: number): AreaWeights {
  if (!Number.isInteger(nIn) || !Number.isInteger(nOut) || nIn <= 0 || nOut <= 0) {
    throw new RangeError(`areaWeights: sizes must be positive integers, got ${nIn} → ${nOut}`);
  }
  const offsets = new Int32Array(nOut + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < nOut; i++) {
    // In units of 1/nOut source pixels: output i covers [i·nIn, (i+1)·nIn), source j covers [j·nOut, (j+1)·nOut).
    const lo = i * nIn;
    const hi = (i + 1) * nIn;
    for (let j = Math.floor(lo / nOut); j * nOut < hi; j++) {
      const overlap = Math.min(hi, (j + 1) * nOut) - Math.max(lo, j * nOut);
      if (overlap > 0) {
        index.push(j);
        weight.push(overlap / nIn);
      }
    }
    offsets[i + 1] = index.length;
  }
  return { nIn, nOut, offsets, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * Resize one HWC image (`height × width × channels` values) to `outHeight × outWidth` by area
 * averaging (see {@link AreaWeights}); separable: first along rows, then along columns.
 */
export function resizeAreaPixels(
  src: ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  out: Float64Array = new Float64Array(outHeight * outWidth * channels),
  weights: { y: AreaWeights; x: AreaWeights } = {
    y: areaWeights(height, outHeight),
    x: areaWeights(width, outWidth),
  },
): Float64Array {
  if (src.length !== height * width * channels) {
    throw new RangeError(`resizeAreaPixels: ${src.length} values for ${height}×${width}×${channels}`);
  }
  if (out.length !== outHeight * outWidth * channels) {
    throw new RangeError(
      `resizeAreaPixels: output has ${out.length} values for ${outHeight}×${outWidth}×${channels}`,
    );
  }
  const { x: wx, y: wy } = weights;
  const C = channels;
  // tmp: height × outWidth × C, each row resampled along x.
  const tmp = new Float64Array(height * outWidth * C);
  for (let r = 0; r < height; r++) {
    for (let X = 0; X < outWidth; X++) {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let e = wx.offsets[X]; e < wx.offsets[X + 1]; e++) {
          s += wx.weight[e] * src[(r * width + wx.index[e]) * C + c];
        }
        tmp[(r * outWidth + X) * C + c] = s;
      }
    }
  }
  const rowLen = outWidth * C;
  for (let Y = 0; Y < outHeight; Y++) {
    const o = Y * rowLen;
    for (let q = 0; q < rowLen; q++) out[o + q] = 0;
    for (let e = wy.offsets[Y]; e < wy.offsets[Y + 1]; e++) {
      const w = wy.weight[e];
      const t = wy.index[e] * rowLen;
      for (let q = 0; q < rowLen; q++) out[o + q] += w * tmp[t + q];
    }
  }
  return out;
}

/** A target image size: a side length for square images, or height and width. */
export type ImageSize = number | { height: number; width: number };

/** Normalise an {@link ImageSize} to height and width. */
export function imageSize(size: ImageSize): { height: number; width: number } {
  const s = typeof size === "number" ? { height: size, width: size } : size;
  if (!Number.isInteger(s.height) || !Number.isInteger(s.width) || s.height <= 0 || s.width <= 0) {
    throw new RangeError(`image size must be positive integers, got ${JSON.stringify(size)}`);
  }
  return { height: s.height, width: s.width };
}

/**
 * Resize every image of a set by area averaging (see {@link AreaWeights}): exact block averages
 * for integer factors, overlap-weighted boxes otherwise; each image's mean is preserved.
 * Keeps name, labels and indices.
 */
export function resizeArea(set: ImageSet, size: ImageSize): ImageSet {
  const { height, width } = imageSize(size);
  const d = height * width * set.channels;
  const data = new Float64Array(set.n * d);
  const weights = { y: areaWeights(set.height, height), x: areaWeights(set.width, width) };
  for (let i = 0; i < set.n; i++) {
    resizeAreaPixels(
      set.data.subarray(i * set.d, (i + 1) * set.d),
      set.height,
      set.width,
      set.channels,
      height,
      width,
      data.subarray(i * d, (i + 1) * d),
      weights,
    );
  }
  return {
    ...set,
    n: set.n,
    d,
    data,
    height,
    width,
    ...(set.labels ? { labels: set.labels.slice() } : {}),
    ...(set.indices ? { indices: set.indices.slice() } : {}),
  };
}

/** Positions of a set's rows in the original split named by `set.name` (its `indices`, or 0…n−1). */
export function sourceIndices(set: ImageSet): Int32Array {
  if (set.indices) return set.indices.slice();
  const idx = new Int32Array(set.n);
  for (let i = 0; i < set.n; i++) idx[i] = i;
  return idx;
}

/** Rows `local` of `set` (positions within `set`), copied, with labels and composed indices. */
function _take(set: ImageSet, local: ArrayLike<number>): ImageSet {
  const n = local.length;
  const data = new Float64Array(n * set.d);
  const indices = new Int32Array(n);
  const labels = set.labels ? new Uint8Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    const i = local[k];
    if (!Number.isInteger(i) || i < 0 || i >= set.n) {
      throw new RangeError(`${set.name}: row ${i} outside 0…${set.n - 1}`);
    }
    data.set(set.data.subarray(i * set.d, (i + 1) * set.d), k * set.d);
    indices[k] = set.indices ? set.indices[i] : i;
    if (labels) labels[k] = set.labels![i];
  }
  return {
    name: set.name,
    n,
    d: set.d,
    data,
    height: set.height,
    width: set.width,
    channels: set.channels,
    ...(labels ? { labels } : {}),
    indices,
  };
}

function _checkCount(set: ImageSet, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > set.n) {
    throw new RangeError(`${what}: cannot take ${n} images from ${set.name}, which has ${set.n}`);
  }
}

/** The first `n` images of a set (a copy), recording their indices. */
export function firstN(set: ImageSet, n: number): ImageSet {
  _checkCount(set, n, "firstN");
  const local = new Int32Array(n);
  for (let i = 0; i < n; i++) local[i] = i;
  return _take(set, local);
}

/**
 * Images `start` … `start + n − 1` of a set (a copy), recording their indices: with {@link firstN},
 * two disjoint consecutive blocks (paper C9: models trained on disjoint halves).
 */
export function imageRange(set: ImageSet, start: number, n: number): ImageSet {
  if (!Number.isInteger(start) || start < 0 || start > set.n) {
    throw new RangeError(`imageRange: start ${start} is outside 0…${set.n} of ${set.name}`);
  }
  _checkCount({ ...set, n: set.n - start }, n, "imageRange");
  const local = new Int32Array(n);
  for (let i = 0; i < n; i++) local[i] = start + i;
  return _take(set, local);
}

/**
 * `n` distinct images chosen by a seeded permutation: the first `n` entries of
 * `new Rng(seed).permutation(set.n)`, in that order. For one seed, smaller subsets are prefixes of
 * larger ones (nested training sets for an N sweep).
 */
export function seededSubset(set: ImageSet, n: number, seed: number): ImageSet {
  _checkCount(set, n, "seededSubset");
  return _take(set, new Rng(seed).permutation(set.n).subarray(0, n));
}

/**
 * Two disjoint sets of `nEach` images (paper C9: models trained on disjoint halves): entries
 * 0…nEach−1 and nEach…2·nEach−1 of `new Rng(seed).permutation(set.n)`. The first half equals
 * `seededSubset(set, nEach, seed)`.
 */
export function disjointHalves(set: ImageSet, nEach: number, seed: number): [ImageSet, ImageSet] {
  _checkCount(set, 2 * nEach, "disjointHalves");
  const p = new Rng(seed).permutation(set.n);
  return [_take(set, p.subarray(0, nEach)), _take(set, p.subarray(nEach, 2 * nEach))];
}

/**
 * `n` probe images of `set` that are not in `exclude` (a subset of the same source, compared by
 * recorded indices, or a list of source indices), chosen by a seeded permutation of the remaining
 * images (in `set` order) — e.g. held-out test images disjoint from a training subset.
 */
export function heldOut(
  set: ImageSet,
  n: number,
  exclude: ImageSet | ArrayLike<number>,
  seed: number,
): ImageSet {
  let excluded: ArrayLike<number>;
  if ("data" in exclude && "name" in exclude) {
    if (exclude.name !== set.name) {
      throw new Error(`heldOut: the excluded set comes from ${exclude.name}, the pool from ${set.name}`);
    }
    excluded = sourceIndices(exclude);
  } else {
    excluded = exclude as ArrayLike<number>;
  }
  const skip = new Set<number>(Array.from(excluded));
  const src = sourceIndices(set);
  const pool: number[] = [];
  for (let i = 0; i < set.n; i++) if (!skip.has(src[i])) pool.push(i);
  if (!Number.isInteger(n) || n < 0 || n > pool.length) {
    throw new RangeError(
      `heldOut: cannot take ${n} images from ${set.name}: only ${pool.length} are not excluded`,
    );
  }
  const p = new Rng(seed).permutation(pool.length);
  const local = new Int32Array(n);
  for (let k = 0; k < n; k++) local[k] = pool[p[k]];
  return _take(set, local);
}
