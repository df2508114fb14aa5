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

/** Shipped models' root: `$HG_MODELS_DIR` when set, else `models/` at the repository root. */
export function defaultShippedRoot(): string {
  const env = Deno.env.get("HG_MODELS_DIR");
  if (env) return env.replace(/\/$/, "");
  const url = new URL("../../models/", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url).replace(/\/$/, "") : `${Deno.cwd()}/models`;
}

/** The shipped entry for cache key `key` under `root`, or null when none is shipped. */
export async function findShipped(root: string, key: string): Promise<string | null> {
  const dir = `${root}/${key}`;
  try {
    await Deno.stat(`${dir}/${KEY_FILE}`);
    return dir;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
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
 * Write the shipped form of cache entry `entryDir` into `<root>/<key>/` (replacing an older one
 * atomically: written beside it, then renamed): EMA weights of the final step and of `snapshots`.
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
  for (const f of [KEY_FILE, "data.json", "history.json"]) {
    try {
      await Deno.copyFile(`${entryDir}/${f}`, `${work}/${f}`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || f === KEY_FILE) throw e;
    }
  }
  await Deno.remove(final, { recursive: true }).catch(() => {});
  await Deno.rename(work, final);
  return bytes;
}
