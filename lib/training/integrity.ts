/**
 * What a trained-model folder must hold, checked against what names it: the cache key (the folder name)
 * fixes `key.json` (its `key` and the cache key of its spec), the network and training configs of every
 * checkpoint, and the snapshots the spec asks for; a file list with sha256 (the cache's `key.json`
 * `files`, or models/INDEX.json's `sha256` for shipped models) fixes every weights file. A missing
 * snapshot, a missing `key.json` or a foreign file is a {@link ModelIntegrityError} naming the file.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { cacheKey, KEY_FILE, specJson } from "./cache.ts";
import { CheckpointError, MANIFEST_FILE, WEIGHTS_FILE } from "./checkpoint.ts";
import { type UNetConfig, unetParamSpecs } from "../denoisers/unet.ts";

/** A model folder that does not hold what its key (or the shipped index) says; the message names the file. */
export class ModelIntegrityError extends Error {
  /** Make the error for `file` with `problem`. */
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "ModelIntegrityError";
  }
}

/** Hex sha256 of a file's bytes. */
export async function fileSha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** Every file under `dir` (relative paths, sorted), except `key.json` and temporary files. */
export function modelFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? `${dir}/${rel}` : dir)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(p);
      else if (p !== KEY_FILE && !e.name.endsWith(".tmp")) out.push(p);
    }
  };
  walk("");
  return out.sort();
}

/** sha256 of every weights file under `dir` (relative path → hex), what a key or the index records. */
export async function weightsSha256(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of modelFiles(dir)) if (f.endsWith(WEIGHTS_FILE)) out[f] = await fileSha256(`${dir}/${f}`);
  return out;
}

/** What {@link checkModelDir} checks a folder against. */
export interface ModelExpectation {
  /** The cache key naming the folder. */
  key: string;
  /** Snapshot steps whose checkpoints must be there (`snapshots/step-<8 digits>/`). */
  snapshots: readonly number[];
  /** sha256 of each weights file (relative path → hex); when given, no other weights file may be there. */
  sha256?: Record<string, string>;
  /** Where `sha256` comes from, for messages (e.g. `models/INDEX.json`). */
  source?: string;
}

/**
 * Check model folder `dir` against `expect` (see the module doc); resolves with key.json's contents or
 * rejects with a {@link ModelIntegrityError} naming the first file that is missing, foreign or altered.
 */
export async function checkModelDir(
  dir: string,
  expect: ModelExpectation,
): Promise<{ key: string; spec: Record<string, unknown>; files?: Record<string, string> }> {
  const keyPath = `${dir}/${KEY_FILE}`;
  let desc: { key?: unknown; spec?: Record<string, unknown>; files?: Record<string, string> };
  try {
    desc = JSON.parse(await Deno.readTextFile(keyPath));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "missing" : (e as Error).message;
    throw new ModelIntegrityError(keyPath, `cannot read the model's key file (${why})`);
  }
  if (desc?.key !== expect.key || typeof desc.spec !== "object" || desc.spec === null) {
    throw new ModelIntegrityError(keyPath, `names key ${String(desc?.key)}, not the folder's ${expect.key}`);
  }
  if (cacheKey(desc.spec) !== expect.key) {
    throw new ModelIntegrityError(
      keyPath,
      `its spec hashes to ${cacheKey(desc.spec)}, not ${expect.key} (foreign)`,
    );
  }
  const spec = desc.spec as { net?: unknown; train?: unknown };
  const want = specJson({ net: spec.net, train: spec.train });
  const snapDirs = expect.snapshots.map((s) => `snapshots/step-${String(s).padStart(8, "0")}`);
  for (const rel of ["", ...snapDirs]) {
    const m = `${dir}/${rel ? rel + "/" : ""}${MANIFEST_FILE}`;
    let manifest: { config?: { net?: unknown; train?: unknown } };
    try {
      manifest = JSON.parse(await Deno.readTextFile(m));
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "missing" : (e as Error).message;
      throw new ModelIntegrityError(m, `cannot read this ${rel ? "snapshot" : "model"} checkpoint (${why})`);
    }
    if (specJson({ net: manifest.config?.net, train: manifest.config?.train }) !== want) {
      throw new ModelIntegrityError(
        m,
        `its network or training config is not ${keyPath}'s (a foreign checkpoint)`,
      );
    }
  }
  const sums = expect.sha256 ?? desc.files;
  if (sums) {
    const source = expect.sha256 ? expect.source ?? "the index" : keyPath;
    const present = modelFiles(dir).filter((f) => f.endsWith(WEIGHTS_FILE));
    for (const f of present) {
      if (!(f in sums)) {
        throw new ModelIntegrityError(`${dir}/${f}`, `not listed in ${source} (a foreign file)`);
      }
    }
    for (const [f, sha] of Object.entries(sums)) {
      let h: string;
      try {
        h = await fileSha256(`${dir}/${f}`);
      } catch {
        throw new ModelIntegrityError(`${dir}/${f}`, `listed in ${source} but missing`);
      }
      if (h !== sha) {
        throw new ModelIntegrityError(
          `${dir}/${f}`,
          `sha256 ${h} is not ${source}'s ${sha} (altered or foreign)`,
        );
      }
    }
  }
  return desc as { key: string; spec: Record<string, unknown>; files?: Record<string, string> };
}

/**
 * Check a checkpoint's tensors against its network config before any of them reaches tfjs: the config is
 * a valid U-Net config and, in each of `groups` (e.g. `ema`), every parameter is there with the shape the
 * config gives it. A {@link CheckpointError} names `<dir>/manifest.json` otherwise (e.g. a permuted conv
 * shape, or a baseChannels that does not match the weights).
 */
export function checkNetTensors(
  dir: string,
  net: UNetConfig,
  tensors: readonly { name: string; shape: readonly number[] }[],
  groups: readonly string[],
): void {
  const path = `${dir}/${MANIFEST_FILE}`;
  let specs;
  try {
    specs = unetParamSpecs(net);
  } catch (e) {
    throw new CheckpointError(path, `config.net is not a valid U-Net config: ${(e as Error).message}`);
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const g of groups) {
    for (const p of specs) {
      const t = byName.get(`${g}/${p.name}`);
      if (!t) throw new CheckpointError(path, `tensor ${g}/${p.name} is missing`);
      if (t.shape.length !== p.shape.length || t.shape.some((x, i) => x !== p.shape[i])) {
        throw new CheckpointError(
          path,
          `tensor ${g}/${p.name} has shape [${t.shape}], but config.net (baseChannels ${net.baseChannels}) ` +
            `gives it [${p.shape}]`,
        );
      }
    }
  }
}
