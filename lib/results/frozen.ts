/**
 * Frozen, citable result versions: `results/v1/`, `results/v2/`, … Each holds results laid out as
 * `<profile>/<dataset>/<claim>.json` with their figures, and a `MANIFEST.json` listing every file with
 * its sha256. A version, once written, is never changed by a run; freezing a new one is an explicit
 * act (`deno task freeze`).
 *
 * A version can be retired from the working tree, also explicitly (`deno task freeze --retire vN
 * --reason …`, {@link retireVersion}): its files leave the tree unchanged into git history, and the folder
 * keeps its `MANIFEST.json` (every file's sha256, as frozen) beside a `RETIRED.json` naming the commit that
 * holds them and why. {@link verifyRetired} checks that commit's bytes against the manifest; reading a
 * retired result is an error that says how to restore it.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { readResult, sha256File, writeFileAtomic } from "./io.ts";
import { sha256Hex } from "./canonical.ts";
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

/** Name of the record, beside a retired version's manifest, of where its files are kept and why. */
export const RETIRED_NAME = "RETIRED.json";

/** A result of a version retired from the working tree (its files are in git history). */
export class RetiredVersionError extends FrozenError {
  /** Make the error; the message names the version, the commit that holds it and how to restore it. */
  constructor(message: string) {
    super(message);
    this.name = "RetiredVersionError";
  }
}

/** Where a retired version's files are kept, and why it left the working tree (`RETIRED.json`). */
export interface Retirement {
  /** Version name, e.g. `v2`. */
  version: string;
  /** The git commit (40 hex digits) whose tree holds the version's files exactly as frozen. */
  commit: string;
  /** Artifact version that retired it. */
  retiredIn: string;
  /** Why, in words. */
  reason: string;
}

/** The manifest of a frozen version. */
export interface Manifest {
  /** Version name, e.g. `v1`. */
  version: string;
  /** Artifact version (deno.json) that froze it. */
  artifactVersion: string;
  /** Files in the version (relative paths, forward slashes) and their sha256. */
  files: { path: string; sha256: string }[];
  /** Set (by {@link verifyManifest}, never in the file) when the version is retired. */
  retired?: Retirement;
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
  const retired = await _readRetirement(dir, version);
  if (retired !== null) {
    for (const f of _walk(dir)) {
      const rel = relative(dir, f).replaceAll("\\", "/");
      if (rel !== MANIFEST_NAME && rel !== RETIRED_NAME) {
        throw new FrozenError(`${f}: a file in the retired version ${version} (${join(dir, RETIRED_NAME)})`);
      }
    }
    return { ...manifest, retired };
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

async function _readRetirement(dir: string, version: string): Promise<Retirement | null> {
  const path = join(dir, RETIRED_NAME);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new FrozenError(`${path}: cannot read (${(e as Error).message})`);
  }
  let r: Retirement;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new FrozenError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (
    r?.version !== version || typeof r.commit !== "string" || !/^[0-9a-f]{40}$/.test(r.commit) ||
    typeof r.reason !== "string" || typeof r.retiredIn !== "string"
  ) {
    throw new FrozenError(
      `${path}: expected {version: "${version}", commit: <40 hex digits>, retiredIn, reason}`,
    );
  }
  return r;
}

function _restoreHint(root: string, r: Retirement): string {
  return `git archive ${r.commit} ${join(root, r.version)} | tar -x -C <folder> (from the repository root)`;
}

/** A {@link RetiredVersionError} when `manifest` is of a retired version. */
function _assertPresent(root: string, manifest: Manifest): void {
  const r = manifest.retired;
  if (!r) return;
  throw new RetiredVersionError(
    `${join(root, r.version)}: frozen version ${r.version} was retired from the working tree in ` +
      `${r.retiredIn} (${r.reason}); its files, unchanged and listed with their sha256 in ` +
      `${join(root, r.version, MANIFEST_NAME)}, are in git commit ${r.commit}: restore them with ` +
      _restoreHint(root, r),
  );
}

/**
 * The path of a result in a checked frozen version, when its manifest lists it; otherwise a
 * {@link MissingFrozenResultError} naming the file and the manifest, or a {@link RetiredVersionError}.
 */
export function frozenResultPath(
  root: string,
  manifest: Manifest,
  profile: string,
  dataset: string,
  claim: string,
): string {
  _assertPresent(root, manifest);
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
  _assertPresent(root, manifest);
  // `<profile>/<dataset>/cN.json`: a seeded claim's per-seed results (`…/seed-<k>/cN.json`) are parts of
  // its result, not results of their own.
  return manifest.files.map((f) => f.path).filter((p) => /^[^/]+\/[^/]+\/c\d+\.json$/.test(p)).sort()
    .map((p) => join(root, manifest.version, p));
}

async function _git(cwd: string, args: string[]): Promise<Uint8Array> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new RetiredVersionError(`${cwd}: cannot run git (${(e as Error).message})`);
  }
  if (!out.success) {
    throw new RetiredVersionError(
      `${cwd}: git ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return out.stdout;
}

/**
 * Check a retired version: every file its manifest lists is in the retirement's commit with the
 * manifest's sha256, and the commit holds no other file there. A commit this clone lacks (a shallow
 * clone) is a {@link RetiredVersionError} that names it; an altered file a {@link FrozenError}.
 * Needs git (`--allow-run=git`).
 */
export async function verifyRetired(root: string, version: string): Promise<Retirement> {
  const manifest = await verifyManifest(root, version);
  const r = manifest.retired;
  const dir = join(root, version);
  if (!r) throw new FrozenError(`${dir}: version ${version} is not retired (no ${RETIRED_NAME})`);
  await _checkCommit(dir, manifest, r.commit);
  return r;
}

/** Check that `commit`'s tree holds exactly the files of `manifest` under `dir`, with their sha256. */
async function _checkCommit(dir: string, manifest: Manifest, commit: string): Promise<void> {
  const where = `${dir} (git commit ${commit})`;
  const dec = new TextDecoder();
  await _git(dir, ["cat-file", "-e", `${commit}^{commit}`]).catch(() => {
    throw new RetiredVersionError(
      `${where}: this clone lacks the commit that holds the files (a shallow clone?): git fetch --unshallow`,
    );
  });
  const prefix = dec.decode(await _git(dir, ["rev-parse", "--show-prefix"])).trim();
  const tree = dec.decode(await _git(dir, ["ls-tree", "-r", "--full-name", "--name-only", commit, "--", "."]))
    .split("\n").filter((l) => l !== "").map((l) => l.slice(prefix.length));
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const t of tree) {
    if (t !== MANIFEST_NAME && t !== RETIRED_NAME && !listed.has(t)) {
      throw new FrozenError(`${where}: ${t} is not listed in the manifest`);
    }
  }
  for (const f of manifest.files) {
    if (!tree.includes(f.path)) {
      throw new FrozenError(`${where}: ${f.path} is listed in the manifest but missing`);
    }
    const bytes = await _git(dir, ["cat-file", "blob", `${commit}:./${f.path}`]);
    const h = sha256Hex(bytes);
    if (h !== f.sha256) {
      throw new FrozenError(`${where}: ${f.path} has sha256 ${h}, not the manifest's ${f.sha256} (altered)`);
    }
  }
}

/**
 * Retire a frozen version from the working tree: check it (on disk, and that `commit`'s tree holds the same
 * bytes; on any failure nothing is changed), write `RETIRED.json`, then remove its files (the manifest
 * stays). Commit the removal to finish.
 */
export async function retireVersion(
  root: string,
  version: string,
  opts: { commit: string; reason: string; retiredIn: string },
): Promise<Retirement> {
  const manifest = await verifyManifest(root, version);
  if (manifest.retired) throw new FrozenError(`${join(root, version)}: already retired`);
  const dir = join(root, version);
  const r: Retirement = { version, commit: opts.commit, retiredIn: opts.retiredIn, reason: opts.reason };
  if (!/^[0-9a-f]{40}$/.test(r.commit)) {
    throw new FrozenError(`retire: commit must be 40 hex digits, got ${r.commit}`);
  }
  if (r.reason.trim() === "") throw new FrozenError("retire: give the reason in words");
  await _checkCommit(dir, manifest, r.commit);
  const path = join(dir, RETIRED_NAME);
  await writeFileAtomic(path, JSON.stringify(r, null, 2) + "\n");
  for (const e of _walk(dir)) {
    if (e !== path && e !== join(dir, MANIFEST_NAME)) Deno.removeSync(e);
  }
  _pruneEmpty(dir);
  return r;
}

function _pruneEmpty(dir: string): void {
  for (const e of Deno.readDirSync(dir)) {
    if (!e.isDirectory) continue;
    const p = join(dir, e.name);
    _pruneEmpty(p);
    if ([...Deno.readDirSync(p)].length === 0) Deno.removeSync(p);
  }
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
