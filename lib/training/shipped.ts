/**
 * Shipped denoisers: the trained models a profile needs, committed under `models/<key>/` so that
 * `reproduce` loads them instead of training. A shipped entry is a model-cache entry reduced to what
 * evaluation reads: the EMA weights (EDM evaluates D_θ on them) of the final step and of the snapshots
 * a claim reads, as checkpoints whose sha256 is checked on every load, plus the entry's `key.json`
 * (the spec it was trained from) and `data.json` (the sha256 of its training pixels).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
import { KEY_FILE } from "./cache.ts";
import { checkModelDir, ModelIntegrityError, weightsSha256 } from "./integrity.ts";
import { replaceDir, sweepStale } from "../sweep.ts";

/** One entry of models/INDEX.json. */
export interface ShippedIndexEntry {
  /** Cache key (the directory name). */
  key: string;
  /** Profile and dataset it was made for. */
  profile: string;
  /** Dataset. */
  dataset: string;
  /** Training images: n from start. */
  n: number;
  /** First training image. */
  start: number;
  /** Base channels C. */
  baseChannels: number;
  /** Steps. */
  steps: number;
  /** Training seed. */
  seed?: number;
  /** Shipped snapshot steps. */
  snapshots: number[];
  /** Claims that read it. */
  claims: string[];
  /** Bytes of shipped weights. */
  bytes: number;
  /** sha256 of each shipped weights file (path in the folder → hex): what a load checks. */
  sha256?: Record<string, string>;
}

/** Path of the index of shipped models. */
export function shippedIndexPath(root: string = defaultShippedRoot()): string {
  return `${root}/INDEX.json`;
}

/** Read `<root>/INDEX.json`: null when there is none; an error naming it when it is not a list of entries. */
export async function readShippedIndex(
  root: string = defaultShippedRoot(),
): Promise<ShippedIndexEntry[] | null> {
  const path = shippedIndexPath(root);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: cannot read: ${(e as Error).message}`);
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(index)) throw new Error(`${path}: expected a list of shipped models`);
  index.forEach((e, i) => {
    if (typeof e?.key !== "string" || !Array.isArray(e?.snapshots)) {
      throw new Error(`${path}: entry ${i} has no key or snapshots`);
    }
  });
  return index as ShippedIndexEntry[];
}

/** Shipped models' root: `$HG_MODELS_DIR` when set, else `models/` at the repository root. */
export function defaultShippedRoot(): string {
  const env = Deno.env.get("HG_MODELS_DIR");
  if (env) return env.replace(/\/$/, "");
  const url = new URL("../../models/", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url).replace(/\/$/, "") : `${Deno.cwd()}/models`;
}

/**
 * The shipped entry for cache key `key` under `root`, or null when none is shipped. When `<root>/INDEX.json`
 * exists it decides: a listed model must be there with its key.json, its snapshots and the sha256 of each
 * weights file, and a folder it does not list is foreign; either is a {@link ModelIntegrityError} naming
 * the file (never a silent fallback to training). Without an index, a folder is checked against its key.
 */
export async function findShipped(root: string, key: string): Promise<string | null> {
  const dir = `${root}/${key}`;
  let exists = true;
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    exists = false;
  }
  const index = await readShippedIndex(root);
  const indexPath = shippedIndexPath(root);
  if (index === null) {
    if (!exists) return null;
    await checkModelDir(dir, { key, snapshots: [] });
    return dir;
  }
  const entry = index.find((e) => e.key === key);
  if (!entry) {
    if (exists) throw new ModelIntegrityError(dir, `a shipped model folder that ${indexPath} does not list`);
    return null;
  }
  if (!exists && (await sweepStale(root)).length > 0) {
    // An export killed between its two renames left the old copy aside: sweepStale put it back.
    try {
      await Deno.stat(dir);
      exists = true;
    } catch { /* still missing */ }
  }
  if (!exists) {
    throw new ModelIntegrityError(
      dir,
      `listed in ${indexPath} (${entry.profile}, ${entry.dataset}, N = ${entry.n}, C = ${entry.baseChannels}) ` +
        "but missing: restore it (git checkout -- models/) or remake it (deno task models)",
    );
  }
  await checkModelDir(dir, { key, snapshots: entry.snapshots, sha256: entry.sha256, source: indexPath });
  return dir;
}

/** Keep only the EMA tensors of checkpoint `src` and write them as checkpoint `dest`; returns its bytes. */
async function _emaOnly(src: string, dest: string): Promise<number> {
  const { manifest, tensors } = await readCheckpoint(src);
  const ema = tensors.filter((t) => t.name.startsWith("ema/"));
  if (ema.length === 0) throw new Error(`${src}: the checkpoint holds no EMA weights (ema/…) to ship`);
  const m = await writeCheckpoint(dest, {
    config: manifest.config,
    step: manifest.step,
    imagesSeen: manifest.imagesSeen,
    seed: manifest.rng.seed,
    extra: {
      shippedFrom: manifest.sha256,
      ...(manifest.extra.history ? { history: manifest.extra.history } : {}),
    },
    tensors: ema,
  });
  return m.weightsBytes;
}

/**
 * Write the shipped form of cache entry `entryDir` into `<root>/<key>/` (replacing an older one by
 * rename, never delete-then-rename: see lib/sweep.ts `replaceDir`): EMA weights of the final step and of `snapshots`.
 * Returns the bytes of the weights written.
 */
export async function exportShipped(
  entryDir: string,
  root: string,
  key: string,
  snapshots: readonly string[] = [],
): Promise<number> {
  const final = `${root}/${key}`;
  const work = `${final}.partial-${Deno.pid}`;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  let bytes = await _emaOnly(entryDir, work);
  for (const rel of snapshots) bytes += await _emaOnly(`${entryDir}/${rel}`, `${work}/${rel}`);
  for (const f of ["data.json", "history.json"]) {
    try {
      await Deno.copyFile(`${entryDir}/${f}`, `${work}/${f}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  // key.json: the entry's, with the sha256 of the shipped weights files (not the cache entry's).
  const desc = JSON.parse(await Deno.readTextFile(`${entryDir}/${KEY_FILE}`));
  desc.files = await weightsSha256(work);
  await Deno.writeTextFile(`${work}/${KEY_FILE}`, JSON.stringify(desc, null, 1));
  await replaceDir(work, final);
  return bytes;
}
