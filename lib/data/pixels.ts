/**
 * Pixel scaling to [-1, 1] (the paper's convention, docs/paper.md preamble) and construction of
 * {@link ImageSet}s from raw integer pixels.
 *
 * An integer pixel value v of bit depth b maps to v / ((2^b − 1) / 2) − 1, so 0 ↦ −1 and the
 * maximum ↦ +1: for 8-bit data this is v/127.5 − 1, for 16-bit v/32767.5 − 1.
 *
 * @module
 */

import type { ImageSet } from "../types.ts";

/** Scale 8-bit pixels to [-1, 1]: v/127.5 − 1 (writes into `out` when given). */
export function bytesToUnit(
  bytes: ArrayLike<number>,
  out: Float64Array = new Float64Array(bytes.length),
): Float64Array {
  if (out.length !== bytes.length) {
    throw new RangeError(`bytesToUnit: output has length ${out.length}, input ${bytes.length}`);
  }
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 127.5 - 1;
  return out;
}

/** Scale 16-bit pixels to [-1, 1]: v/32767.5 − 1 (writes into `out` when given). */
export function wordsToUnit(
  words: ArrayLike<number>,
  out: Float64Array = new Float64Array(words.length),
): Float64Array {
  if (out.length !== words.length) {
    throw new RangeError(`wordsToUnit: output has length ${out.length}, input ${words.length}`);
  }
  for (let i = 0; i < words.length; i++) out[i] = words[i] / 32767.5 - 1;
  return out;
}

/** Inverse of {@link bytesToUnit} for display: round((x+1)·127.5), clamped to 0…255. */
export function unitToBytes(x: ArrayLike<number>, out: Uint8Array = new Uint8Array(x.length)): Uint8Array {
  if (out.length !== x.length) {
    throw new RangeError(`unitToBytes: output has length ${out.length}, input ${x.length}`);
  }
  for (let i = 0; i < x.length; i++) {
    const v = Math.round((x[i] + 1) * 127.5);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v; // NaN → 0 through the Uint8Array conversion
  }
  return out;
}

/** Fields of {@link imageSetFromBytes}. */
export interface ImageSetBytes {
  /** Dataset name and split, e.g. `mnist/train`. */
  name: string;
  /** Number of images. */
  n: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel. */
  channels: number;
  /** 8-bit pixels, n × height × width × channels, channels-last (HWC). */
  bytes: ArrayLike<number>;
  /** Optional class labels, one per image. */
  labels?: Uint8Array;
}

/** Build an {@link ImageSet} from 8-bit HWC pixels, scaled to [-1, 1]; checks every length. */
export function imageSetFromBytes(f: ImageSetBytes): ImageSet {
  const d = f.height * f.width * f.channels;
  for (
    const [k, v] of [["n", f.n], ["height", f.height], ["width", f.width], ["channels", f.channels]] as const
  ) {
    if (!Number.isInteger(v) || v < 0 || (k !== "n" && v === 0)) {
      throw new RangeError(`imageSetFromBytes(${f.name}): invalid ${k} ${v}`);
    }
  }
  if (f.bytes.length !== f.n * d) {
    throw new RangeError(
      `imageSetFromBytes(${f.name}): ${f.bytes.length} pixel values, expected ${f.n}×${f.height}×${f.width}×${f.channels} = ${
        f.n * d
      }`,
    );
  }
  if (f.labels && f.labels.length !== f.n) {
    throw new RangeError(`imageSetFromBytes(${f.name}): ${f.labels.length} labels for ${f.n} images`);
  }
  const set: ImageSet = {
    name: f.name,
    n: f.n,
    d,
    data: bytesToUnit(f.bytes),
    height: f.height,
    width: f.width,
    channels: f.channels,
    ...(f.labels ? { labels: f.labels } : {}),
  };
  return set;
}
