/**
 * Frozen, citable result versions: `results/v1/`, `results/v2/`, … Each holds results laid out as
 * `<profile>/<dataset>/<claim>.json` with their figures, and a `MANIFEST.json` listing every file with
 * its sha256. A version, once written, is never changed by a run; freezing a new one is an explicit
 * act (`deno task freeze`).
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { readResult, sha256File, writeFileAtomic } from "./io.ts";
import type { Result } from "./schema.ts";

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
      const m = /^v(\d+)$/.exec(e.name);
      if (e.isDirectory && m) out.push(Number(m[1]));
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
  if (!/^v\d+$/.test(version)) throw new Error(`freeze: version must look like v1, v2, …; got '${version}'`);
  const target = join(root, version);
  try {
    Deno.statSync(target);
    throw new Error(`freeze: ${target} exists; frozen versions are never overwritten — choose a new version`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const files = findResultFiles(from);
  if (files.length === 0) throw new Error(`freeze: no results under ${from}; run the claims first`);
  const staging = join(root, `.${version}.staging.${Deno.pid}`);
  const entries: Manifest["files"] = [];
  try {
    for (const f of files) {
      const result: Result = await readResult(f);
      const rel = relative(from, f);
      for (const p of [rel, ...result.figures.map((g) => join(dirname(rel), g.path))]) {
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

/** Read a version's manifest and check every file's sha256; errors name the file that differs. */
export async function verifyManifest(root: string, version: string): Promise<Manifest> {
  const dir = join(root, version);
  const path = join(dir, "MANIFEST.json");
  const manifest = JSON.parse(await Deno.readTextFile(path)) as Manifest;
  for (const f of manifest.files) {
    const h = await sha256File(join(dir, f.path));
    if (h !== f.sha256) {
      throw new Error(
        `${join(dir, f.path)}: sha256 ${h} differs from ${path}'s ${f.sha256} (altered frozen file)`,
      );
    }
  }
  return manifest;
}
