/**
 * Writing and reading results: atomic file writes (a reader never sees half a file, a crash never
 * corrupts the previous version), a stable pretty JSON form so frozen results diff cleanly in git, and
 * SHA-256 of files so authors can cite a frozen result by hash.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { sha256Hex } from "./canonical.ts";
import { assertNotFrozen } from "./frozen.ts";
import { completeJournal } from "../sweep.ts";
import {
  FIGURE_KEYS,
  PROVENANCE_KEYS,
  PROVENANCE_OPTIONAL_KEYS,
  type Result,
  RESULT_KEYS,
  validateResult,
  VERDICT_KEYS,
  VOLATILE_KEYS,
} from "./schema.ts";

/** Width within which arrays of numbers are packed onto shared lines. */
const LINE_WIDTH = 110;

/**
 * `bytes` random bytes as lowercase hex: the suffix that keeps temporary names apart (the pid alone does not:
 * reproduce's workers are threads of one process).
 */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Write `data` to `path` atomically: create the folder if needed (mkdir -p), write and fsync a temporary
 * file `.<name>.<pid>.<random>.tmp` in the same folder, then rename it over `path`. Readers see either
 * the old file or the new one, never a part; on failure the temporary file is removed and the old file
 * is untouched. (A process killed between write and rename leaves its temporary file behind; it is
 * never read.)
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${Deno.pid}.${randomHex(6)}.tmp`);
  try {
    await Deno.mkdir(dir, { recursive: true });
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`writeFileAtomic: could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Write several files into folder `dir` so that they appear together or not at all (e.g. a result's JSON
 * and its figures): each is written and fsynced to a temporary file, then a commit journal listing the
 * renames is written atomically, then the renames are done and the journal removed. A process killed
 * before the journal leaves only temporary files (swept later); killed after it, the next
 * lib/sweep.ts `sweepStale` of the folder completes the renames.
 */
export async function writeFilesTogether(
  dir: string,
  files: { name: string; data: string | Uint8Array }[],
): Promise<void> {
  const renames: [string, string][] = [];
  try {
    await Deno.mkdir(dir, { recursive: true });
    for (const f of files) {
      if (f.name.includes("/")) throw new Error(`${f.name}: a file name, not a path, is expected`);
      const tmp = `.${f.name}.${Deno.pid}.${randomHex(6)}.tmp`;
      renames.push([tmp, f.name]);
      await _writeSynced(
        join(dir, tmp),
        typeof f.data === "string" ? new TextEncoder().encode(f.data) : f.data,
      );
    }
  } catch (e) {
    for (const [tmp] of renames) await Deno.remove(join(dir, tmp)).catch(() => {});
    throw new Error(
      `writeFilesTogether: could not write ${join(dir, files[renames.length - 1]?.name ?? "")}: ${
        (e as Error).message
      }`,
      { cause: e },
    );
  }
  const journal = `.${files[0]?.name ?? "files"}.${Deno.pid}.${randomHex(6)}.commit.json`;
  await writeFileAtomic(join(dir, journal), JSON.stringify({ renames }));
  await completeJournal(dir, journal);
}

async function _writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const f = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
  try {
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.syncData();
  } finally {
    f.close();
  }
}

/**
 * The JSON text a result is stored as: 2-space indent, trailing newline, keys in a fixed order (schema
 * order for the fixed sections; sorted, recursively, in the free-form `config`, `seeds`, `metrics` and
 * `paper.values`), arrays of numbers packed onto lines of at most 110 characters.
 */
export function formatResult(result: Result): string {
  return _pretty(_ordered(result), "", 0) + "\n";
}

/**
 * Validate `result` (refusing to write an invalid one, or one inside a frozen version) and write it atomically in the stored form
 * (`formatResult`). Returns the SHA-256 of the written bytes.
 */
export async function writeResult(path: string, result: Result): Promise<string> {
  assertNotFrozen(path);
  validateResult(result, path);
  const text = formatResult(result);
  await writeFileAtomic(path, text);
  return sha256Hex(text);
}

/** Read, parse and validate a result file; every error names the file. */
export async function readResult(path: string): Promise<Result> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`readResult: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`readResult: ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return validateResult(obj, path);
}

/** SHA-256 of a file's bytes, 64 lowercase hex digits (what a citation of a frozen result names). */
export async function sha256File(path: string): Promise<string> {
  try {
    return sha256Hex(await Deno.readFile(path));
  } catch (e) {
    throw new Error(`sha256File: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** A copy of the result with keys in stored order. */
function _ordered(r: Result): unknown {
  const pick = (o: object, keys: readonly string[]) => {
    const src = o as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of keys) if (src[k] !== undefined) out[k] = src[k];
    return out;
  };
  const out = pick(r, RESULT_KEYS);
  out.config = _sorted(r.config);
  out.seeds = _sorted(r.seeds);
  out.provenance = pick(r.provenance, [...PROVENANCE_KEYS, ...PROVENANCE_OPTIONAL_KEYS]);
  out.metrics = _sorted(r.metrics);
  out.paper = r.paper.values === undefined
    ? { reported: r.paper.reported }
    : { reported: r.paper.reported, values: _sorted(r.paper.values) };
  out.verdict = pick(r.verdict, VERDICT_KEYS);
  out.figures = r.figures.map((f) => pick(f, FIGURE_KEYS));
  out.volatile = pick(r.volatile, VOLATILE_KEYS);
  return out;
}

/** Deep copy with object keys sorted. */
function _sorted(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(_sorted);
  if (x !== null && typeof x === "object") {
    const o = x as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = _sorted(o[k]);
    return out;
  }
  return x;
}

/** Pretty JSON: objects one key per line; arrays of scalars inline or packed; other arrays one item per line. */
function _pretty(x: unknown, indent: string, lead: number): string {
  if (x === null || typeof x !== "object") return JSON.stringify(x);
  const inner = indent + "  ";
  if (Array.isArray(x)) {
    if (x.length === 0) return "[]";
    if (x.every((e) => e === null || typeof e !== "object")) {
      const items = x.map((e) => JSON.stringify(e));
      const flat = "[" + items.join(", ") + "]";
      if (lead + flat.length + 1 <= LINE_WIDTH) return flat;
      if (x.some((e) => typeof e === "string")) {
        return "[\n" + items.map((s) => inner + s).join(",\n") + "\n" + indent + "]";
      }
      const lines: string[] = [];
      let line = "";
      for (const s of items) {
        if (line !== "" && inner.length + line.length + 2 + s.length + 1 > LINE_WIDTH) {
          lines.push(line + ",");
          line = s;
        } else line = line === "" ? s : `${line}, ${s}`;
      }
      lines.push(line);
      return "[\n" + lines.map((l) => inner + l).join("\n") + "\n" + indent + "]";
    }
    return "[\n" + x.map((e) => inner + _pretty(e, inner, inner.length)).join(",\n") + "\n" + indent + "]";
  }
  const entries = Object.entries(x as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return "{\n" + entries.map(([k, v]) => {
    const key = `${inner}${JSON.stringify(k)}: `;
    return key + _pretty(v, inner, key.length);
  }).join(",\n") + "\n" +
    indent + "}";
}
