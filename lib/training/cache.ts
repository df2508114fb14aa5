/**
 * A shared cache of trained denoisers, so that two claims (or two processes) needing the same model
 * train it once.
 *
 * Layout under the root (default `.cache/models/` at the repository root; env `HG_CACHE_DIR`):
 * - `<key>/`: a finished entry (whatever the train function wrote, plus `key.json` describing it and
 *   the sha256 of each weights file, checked by lib/training/integrity.ts);
 * - `<key>.partial/`: the work directory of a run in progress or interrupted (kept, so a later run
 *   can resume from its checkpoint);
 * - `<key>.lock`: the exclusive lock of the process training `<key>`.
 *
 * The key is the hex sha256 of the canonical JSON ({@link specJson}) of
 * `{modelCodeVersion: MODEL_CODE_VERSION, spec}`, where `spec` is everything that determines the
 * weights (dataset and subset, resolution, network config, training config, snapshot steps).
 *
 * Concurrency: the lock is created with `createNew` (atomic), holds {pid, host, started}, and is
 * touched every few seconds while training (the training loop yields to the event loop about once
 * a second so the touch can run). Another caller waits (polling) until `<key>/` appears and then
 * uses it. A lock is stale when its process is gone (same host on Linux: no `/proc/<pid>`; a live
 * holder on the same host is never stale) or, when that cannot be checked (another host, another
 * OS, an unreadable lock), when it has not been touched for `staleMs`; a stale lock is removed and
 * the wait goes on. The finished
 * entry appears by one directory rename, so readers never see half of it. (Two waiters that both
 * judge the same lock stale at the same moment could both remove it; the window is milliseconds
 * after a crash and the worst case is one duplicate training run, never a corrupt entry.)
 *
 * @module
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../results/canonical.ts";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../results/io.ts";
import { processState, replaceDir, sweepStale } from "../sweep.ts";
import { log } from "../progress.ts";
import { weightsSha256 } from "./integrity.ts";

/** Bump when the model code changes in a way that changes trained weights (invalidates the cache). */
export const MODEL_CODE_VERSION = 2;

/** Name of the file that describes a finished entry (written last, before the rename). */
export const KEY_FILE = "key.json";

/** Cache root: `$HG_CACHE_DIR` when set, else `.cache/models` at the repository root. */
export function defaultCacheRoot(): string {
  const env = Deno.env.get("HG_CACHE_DIR");
  if (env) return env.replace(/\/$/, "");
  const url = new URL("../../.cache/models/", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url).replace(/\/$/, "") : `${Deno.cwd()}/.cache/models`;
}

/**
 * Canonical JSON of a cache spec: typed arrays (e.g. subset indices) become plain arrays, then the
 * results' canonical form (sorted keys; NaN, functions and cycles are errors naming the path).
 */
export function specJson(value: unknown): string {
  return canonicalJson(_plain(value), "spec");
}

function _plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (Array.isArray(v)) return v.map(_plain);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, _plain(x)]));
  }
  return v;
}

/** The cache key of a spec: hex sha256 of canonicalJson({modelCodeVersion, spec}). */
export function cacheKey(spec: unknown): string {
  const text = specJson({ modelCodeVersion: MODEL_CODE_VERSION, spec });
  return createHash("sha256").update(text).digest("hex");
}

/** Options of {@link getOrTrain}. */
export interface CacheOptions {
  /** Cache root (default {@link defaultCacheRoot}). */
  root?: string;
  /** Train even when the entry exists (the old entry is replaced; its partial work is discarded). */
  retrain?: boolean;
  /** Poll interval while waiting for another process, ms (default 250). */
  pollMs?: number;
  /** A lock untouched for this long is stale, ms (default 120 000). */
  staleMs?: number;
  /** How often the holder touches its lock, ms (default 5 000). */
  heartbeatMs?: number;
  /** Give up waiting after this long, ms (default: never). */
  waitTimeoutMs?: number;
}

/** A cache entry. */
export interface CacheEntry {
  /** Directory of the finished entry. */
  dir: string;
  /** Its key (hex sha256). */
  key: string;
  /** True when this call trained it; false when it was found (or another process trained it). */
  trained: boolean;
}

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

function _host(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

async function _tryLock(lock: string): Promise<boolean> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(lock, { write: true, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw new Error(`${lock}: cannot create the lock: ${(e as Error).message}`, { cause: e });
  }
  try {
    const info = { pid: Deno.pid, host: _host(), started: new Date().toISOString() };
    await f.write(new TextEncoder().encode(JSON.stringify(info)));
  } finally {
    f.close();
  }
  return true;
}

/** Whether the lock file at `lock` is stale (see the module doc: its process gone, else untouched for `staleMs`). */
export async function isLockStale(lock: string, staleMs: number): Promise<boolean> {
  let stat: Deno.FileInfo;
  let text: string;
  try {
    stat = await Deno.stat(lock);
    text = await Deno.readTextFile(lock);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false; // gone: not stale, just free
    throw e;
  }
  try {
    const info = JSON.parse(text) as { pid?: number; host?: string };
    if (info.host === _host() && Number.isInteger(info.pid)) {
      // Same machine: the holder's process decides, however long its training takes (when it can be checked).
      const state = processState(info.pid!);
      if (state !== "unknown") return state === "gone";
    }
  } catch {
    // A lock being written right now can be empty or partial: judge it by its age only.
  }
  const age = Date.now() - (stat.mtime?.getTime() ?? 0);
  return age > staleMs;
}

/**
 * The entry for `spec`: if `<root>/<key>/` exists (and `retrain` is not set) it is returned at once;
 * otherwise this call takes the lock, runs `trainFn(workDir)` with the persistent work directory
 * `<root>/<key>.partial/` (where it may find a checkpoint to resume from), writes `key.json`, and
 * renames the work directory to `<root>/<key>/`. When another caller holds the lock, waits for it.
 */
export async function getOrTrain(
  spec: unknown,
  trainFn: (workDir: string) => Promise<void>,
  opts: CacheOptions = {},
): Promise<CacheEntry> {
  const root = opts.root ?? defaultCacheRoot();
  const key = cacheKey(spec);
  const final = `${root}/${key}`;
  const work = `${final}.partial`;
  const lock = `${final}.lock`;
  const pollMs = opts.pollMs ?? 250;
  const staleMs = opts.staleMs ?? 120_000;
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  const started = Date.now();
  await Deno.mkdir(root, { recursive: true });
  await sweepStale(root);
  let retrain = opts.retrain ?? false;
  if (!retrain && await _exists(final) && !(await _exists(`${final}/${KEY_FILE}`))) {
    log(
      `${final}/${KEY_FILE}: missing (an unfinished or damaged cache entry); retraining ${key.slice(0, 12)}`,
    );
    retrain = true;
  }

  while (true) {
    if (!retrain && await _exists(`${final}/${KEY_FILE}`)) return { dir: final, key, trained: false };
    if (await _tryLock(lock)) {
      const beat = setInterval(() => {
        const now = new Date();
        Deno.utime(lock, now, now).catch(() => {});
      }, heartbeatMs);
      try {
        if (!retrain && await _exists(`${final}/${KEY_FILE}`)) return { dir: final, key, trained: false };
        if (retrain) await Deno.remove(work, { recursive: true }).catch(() => {});
        await Deno.mkdir(work, { recursive: true });
        await trainFn(work);
        const desc = {
          key,
          modelCodeVersion: MODEL_CODE_VERSION,
          spec,
          finished: new Date().toISOString(),
          files: await weightsSha256(work),
        };
        await writeFileAtomic(`${work}/${KEY_FILE}`, JSON.stringify(desc, null, 1));
        await replaceDir(work, final);
        retrain = false;
        return { dir: final, key, trained: true };
      } finally {
        clearInterval(beat);
        await Deno.remove(lock).catch(() => {});
      }
    }
    if (await isLockStale(lock, staleMs)) {
      await Deno.remove(lock).catch(() => {});
      continue;
    }
    if (opts.waitTimeoutMs !== undefined && Date.now() - started > opts.waitTimeoutMs) {
      throw new Error(`${lock}: still held by another process after ${opts.waitTimeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
