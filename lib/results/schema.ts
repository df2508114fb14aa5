/**
 * The result schema (version 1): the one JSON shape every experiment writes, reviewers read, CI compares
 * against the frozen copy, and authors cite by version and hash. `results/schema.json` is the same schema
 * written as JSON Schema (draft 2020-12); tests/results/schema.test.ts keeps the two in agreement.
 *
 * Checks that JSON Schema cannot express are made here only: `id` equals `claim/profile/dataset`,
 * `configHash` is the hash of `config`, a figure's `kind` matches its file extension, and numbers are
 * finite.
 *
 * @module
 */

import { configHash } from "./canonical.ts";

/** Any JSON value (what a config may hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Numbers (finite) or `null` (a value that does not exist, e.g. a metric undefined at one σ), nested in arrays and objects. */
export type NumericTree = number | null | NumericTree[] | { [key: string]: NumericTree };

/** Seeds: integers, arrays of integers, or objects of them. */
export type SeedTree = number | number[] | { [key: string]: SeedTree };

/** Software and machine a result was computed with. Differences are shown, never fail a comparison. */
export interface Provenance {
  /** `git rev-parse HEAD`, or `"unknown"` (no git, no commit). */
  gitCommit: string;
  /** Whether the working tree had uncommitted changes (`git status --porcelain`), or `"unknown"`. */
  gitDirty: boolean | "unknown";
  /** `Deno.version.deno`. */
  deno: string;
  /** `Deno.version.v8`. */
  v8: string;
  /** `Deno.version.typescript`. */
  typescript: string;
  /** `version_core` of @tensorflow/tfjs-core. */
  tfjs: string;
  /** tfjs backend in use (`cpu`, `wasm`, …), or `"none"` when no network was involved. */
  backend: string;
  /** Native BLAS behind `gemm` (e.g. `openblas`), or `"none"` for the JS loop. */
  blas: string;
  /** `Deno.build.os`. */
  os: string;
  /** `Deno.build.arch`. */
  arch: string;
  /** Which tier ran the float64 linear algebra: `openblas` (native) or `javascript`. Absent before v3. */
  linalgTier?: string;
  /** The eigensolvers `eigh` ran in the process (`lapack`, `ml-matrix`, joined by `+`), or `none`. */
  eigensolver?: string;
  /** sha256 of the dataset's manifest file list (data/<dataset>.json; lib/data/manifest.ts), when a named dataset was read. */
  datasetSha256?: string;
}

/** The paper's value beside ours. */
export interface PaperValue {
  /** What the paper reports, in words (e.g. "RMSE(D_L, D_G) < 0.05 at all 10 σ (Fig. 3)"). */
  reported: string;
  /** The paper's numbers, where it gives them, in the same shape as our `metrics`. */
  values?: { [key: string]: NumericTree };
}

/** Whether the claim holds here, judged by a criterion fixed before looking at the numbers. */
export interface Verdict {
  /**
   * `true`, `false`, `"partial"` (the shape holds in part; the summary says which part), or
   * `"inconclusive"` (independent training seeds disagree: the margin lies inside the seed spread;
   * lib/results/seeds.ts).
   */
  holds: boolean | "partial" | "inconclusive";
  /** The criterion, in words, written before the experiment was run. */
  criterion: string;
  /** What was found, in words, with the deciding numbers. */
  summary: string;
}

/** A figure written beside the result. */
export interface Figure {
  /** Path relative to the result file's folder, forward slashes, no `..` (e.g. `c2_rmse.svg`). */
  path: string;
  /** File type; must match the extension. */
  kind: "svg" | "png";
  /** Caption a reviewer reads under the figure. */
  caption: string;
}

/** Facts about one run that differ between runs and are excluded from every comparison. */
export interface Volatile {
  /** When the result was written, ISO 8601 UTC (`Date.toISOString()`). */
  createdAt: string;
  /** Wall-clock seconds the experiment took. */
  wallSeconds: number;
  /** Machine name. */
  hostname: string;
}

/** One experiment's result, schema version 1 (results/schema.json). */
export interface Result {
  /** Always 1 for this schema. */
  schemaVersion: 1;
  /** Stable identity `<claim>/<profile>/<dataset>`, e.g. `C10/ci/mnist`. */
  id: string;
  /** Claim id (docs/paper.md, "Claims"), e.g. `C10`. */
  claim: string;
  /** One-line title of the experiment. */
  title: string;
  /** The artifact's version (deno.json `version`) that produced the result. */
  artifactVersion: string;
  /** Run profile (`smoke`, `ci`, `full`, `paper`). */
  profile: string;
  /** Dataset name, lower case (e.g. `mnist`, `fashion-mnist`). */
  dataset: string;
  /** Everything the result is a function of. */
  config: { [key: string]: JsonValue };
  /** SHA-256 of the canonical JSON of `config` (sorted keys), 64 hex digits. */
  configHash: string;
  /** Seeds used, by purpose. */
  seeds: { [key: string]: SeedTree };
  /** Software and machine. */
  provenance: Provenance;
  /** Measured numbers. */
  metrics: { [key: string]: NumericTree };
  /** The paper's value beside ours. */
  paper: PaperValue;
  /** The verdict on the claim. */
  verdict: Verdict;
  /** Remarks a reviewer should read (deviations from the paper, caveats). */
  notes: string[];
  /** Figures written beside the result. */
  figures: Figure[];
  /** Per-run facts; never compared. */
  volatile: Volatile;
}

/** The schema version this module reads and writes. */
export const SCHEMA_VERSION = 1 as const;

/** Top-level keys in the order they are written (all required). */
export const RESULT_KEYS = [
  "schemaVersion",
  "id",
  "claim",
  "title",
  "artifactVersion",
  "profile",
  "dataset",
  "config",
  "configHash",
  "seeds",
  "provenance",
  "metrics",
  "paper",
  "verdict",
  "notes",
  "figures",
  "volatile",
] as const satisfies readonly (keyof Result)[];

/** Keys of `provenance`, in written order (all required). */
export const PROVENANCE_KEYS = [
  "gitCommit",
  "gitDirty",
  "deno",
  "v8",
  "typescript",
  "tfjs",
  "backend",
  "blas",
  "os",
  "arch",
] as const satisfies readonly (keyof Provenance)[];

/** Optional keys of `provenance` (results written before they existed lack them), written after the required ones. */
export const PROVENANCE_OPTIONAL_KEYS = [
  "linalgTier",
  "eigensolver",
  "datasetSha256",
] as const satisfies readonly (keyof Provenance)[];

/** Keys of `verdict`, in written order (all required). */
export const VERDICT_KEYS = ["holds", "criterion", "summary"] as const satisfies readonly (keyof Verdict)[];

/** Keys of `volatile`, in written order (all required). */
export const VOLATILE_KEYS = [
  "createdAt",
  "wallSeconds",
  "hostname",
] as const satisfies readonly (keyof Volatile)[];

/** Keys of a figure, in written order (all required). */
export const FIGURE_KEYS = ["path", "kind", "caption"] as const satisfies readonly (keyof Figure)[];

/** How a section of a result takes part in a comparison (see `COMPARISON`). */
export type CompareMode = "tolerance" | "exact" | "info" | "skip";

/**
 * How each top-level section takes part in a comparison of a recomputed result with a frozen one
 * (results/schema.json carries the same as the `x-compare` annotation): `tolerance` — numbers pass
 * within the comparison policy's tolerances, everything else must be equal (only `metrics`, the measured
 * numbers); `exact` — every value must be equal; `info` — differences are shown but never fail (the
 * software, machine and artifact version may change between a frozen result and its recomputation);
 * `skip` — not compared at all.
 */
export const COMPARISON: { readonly [K in keyof Result]: CompareMode } = {
  schemaVersion: "exact",
  id: "exact",
  claim: "exact",
  title: "exact",
  artifactVersion: "info",
  profile: "exact",
  dataset: "exact",
  config: "exact",
  configHash: "exact",
  seeds: "exact",
  provenance: "info",
  metrics: "tolerance",
  paper: "exact",
  verdict: "exact",
  notes: "exact",
  figures: "exact",
  volatile: "skip",
};

/** Patterns shared with results/schema.json. */
export const PATTERNS = {
  claim: "^C[1-9][0-9]*$",
  profile: "^[a-z][a-z0-9_-]*$",
  dataset: "^[a-z0-9][a-z0-9._-]*$",
  id: "^C[1-9][0-9]*/[a-z][a-z0-9_-]*/[a-z0-9][a-z0-9._-]*$",
  artifactVersion: "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$",
  configHash: "^[0-9a-f]{64}$",
  gitCommit: "^([0-9a-f]{40}|[0-9a-f]{64}|unknown)$",
  figurePath: "^(?!/)(?!.*(^|/)\\.\\.(/|$))[A-Za-z0-9._/-]+\\.(svg|png)$",
  createdAt: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$",
} as const;

/** Thrown by `validateResult`; `errors` lists every problem as `path: what is wrong`. */
export class ResultValidationError extends Error {
  /** The file (or other name) the result came from. */
  readonly file: string;
  /** One line per problem, each starting with the path of the bad field. */
  readonly errors: string[];
  /** Build the error from the file name and its problems. */
  constructor(file: string, errors: string[]) {
    super(
      `${file}: not a valid result (schema v${SCHEMA_VERSION}), ${errors.length} problem(s):\n` +
        errors.map((e) => `  - ${e}`).join("\n"),
    );
    this.name = "ResultValidationError";
    this.file = file;
    this.errors = errors;
  }
}

/**
 * Check that `obj` is a valid result; returns it typed as `Result` or throws a `ResultValidationError`
 * naming `fileName` and the path of every bad field (e.g. `metrics.rmse[3]`).
 */
export function validateResult(obj: unknown, fileName: string): Result {
  const errs: string[] = [];
  const v = new _Checker(errs);
  if (!_isPlainObject(obj)) {
    throw new ResultValidationError(fileName, [`(root): expected an object, got ${_describe(obj)}`]);
  }
  v.keys(obj, "", RESULT_KEYS);
  if ("schemaVersion" in obj && obj.schemaVersion !== SCHEMA_VERSION) {
    errs.push(`schemaVersion: expected ${SCHEMA_VERSION}, got ${_describe(obj.schemaVersion)}`);
  }
  const partsOk = [
    v.pattern(obj, "", "claim", PATTERNS.claim),
    v.pattern(obj, "", "profile", PATTERNS.profile),
    v.pattern(obj, "", "dataset", PATTERNS.dataset),
  ].every(Boolean);
  v.nonEmptyString(obj, "", "title");
  v.pattern(obj, "", "artifactVersion", PATTERNS.artifactVersion);
  if (v.pattern(obj, "", "id", PATTERNS.id) && partsOk) {
    const want = `${obj.claim}/${obj.profile}/${obj.dataset}`;
    if (obj.id !== want) errs.push(`id: expected "${want}" (claim/profile/dataset), got "${obj.id}"`);
  }
  const configOk = v.jsonObject(obj, "config");
  if (v.pattern(obj, "", "configHash", PATTERNS.configHash) && configOk) {
    const want = configHash(obj.config as Record<string, unknown>);
    if (obj.configHash !== want) {
      errs.push(`configHash: does not match config (expected ${want}, got ${obj.configHash})`);
    }
  }
  v.seedObject(obj, "seeds");
  if (v.object(obj, "", "provenance")) {
    const p = obj.provenance as Record<string, unknown>;
    v.keys(p, "provenance", PROVENANCE_KEYS, PROVENANCE_OPTIONAL_KEYS);
    if (
      "datasetSha256" in p && !(typeof p.datasetSha256 === "string" && /^[0-9a-f]{64}$/.test(p.datasetSha256))
    ) {
      errs.push(`provenance.datasetSha256: expected 64 hex digits, got ${_describe(p.datasetSha256)}`);
    }
    v.pattern(p, "provenance", "gitCommit", PATTERNS.gitCommit);
    if ("gitDirty" in p && typeof p.gitDirty !== "boolean" && p.gitDirty !== "unknown") {
      errs.push(`provenance.gitDirty: expected true, false or "unknown", got ${_describe(p.gitDirty)}`);
    }
    for (const k of ["deno", "v8", "typescript", "tfjs", "backend", "blas", "os", "arch"]) {
      v.nonEmptyString(p, "provenance", k);
    }
    for (const k of PROVENANCE_OPTIONAL_KEYS) if (k in p) v.nonEmptyString(p, "provenance", k);
  }
  v.numericObject(obj, "", "metrics");
  if (v.object(obj, "", "paper")) {
    const p = obj.paper as Record<string, unknown>;
    v.keys(p, "paper", ["reported"], ["values"]);
    v.nonEmptyString(p, "paper", "reported");
    if ("values" in p) v.numericObject(p, "paper", "values");
  }
  if (v.object(obj, "", "verdict")) {
    const p = obj.verdict as Record<string, unknown>;
    v.keys(p, "verdict", VERDICT_KEYS);
    if ("holds" in p && typeof p.holds !== "boolean" && p.holds !== "partial" && p.holds !== "inconclusive") {
      errs.push(
        `verdict.holds: expected true, false, "partial" or "inconclusive", got ${_describe(p.holds)}`,
      );
    }
    v.nonEmptyString(p, "verdict", "criterion");
    v.nonEmptyString(p, "verdict", "summary");
  }
  if (v.array(obj, "", "notes")) {
    (obj.notes as unknown[]).forEach((n, i) => {
      if (typeof n !== "string") errs.push(`notes[${i}]: expected a string, got ${_describe(n)}`);
    });
  }
  if (v.array(obj, "", "figures")) {
    (obj.figures as unknown[]).forEach((f, i) => {
      const at = `figures[${i}]`;
      if (!_isPlainObject(f)) return errs.push(`${at}: expected an object, got ${_describe(f)}`);
      v.keys(f, at, FIGURE_KEYS);
      const pathOk = v.pattern(f, at, "path", PATTERNS.figurePath);
      if ("kind" in f && f.kind !== "svg" && f.kind !== "png") {
        errs.push(`${at}.kind: expected "svg" or "png", got ${_describe(f.kind)}`);
      } else if (pathOk && !(f.path as string).endsWith("." + f.kind)) {
        errs.push(`${at}.kind: "${f.kind}" does not match the extension of "${f.path}"`);
      }
      v.nonEmptyString(f, at, "caption");
    });
  }
  if (v.object(obj, "", "volatile")) {
    const p = obj.volatile as Record<string, unknown>;
    v.keys(p, "volatile", VOLATILE_KEYS);
    if (v.pattern(p, "volatile", "createdAt", PATTERNS.createdAt)) {
      if (Number.isNaN(Date.parse(p.createdAt as string))) {
        errs.push(`volatile.createdAt: "${p.createdAt}" is not a real date`);
      }
    }
    if ("wallSeconds" in p) {
      const w = p.wallSeconds;
      if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
        errs.push(`volatile.wallSeconds: expected a finite number ≥ 0, got ${_describe(w)}`);
      }
    }
    v.string(p, "volatile", "hostname");
  }
  if (errs.length) throw new ResultValidationError(fileName, errs);
  return obj as unknown as Result;
}

/**
 * The path of field `key` inside `parent`, as errors and comparison rows print it: `metrics.rmse[3]`;
 * keys that are not identifiers are quoted, `metrics["σ=0.1"]`. `parent` is `""` at the root.
 */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

function _isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

function _describe(x: unknown): string {
  if (x === undefined) return "undefined";
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return `an object (${(x as object).constructor?.name ?? "null prototype"})`;
  if (typeof x === "string") return JSON.stringify(x.length > 60 ? x.slice(0, 57) + "..." : x);
  return `${typeof x} ${String(x)}`;
}

/** Field checks that record problems by path instead of throwing at the first. */
class _Checker {
  constructor(private errs: string[]) {}

  keys(
    o: Record<string, unknown>,
    at: string,
    required: readonly string[],
    optional: readonly string[] = [],
  ) {
    for (const k of required) if (!(k in o)) this.errs.push(`${fieldPath(at, k)}: missing (required)`);
    const known = new Set([...required, ...optional]);
    for (const k of Object.keys(o)) {
      if (!known.has(k)) {
        this.errs.push(`${fieldPath(at, k)}: unknown field (not in schema v${SCHEMA_VERSION})`);
      }
    }
  }

  string(o: Record<string, unknown>, at: string, k: string): boolean {
    if (!(k in o)) return false;
    if (typeof o[k] !== "string") {
      this.errs.push(`${fieldPath(at, k)}: expected a string, got ${_describe(o[k])}`);
      return false;
    }
    return true;
  }

  nonEmptyString(o: Record<string, unknown>, at: string, k: string): boolean {
    if (!this.string(o, at, k)) return false;
    if ((o[k] as string).trim() === "") {
      this.errs.push(`${fieldPath(at, k)}: must not be empty`);
      return false;
    }
    return true;
  }

  pattern(o: Record<string, unknown>, at: string, k: string, re: string): boolean {
    if (!this.string(o, at, k)) return false;
    if (!new RegExp(re).test(o[k] as string)) {
      this.errs.push(`${fieldPath(at, k)}: ${_describe(o[k])} does not match ${re}`);
      return false;
    }
    return true;
  }

  object(o: Record<string, unknown>, at: string, k: string): boolean {
    if (!(k in o)) return false;
    if (!_isPlainObject(o[k])) {
      this.errs.push(`${fieldPath(at, k)}: expected an object, got ${_describe(o[k])}`);
      return false;
    }
    return true;
  }

  array(o: Record<string, unknown>, at: string, k: string): boolean {
    if (!(k in o)) return false;
    if (!Array.isArray(o[k])) {
      this.errs.push(`${fieldPath(at, k)}: expected an array, got ${_describe(o[k])}`);
      return false;
    }
    return true;
  }

  jsonObject(o: Record<string, unknown>, k: string): boolean {
    if (!this.object(o, "", k)) return false;
    const n = this.errs.length;
    this._json(o[k], k);
    return this.errs.length === n;
  }

  private _json(x: unknown, at: string): void {
    if (x === null || typeof x === "string" || typeof x === "boolean") return;
    if (typeof x === "number") {
      if (!Number.isFinite(x)) this.errs.push(`${at}: ${x} is not a finite number (JSON cannot hold it)`);
      return;
    }
    if (Array.isArray(x)) return x.forEach((e, i) => this._json(e, fieldPath(at, i)));
    if (_isPlainObject(x)) {
      for (const [k, e] of Object.entries(x)) this._json(e, fieldPath(at, k));
      return;
    }
    this.errs.push(`${at}: expected a JSON value, got ${_describe(x)}`);
  }

  numericObject(o: Record<string, unknown>, at: string, k: string): void {
    if (!this.object(o, at, k)) return;
    for (const [kk, e] of Object.entries(o[k] as Record<string, unknown>)) {
      this._numeric(e, fieldPath(fieldPath(at, k), kk));
    }
  }

  private _numeric(x: unknown, at: string): void {
    if (x === null) return;
    if (typeof x === "number") {
      if (!Number.isFinite(x)) this.errs.push(`${at}: ${x} is not a finite number (use null for "no value")`);
      return;
    }
    if (Array.isArray(x)) return x.forEach((e, i) => this._numeric(e, fieldPath(at, i)));
    if (_isPlainObject(x)) {
      for (const [k, e] of Object.entries(x)) this._numeric(e, fieldPath(at, k));
      return;
    }
    this.errs.push(`${at}: expected a number, null, array or object of them, got ${_describe(x)}`);
  }

  seedObject(o: Record<string, unknown>, k: string): void {
    if (!this.object(o, "", k)) return;
    for (const [kk, e] of Object.entries(o[k] as Record<string, unknown>)) this._seed(e, fieldPath(k, kk));
  }

  private _seed(x: unknown, at: string): void {
    if (typeof x === "number" && Number.isSafeInteger(x)) return;
    if (Array.isArray(x)) {
      return x.forEach((e, i) => {
        if (!(typeof e === "number" && Number.isSafeInteger(e))) {
          this.errs.push(`${fieldPath(at, i)}: expected an integer seed, got ${_describe(e)}`);
        }
      });
    }
    if (_isPlainObject(x)) {
      for (const [k, e] of Object.entries(x)) this._seed(e, fieldPath(at, k));
      return;
    }
    this.errs.push(
      `${at}: expected an integer seed, an array of them, or an object of them, got ${_describe(x)}`,
    );
  }
}
