/**
 * Private helpers of the patch denoisers (local_score.ts, equivariant_local_score.ts, pca_locality.ts):
 * image geometry, argument checks and the P×P patch window with zero padding.
 *
 * @module
 */
import type { Batch } from "../types.ts";

/** Image geometry of the rows of a batch (HWC, lib/types.ts). */
export interface ImageShape {
  /** Height in pixels. */
  readonly height: number;
  /** Width in pixels. */
  readonly width: number;
  /** Channels per pixel. */
  readonly channels: number;
}

/** exp(x) rounds to exactly 0 below this. */
export const EXP_UNDERFLOW = -745.2;

/** Check that `shape` describes rows of length `d`; `where` names the caller in the error. */
export function checkShape(shape: ImageShape, d: number, where: string): void {
  const { height: h, width: w, channels: c } = shape;
  if (![h, w, c].every((v) => Number.isInteger(v) && v > 0) || h * w * c !== d) {
    throw new RangeError(`${where}: image shape ${h}×${w}×${c} does not match rows of length ${d}`);
  }
}

/** Check a patch side: an odd integer ≥ 1 (the patch is centred on its pixel). */
export function checkPatch(P: number, where: string): void {
  if (!Number.isInteger(P) || P < 1 || P % 2 === 0) {
    throw new RangeError(`${where}: a patch side must be an odd integer ≥ 1, got ${P}`);
  }
}

/** Check σ ≥ 0 (σ = 0: the nearest patch; σ = ∞: the mean). */
export function checkSigma(sigma: number, where: string): void {
  if (!(sigma >= 0)) throw new RangeError(`${where}: σ must be ≥ 0, got ${sigma}`);
}

/** Check a query batch against the training rows. */
export function checkQuery(train: Batch, x: Batch, where: string): void {
  if (x.d !== train.d) {
    throw new RangeError(`${where}: query has d = ${x.d}, training set has d = ${train.d}`);
  }
  if (x.data.length !== x.n * x.d) {
    throw new RangeError(`${where}: query data length ${x.data.length} ≠ ${x.n} × ${x.d}`);
  }
}

/**
 * The (di, dj) offsets of a P×P patch outside the centred Q×Q one (Q < P, both odd; Q = 0: the whole
 * patch), row by row: the ring a patch side adds to the next smaller one.
 */
export function annulusOffsets(Q: number, P: number): Int32Array {
  const r = (P - 1) / 2, rq = (Q - 1) / 2;
  const o: number[] = [];
  for (let di = -r; di <= r; di++) {
    for (let dj = -r; dj <= r; dj++) {
      if (Q > 0 && Math.abs(di) <= rq && Math.abs(dj) <= rq) continue;
      o.push(di, dj);
    }
  }
  return Int32Array.from(o);
}

/**
 * The pixels of image `img` (one HWC row) at `offsets` (pairs di, dj, from {@link annulusOffsets}) from pixel
 * (i, j), zero outside the image, written into `out` (length offsets/2 · C).
 */
export function extractOffsets(
  img: ArrayLike<number>,
  shape: ImageShape,
  i: number,
  j: number,
  offsets: Int32Array,
  out: Float64Array,
): void {
  const { height: h, width: w, channels: c } = shape;
  let o = 0;
  for (let t = 0; t < offsets.length; t += 2) {
    const ii = i + offsets[t], jj = j + offsets[t + 1];
    if (ii < 0 || ii >= h || jj < 0 || jj >= w) {
      for (let ch = 0; ch < c; ch++) out[o++] = 0;
    } else {
      const base = (ii * w + jj) * c;
      for (let ch = 0; ch < c; ch++) out[o++] = img[base + ch];
    }
  }
}
