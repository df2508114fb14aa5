/**
 * Tolerance-aware comparison of a recomputed result with its frozen copy, and a snapshot assertion for
 * tests. How each top-level section is compared is decided by the schema alone (`COMPARISON`, the
 * `x-compare` annotation of results/schema.json): in `metrics` numbers pass when
 * |now − frozen| ≤ atol + rtol·|frozen| (per-path tolerances may override the default); in the other
 * checked sections (config, seeds, paper, verdict, notes, …) every value must be equal; `provenance` and
 * `artifactVersion` are shown but never fail; `volatile` is skipped. Everywhere strings, booleans and
 * nulls must be equal, arrays are compared element by element after a length check, and a missing or
 * extra key fails.
 *
 * @module
 */

import { AssertionError } from "node:assert";
import { type CompareMode, COMPARISON, fieldPath, type Result, RESULT_KEYS } from "./schema.ts";
import { readResult, writeResult } from "./io.ts";
import { currentCitations } from "./citations.ts";

/** Numeric tolerance: a number passes when |now − frozen| ≤ atol + rtol·|frozen|. */
export interface Tolerance {
  /** Relative tolerance (≥ 0). */
  rtol: number;
  /** Absolute tolerance (≥ 0). */
  atol: number;
}

/**
 * A comparison policy: the default numeric tolerance plus per-path overrides. A key of `paths` is a
 * path prefix in the row syntax (`metrics.rmse`, `metrics.rmse[3]`, `metrics["σ=80"]`), where `*` stands
 * for any one key and `[*]` for any one index (`metrics.*.rmse`); it applies to that path and everything
 * under it (`metrics.rmse` covers `metrics.rmse[3]` but not `metrics.rmseLow`). When several match, the
 * one with most segments wins, then the one with fewer wildcards, then the first listed. `"exact"`
 * demands equal numbers. Paths must lie in a section the schema compares with tolerance (`metrics`);
 * everything else (config, seeds, verdict, strings, booleans) is always exact.
 */
export interface ComparePolicy extends Tolerance {
  /** Overrides by path prefix. */
  paths?: Record<string, Tolerance | "exact">;
}

/** One compared leaf (or one structural difference) of two results. */
export interface CompareRow {
  /** Where, e.g. `metrics.rmse[3]`. */
  path: string;
  /** Frozen value (`undefined` when the key is missing there). */
  frozen: unknown;
  /** Recomputed value (`undefined` when the key is missing there). */
  now: unknown;
  /** |now − frozen| for two numbers, else `null`. */
  diff: number | null;
  /** The allowed |now − frozen| for numbers (0 when exact), else `null`. */
  tol: number | null;
  /** Whether this row passes. Informational rows always pass. */
  ok: boolean;
  /** Set on rows of sections the schema marks `info` (shown, never failing). */
  info?: boolean;
  /** Why the values differ, when they do (missing key, length, type, value). */
  reason?: string;
}

/**
 * Compare a recomputed result `now` with its `frozen` copy under `policy`; one row per compared leaf,
 * plus a row for each missing/extra key, array-length or type difference.
 *
 * @example
 * ```ts
 * import { compareResults, formatComparison, readResult } from "../../mod.ts";
 * const frozen = await readResult("results/v4/ci/mnist/c6.json");
 * const rows = compareResults(frozen, frozen, { rtol: 1e-4, atol: 1e-6 });
 * console.log(formatComparison(rows, { only: "failures" }));
 * ```
 */
export function compareResults(frozen: Result, now: Result, policy: ComparePolicy): CompareRow[] {
  const matcher = _compilePolicy(policy);
  const rows: CompareRow[] = [];
  const f = frozen as unknown as Record<string, unknown>;
  const n = now as unknown as Record<string, unknown>;
  const keys = [...RESULT_KEYS, ...new Set([...Object.keys(f), ...Object.keys(n)])]
    .filter((k, i, all) => all.indexOf(k) === i);
  for (const key of keys) {
    const mode: CompareMode = (COMPARISON as Record<string, CompareMode>)[key] ?? "exact";
    if (mode === "skip") continue;
    const start = rows.length;
    const match = mode === "tolerance" ? matcher : _exactly;
    _compare(f[key], n[key], fieldPath("", key), key in f, key in n, match, rows);
    if (mode === "info") {
      for (let i = start; i < rows.length; i++) {
        rows[i].info = true;
        rows[i].ok = true;
      }
    }
  }
  return rows;
}

/** Options of `formatComparison`. */
export interface FormatOptions {
  /** Which rows to print: all (default), only failing ones, or every row whose values differ. */
  only?: "all" | "failures" | "differences";
  /** Print at most this many rows (failures first when cut); default unlimited. */
  maxRows?: number;
}

/** A side-by-side table of comparison rows (path, frozen, now, |diff|, tol, status) with a summary line. */
export function formatComparison(rows: CompareRow[], opts: FormatOptions = {}): string {
  const only = opts.only ?? "all";
  const failed = rows.filter((r) => !r.ok);
  const infoDiffs = rows.filter((r) => r.info && r.reason !== undefined);
  let shown = only === "failures"
    ? failed
    : only === "differences"
    ? rows.filter((r) => r.reason !== undefined)
    : rows;
  const max = opts.maxRows ?? Infinity;
  let cut = 0;
  if (shown.length > max) {
    cut = shown.length - max;
    shown = [...shown.filter((r) => !r.ok), ...shown.filter((r) => r.ok)].slice(0, max);
  }
  const table = [["path", "frozen", "now", "|diff|", "tol", "status"]];
  for (const r of shown) {
    const status = r.info
      ? (r.reason ? "info" : "ok")
      : r.ok
      ? "ok"
      : `FAIL${r.reason ? ` (${r.reason})` : ""}`;
    const [fs, ns] = typeof r.frozen === "string" && typeof r.now === "string" && r.frozen !== r.now
      ? _showDiffering(r.frozen, r.now)
      : [_show(r.frozen), _show(r.now)];
    table.push([
      r.path,
      fs,
      ns,
      r.diff === null ? "" : r.diff.toExponential(2),
      r.tol === null ? "" : r.tol === 0 ? "exact" : r.tol.toExponential(2),
      status,
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) =>
    row.map((s, c) => (c === 5 ? s : s.padEnd(widths[c]))).join("  ").trimEnd()
  );
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  if (cut) lines.push(`… ${cut} more row(s) not shown`);
  lines.push(
    `${rows.length} compared: ${failed.length} failed` +
      (infoDiffs.length ? `, ${infoDiffs.length} informational difference(s)` : ""),
  );
  return lines.join("\n");
}

/** Options of `assertMatchesSnapshot`. */
export interface SnapshotOptions {
  /** Rewrite the frozen file when it differs (default: env `UPDATE_SNAPSHOTS=1`). */
  update?: boolean;
  /** Where messages go (default `console.log`). */
  log?: (message: string) => void;
}

/**
 * Assert that `result` matches the frozen result at `frozenPath` under `policy`; returns the rows.
 * Without `update`, throws an `AssertionError` listing the failing rows (also when the frozen file is
 * missing). With `update`, writes `result` over the frozen file atomically when it is missing or differs
 * beyond tolerance and logs what changed; a frozen file that still matches is left byte-for-byte as it
 * is (so its hash, and any citation of it, stays valid).
 */
export async function assertMatchesSnapshot(
  result: Result,
  frozenPath: string,
  policy: ComparePolicy,
  opts: SnapshotOptions = {},
): Promise<CompareRow[]> {
  const update = opts.update ?? _envUpdate();
  const log = opts.log ?? console.log;
  let frozen: Result;
  try {
    frozen = await readResult(frozenPath);
  } catch (e) {
    const missing = (e as Error).cause instanceof Deno.errors.NotFound;
    if (!update) {
      throw new AssertionError({
        message: missing
          ? `${frozenPath}: no frozen result; run with UPDATE_SNAPSHOTS=1 to create it`
          : `${frozenPath}: frozen result unreadable: ${(e as Error).message}`,
      });
    }
    await writeResult(frozenPath, result);
    log(`${frozenPath}: ${missing ? "created" : "replaced unreadable frozen result"}`);
    return [];
  }
  const rows = compareResults(frozen, result, policy);
  const failed = rows.filter((r) => !r.ok);
  if (failed.length === 0) return rows;
  if (!update) {
    throw new AssertionError({
      message: `${frozenPath}: result differs from the frozen snapshot in ${failed.length} place(s) ` +
        `(UPDATE_SNAPSHOTS=1 rewrites it):\n` + formatComparison(rows, { only: "failures", maxRows: 50 }),
    });
  }
  await writeResult(frozenPath, result);
  log(`${frozenPath}: updated, ${failed.length} change(s):\n` + formatComparison(rows, { only: "failures" }));
  return rows;
}

function _envUpdate(): boolean {
  try {
    return Deno.env.get("UPDATE_SNAPSHOTS") === "1";
  } catch {
    return false;
  }
}

type _Seg = { key: string } | { index: number } | { anyKey: true } | { anyIndex: true };
type _Matcher = (path: _Seg[]) => Tolerance | "exact";

/** Split a path in row syntax (`a.b[3]["x y"]`, patterns also `*` and `[*]`) into segments. */
function _parsePath(p: string, allowWild: boolean): _Seg[] {
  const segs: _Seg[] = [];
  const re = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$]*)|\.?(\*)|\[(\d+)\]|\[(\*)\]|\[("(?:[^"\\]|\\.)*")\])/;
  let rest = p;
  while (rest.length) {
    const m = re.exec(rest);
    if (!m || (segs.length === 0 && rest.startsWith("."))) {
      throw new SyntaxError(`compare policy: cannot parse path "${p}" at "${rest}"`);
    }
    if (m[1] !== undefined) segs.push({ key: m[1] });
    else if (m[2] !== undefined) segs.push({ anyKey: true });
    else if (m[3] !== undefined) segs.push({ index: Number(m[3]) });
    else if (m[4] !== undefined) segs.push({ anyIndex: true });
    else segs.push({ key: JSON.parse(m[5]) });
    if (!allowWild && ("anyKey" in segs[segs.length - 1] || "anyIndex" in segs[segs.length - 1])) {
      throw new SyntaxError(`compare: wildcard in path "${p}"`);
    }
    rest = rest.slice(m[0].length);
  }
  return segs;
}

function _checkTol(t: Tolerance, where: string): void {
  for (const k of ["rtol", "atol"] as const) {
    if (typeof t[k] !== "number" || !Number.isFinite(t[k]) || t[k] < 0) {
      throw new RangeError(`compare policy: ${where}.${k} must be a finite number ≥ 0, got ${t[k]}`);
    }
  }
}

const _exactly: _Matcher = () => "exact";

function _compilePolicy(policy: ComparePolicy): _Matcher {
  _checkTol(policy, "policy");
  const rules = Object.entries(policy.paths ?? {}).map(([pattern, tol], order) => {
    if (tol !== "exact") _checkTol(tol, `paths["${pattern}"]`);
    const segs = _parsePath(pattern, true);
    if (segs.length === 0) throw new SyntaxError(`compare policy: empty path pattern`);
    const head = segs[0];
    if (!("key" in head) || (COMPARISON as Record<string, CompareMode>)[head.key] !== "tolerance") {
      const allowed = Object.entries(COMPARISON).filter(([, m]) => m === "tolerance").map(([k]) => k);
      throw new RangeError(
        `compare policy: path "${pattern}" is outside the sections compared with tolerance (${allowed}); ` +
          `the schema compares everything else exactly`,
      );
    }
    const wild = segs.filter((s) => "anyKey" in s || "anyIndex" in s).length;
    return { segs, tol, wild, order };
  });
  rules.sort((a, b) => b.segs.length - a.segs.length || a.wild - b.wild || a.order - b.order);
  const dflt: Tolerance = { rtol: policy.rtol, atol: policy.atol };
  return (path) => {
    for (const r of rules) {
      if (r.segs.length <= path.length && r.segs.every((s, i) => _segMatch(s, path[i]))) return r.tol;
    }
    return dflt;
  };
}

function _segMatch(pat: _Seg, seg: _Seg): boolean {
  if ("anyKey" in pat) return "key" in seg;
  if ("anyIndex" in pat) return "index" in seg;
  if ("key" in pat) return "key" in seg && seg.key === pat.key;
  return "index" in seg && "index" in pat && seg.index === pat.index;
}

function _kind(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  return typeof x;
}

function _compare(
  f: unknown,
  n: unknown,
  path: string,
  inF: boolean,
  inN: boolean,
  match: _Matcher,
  rows: CompareRow[],
): void {
  const row = (extra: Partial<CompareRow> & { ok: boolean }) =>
    rows.push({ path, frozen: f, now: n, diff: null, tol: null, ...extra });
  if (!inF && !inN) return;
  if (!inN) return void row({ ok: false, reason: "missing in now" });
  if (!inF) return void row({ ok: false, reason: "extra in now" });
  const kf = _kind(f), kn = _kind(n);
  if (kf !== kn) return void row({ ok: false, reason: `type ${kf} ≠ ${kn}` });
  if (kf === "array") {
    const a = f as unknown[], b = n as unknown[];
    if (a.length !== b.length) row({ ok: false, reason: `length ${a.length} ≠ ${b.length}` });
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      _compare(a[i], b[i], fieldPath(path, i), i < a.length, i < b.length, match, rows);
    }
    return;
  }
  if (kf === "object") {
    const a = f as Record<string, unknown>, b = n as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) _compare(a[k], b[k], fieldPath(path, k), k in a, k in b, match, rows);
    return;
  }
  if (kf === "number") {
    const x = f as number, y = n as number;
    const t = match(_parsePath(path, false));
    const tol = t === "exact" ? 0 : t.atol + t.rtol * Math.abs(x);
    const diff = Math.abs(y - x);
    const ok = t === "exact" ? x === y : diff <= tol;
    return void row({
      ok,
      diff,
      tol,
      ...(x === y ? {} : { reason: ok ? "within tolerance" : "beyond tolerance" }),
    });
  }
  // A frozen string that cites the old notes equals a recomputed one citing their repository pages.
  const ok = f === n || (kf === "string" && currentCitations(f as string) === n);
  row({ ok, tol: null, ...(f === n ? {} : { reason: ok ? "citation renamed" : "differs" }) });
}

function _show(x: unknown): string {
  if (x === undefined) return "(missing)";
  if (typeof x === "number") return String(Number(x.toPrecision(10)));
  if (Array.isArray(x)) return `array(${x.length})`;
  if (x !== null && typeof x === "object") return "object";
  const s = JSON.stringify(x);
  return s.length > 40 ? s.slice(0, 37) + '…"' : s;
}

/** Two differing strings, each cut to the neighbourhood of their first difference. */
function _showDiffering(a: string, b: string): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const cut = (s: string) => {
    const start = Math.max(0, i - 12);
    const part = s.slice(start, start + 36);
    return (start > 0 ? "…" : "") + JSON.stringify(part) + (start + 36 < s.length ? "…" : "");
  };
  return a.length <= 38 && b.length <= 38 ? [JSON.stringify(a), JSON.stringify(b)] : [cut(a), cut(b)];
}
