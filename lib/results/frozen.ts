/**
 * Frozen, citable result versions: `results/v1/`, `results/v2/`, … Each holds results laid out as
 * `<profile>/<dataset>/<claim>.json` with their figures, and a `MANIFEST.json` listing every file with
 * its sha256. A version, once written, is never changed by a run; freezing a new one is an explicit
 * act (`deno task freeze`).
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { readResult, sha256File, writeFileAtomic } from "./io.ts";
import type { Result } from "./schema.ts";
import { sweepStale } from "../sweep.ts";

/** A well-formed version name: `v` and a positive integer without leading zeros (v1, v2, …, v10). */
export const VERSION_PATTERN: RegExp = /^v[1-9][0-9]*$/;

/** Name of a frozen version's manifest file. */
export const MANIFEST_NAME = "MANIFEST.json";

/** A write into a frozen version, a frozen file that is not listed or not intact, or a damaged manifest. */
export class FrozenError extends Error {
  /** Make the error; the message names the file and the problem. */
  constructor(message: string) {
    super(message);
    this.name = "FrozenError";
  }
}

/** A result the frozen version does not hold (verify exits 2 on it). */
export class MissingFrozenResultError extends FrozenError {
  /** Make the error; the message names the file and the manifest. */
  constructor(message: string) {
    super(message);
    this.name = "MissingFrozenResultError";
  }
}

/**
 * The frozen version folder that `path` lies in (itself or an ancestor that holds a `MANIFEST.json`, or
 * is named `v<digits>` inside a folder named `results`), or null.
 */
export function frozenFolderOf(path: string): string | null {
  let p = resolve(path);
  while (true) {
    const parent = dirname(p);
    if (/^v[0-9]+$/.test(basename(p)) && basename(parent) === "results") return p;
    try {
      if (Deno.statSync(join(p, MANIFEST_NAME)).isFile) return p;
    } catch { /* no manifest here */ }
    if (parent === p) return null;
    p = parent;
  }
}

/**
 * Throw a {@link FrozenError} when `path` is inside a frozen version: only `deno task freeze` writes there,
 * and only to create a new version.
 */
export function assertNotFrozen(path: string): void {
  const frozen = frozenFolderOf(path);
  if (frozen !== null) {
    throw new FrozenError(
      `${path}: refusing to write inside the frozen version ${frozen} (frozen versions are never changed; ` +
        "only deno task freeze writes under results/v*/, and only a new version): write to results/latest " +
        "or another folder (--out)",
    );
  }
}

/** The manifest of a frozen version. */
export interface Manifest {
  /** Version name, e.g. `v1`. */
  version: string;
  /** Artifact version (deno.json) that froze it. */
  artifactVersion: string;
  /** Files in the version (relative paths, forward slashes) and their sha256. */
  files: { path: string; sha256: string }[];
}

/** Versions present under `root` (default `results`), oldest first (`v1`, `v2`, …). */
export function listVersions(root = "results"): string[] {
  const out: number[] = [];
  try {
    for (const e of Deno.readDirSync(root)) {
      if (e.isDirectory && VERSION_PATTERN.test(e.name)) out.push(Number(e.name.slice(1)));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a - b).map((v) => `v${v}`);
}

/** The newest frozen version under `root`; an error when there is none. */
export function latestVersion(root = "results"): string {
  const v = listVersions(root).at(-1);
  if (!v) throw new Error(`${root}: no frozen result version (results/v1, …); run: deno task freeze`);
  return v;
}

/** Path of a result file in a results tree: `<root>/<profile>/<dataset>/<claim>.json`. */
export function resultPath(root: string, profile: string, dataset: string, claim: string): string {
  return join(root, profile, dataset, `${claim.toLowerCase()}.json`);
}

/** All result JSON files under `dir` (recursively), sorted. */
export function findResultFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of [...Deno.readDirSync(d)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else if (e.isFile && /^c\d+\.json$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Freeze the results under `from` into `<root>/<version>` with a manifest. Refuses when that
 * version exists: frozen versions are never overwritten.
 */
export async function freezeVersion(
  from: string,
  version: string,
  opts: { root?: string; artifactVersion: string },
): Promise<Manifest> {
  const root = opts.root ?? "results";
  if (!VERSION_PATTERN.test(version)) {
    throw new FrozenError(
      `freeze: version must be v followed by a positive integer without leading zeros (v1, v2, …); got '${version}'`,
    );
  }
  const target = join(root, version);
  try {
    Deno.statSync(target);
    throw new Error(`freeze: ${target} exists; frozen versions are never overwritten — choose a new version`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  // Complete or drop what a killed claim left half-written, so a result and its figures freeze together.
  await sweepStale(from, { recursive: true });
  await sweepStale(root);
  const files = findResultFiles(from);
  if (files.length === 0) throw new Error(`freeze: no results under ${from}; run the claims first`);
  const staging = join(root, `.${version}.staging.${Deno.pid}`);
  const entries: Manifest["files"] = [];
  try {
    for (const f of files) {
      const result: Result = await readResult(f);
      const rel = relative(from, f);
      for (const p of [rel, ...result.figures.map((g) => join(dirname(rel), g.path))]) {
        // A seeded result lists seed 0's figures, which seed 0's own result lists too: freeze them once.
        if (entries.some((e) => e.path === p.replaceAll("\\", "/"))) continue;
        const bytes = Deno.readFileSync(join(from, p));
        await writeFileAtomic(join(staging, p), bytes);
        entries.push({ path: p.replaceAll("\\", "/"), sha256: await sha256File(join(staging, p)) });
      }
    }
    entries.sort((a, b) => a.path < b.path ? -1 : 1);
    const manifest: Manifest = { version, artifactVersion: opts.artifactVersion, files: entries };
    await writeFileAtomic(join(staging, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
    Deno.renameSync(staging, target);
    return manifest;
  } catch (e) {
    try {
      Deno.removeSync(staging, { recursive: true });
    } catch { /* nothing staged */ }
    throw e;
  }
}

/**
 * Read a version's manifest, check its form, that every file it lists is there with its sha256, and
 * that the folder holds no file it does not list. Every error names the file and the manifest.
 */
export async function verifyManifest(root: string, version: string): Promise<Manifest> {
  const dir = join(root, version);
  const path = join(dir, MANIFEST_NAME);
  if (!VERSION_PATTERN.test(version)) {
    throw new FrozenError(`${dir}: '${version}' is not a version name (v1, v2, …)`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "missing" : (e as Error).message;
    throw new FrozenError(`${path}: cannot read the manifest of frozen version ${version} (${why})`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    throw new FrozenError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const files = manifest?.files;
  if (manifest?.version !== version || !Array.isArray(files)) {
    throw new FrozenError(`${path}: expected {version: "${version}", files: [{path, sha256}, …]}`);
  }
  const listed = new Set<string>();
  for (const [i, f] of files.entries()) {
    const ok = typeof f?.path === "string" && typeof f?.sha256 === "string" &&
      /^[0-9a-f]{64}$/.test(f.sha256) && !f.path.split("/").includes("..") && !f.path.startsWith("/") &&
      f.path !== MANIFEST_NAME;
    if (!ok) throw new FrozenError(`${path}: files[${i}] is not a {path, sha256} inside the version`);
    listed.add(f.path);
  }
  for (const f of _walk(dir)) {
    const rel = relative(dir, f).replaceAll("\\", "/");
    if (rel !== MANIFEST_NAME && !listed.has(rel)) {
      throw new FrozenError(`${f}: not listed in ${path} (a file added to a frozen version)`);
    }
  }
  for (const f of files) {
    const h = await sha256File(join(dir, f.path)).catch(() => null);
    if (h === null) throw new FrozenError(`${join(dir, f.path)}: listed in ${path} but missing`);
    if (h !== f.sha256) {
      throw new FrozenError(
        `${join(dir, f.path)}: sha256 ${h} differs from ${path}'s ${f.sha256} (altered frozen file)`,
      );
    }
  }
  return manifest;
}

/**
 * The path of a result in a checked frozen version, when its manifest lists it; otherwise a
 * {@link MissingFrozenResultError} naming the file and the manifest.
 */
export function frozenResultPath(
  root: string,
  manifest: Manifest,
  profile: string,
  dataset: string,
  claim: string,
): string {
  const dir = join(root, manifest.version);
  const path = resultPath(dir, profile, dataset, claim);
  const rel = relative(dir, path).replaceAll("\\", "/");
  if (!manifest.files.some((f) => f.path === rel)) {
    throw new MissingFrozenResultError(
      `${path}: no frozen result for ${claim} (${profile}, ${dataset}): ${
        join(dir, MANIFEST_NAME)
      } does not list it`,
    );
  }
  return path;
}

/** The result files a checked manifest lists (`<profile>/<dataset>/c<k>.json`), as paths under `root`. */
export function listedResultFiles(root: string, manifest: Manifest): string[] {
  // `<profile>/<dataset>/cN.json`: a seeded claim's per-seed results (`…/seed-<k>/cN.json`) are parts of
  // its result, not results of their own.
  return manifest.files.map((f) => f.path).filter((p) => /^[^/]+\/[^/]+\/c\d+\.json$/.test(p)).sort()
    .map((p) => join(root, manifest.version, p));
}

/** Every file under `dir`, recursively (links and other non-files included, as they are not allowed). */
function _walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(..._walk(p));
    else out.push(p);
  }
  return out;
}
