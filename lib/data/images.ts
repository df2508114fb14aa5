/**
 * The cheap loader: a block of images of a named dataset, with only those images turned into float64.
 * {@link loadDataset} scales a whole split (60000 MNIST training images are ~376 MB of float64);
 * {@link loadImages} keeps the split as 8-bit pixels and converts just the block asked for, then
 * optionally area-resizes it. Same values as `imageRange(await loadDataset(name, split), start, n)`.
 *
 * @module
 */
import type { ImageSet } from "../types.ts";
import { loadDatasetBytes, type LoadOptions } from "./datasets.ts";
import { imageSetFromBytes } from "./pixels.ts";
import { type ImageSize, resizeArea } from "./transform.ts";

/** Options of {@link loadImages}. */
export interface LoadImagesOptions extends LoadOptions {
  /** How many images (default: all from `start` to the end of the split). */
  n?: number;
  /** Index of the first image in the split (default 0). */
  start?: number;
  /** Area-resize to this size (e.g. 16 for 16×16); default: the dataset's own size. */
  size?: ImageSize;
}

/**
 * Images `start` … `start + n − 1` of a split of a named dataset (`mnist`, `fashion-mnist`), in [-1, 1],
 * with their labels and their indices in the split; only these images are converted to float64.
 *
 * @example
 * ```ts
 * import { loadImages } from "./images.ts";
 * const train = await loadImages("mnist", "train", { n: 1000, size: 16 }); // 1000 × 256, [-1, 1]
 * const probes = await loadImages("mnist", "test", { n: 256, size: 16 });
 * ```
 */
export async function loadImages(
  name: string,
  split: string,
  opts: LoadImagesOptions = {},
): Promise<ImageSet> {
  const b = await loadDatasetBytes(name, split, opts);
  const start = opts.start ?? 0;
  const n = opts.n ?? b.n - start;
  if (!Number.isInteger(start) || start < 0 || start > b.n) {
    throw new RangeError(`loadImages: start ${start} is outside 0…${b.n} of ${b.name}`);
  }
  if (!Number.isInteger(n) || n < 0 || start + n > b.n) {
    throw new RangeError(`loadImages: cannot take ${n} images from ${b.name} at ${start}; it has ${b.n}`);
  }
  const d = b.height * b.width * b.channels;
  const set = imageSetFromBytes({
    name: b.name,
    n,
    height: b.height,
    width: b.width,
    channels: b.channels,
    bytes: b.pixels.subarray(start * d, (start + n) * d),
    labels: b.labels.slice(start, start + n),
  });
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) indices[i] = start + i;
  const block: ImageSet = { ...set, indices };
  return opts.size === undefined ? block : resizeArea(block, opts.size);
}
