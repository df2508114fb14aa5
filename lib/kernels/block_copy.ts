/**
 * Copying equally spaced runs of floats between typed arrays: the inner loop of Slice, SplitV and
 * Concat. Long runs use `TypedArray.set` (memcpy); short ones a plain loop, since a `subarray` per
 * run costs more than copying a few dozen floats.
 *
 * @module
 */

/** Runs shorter than this are copied element by element. */
export const SET_MIN_RUN = 48;

/**
 * For b < blocks: dst[dstOff + b·dstStride + k] = src[srcOff + b·srcStride + k], k < len.
 */
export function copyRuns(
  src: Float32Array,
  srcOff: number,
  srcStride: number,
  dst: Float32Array,
  dstOff: number,
  dstStride: number,
  blocks: number,
  len: number,
): void {
  if (len === srcStride && len === dstStride) {
    dst.set(src.subarray(srcOff, srcOff + blocks * len), dstOff);
    return;
  }
  if (len >= SET_MIN_RUN) {
    for (let b = 0; b < blocks; b++) {
      const s = srcOff + b * srcStride;
      dst.set(src.subarray(s, s + len), dstOff + b * dstStride);
    }
    return;
  }
  for (let b = 0; b < blocks; b++) {
    let s = srcOff + b * srcStride;
    let d = dstOff + b * dstStride;
    for (let k = 0; k < len; k++) dst[d++] = src[s++];
  }
}
