/**
 * Optional native BLAS/LAPACK (OpenBLAS) through Deno FFI.
 *
 * {@link loadBlas} opens `libopenblas.so.0` (Debian package `libopenblas0-pthread`) with
 * `Deno.dlopen` and installs `cblas_dgemm` behind {@link gemm}, so every float64 product in the
 * library runs natively. The typed wrappers {@link sgemm}, {@link dsyrk} and {@link dsyevd} call
 * the library when it is loaded; `sgemm` and `dsyrk` fall back to JavaScript loops otherwise, and
 * `dsyevd` (LAPACK) throws. Results do not depend on which path runs beyond rounding.
 *
 * Needs `--allow-ffi` (and `--allow-env` to read `HG_BLAS_PATH`); in `"auto"` mode a denied
 * permission or a missing library prints one notice on stderr and leaves the portable paths
 * (WebAssembly SIMD products, see `gemm.ts`; JavaScript loops and ml-matrix's eigensolver otherwise).
 *
 * @module
 */

import { gemm, type GemmOptions, portableTier, setNativeGemm } from "./gemm.ts";
import { syrkWasm } from "./_wasm_gemm.ts";

/** How {@link loadBlas} treats the native library. */
export type BlasMode = "auto" | "openblas" | "off";

/** Provenance of the linear algebra in use, for result files. */
export interface BlasInfo {
  /** `"openblas"` when the native library is loaded, `"none"` for the JavaScript paths. */
  name: "openblas" | "none";
  /** `openblas_get_config()`, e.g. `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … Haswell MAX_THREADS=64`. */
  version?: string;
  /** Threads OpenBLAS uses (`openblas_get_num_threads()`). */
  threads?: number;
  /** Path or soname the library was opened from. */
  path?: string;
}

/** One line for a result's provenance: `none`, or name, version/config, thread count and library path. */
export function describeBlas(info: BlasInfo): string {
  if (info.name === "none") return "none";
  return `${info.name}: ${info.version ?? "unknown version"}; ${info.threads ?? "?"} thread(s); ${
    info.path ?? "?"
  }`;
}

const _ROW_MAJOR = 101;
const _NO_TRANS = 111;
const _TRANS = 112;
const _UPPER = 121;
const _LOWER = 122;

const _SYMBOLS = {
  cblas_dgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f64",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f64",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  cblas_dsyrk: {
    parameters: ["i32", "i32", "i32", "i32", "i32", "f64", "buffer", "i32", "f64", "buffer", "i32"],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  // LAPACK dsyevd_(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, len(jobz), len(uplo)):
  // Fortran convention, every argument by pointer, then gfortran's hidden string lengths.
  dsyevd_: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "usize",
      "usize",
    ],
    result: "void",
  },
} as const;

type _Lib = Deno.DynamicLibrary<typeof _SYMBOLS>;

let _lib: _Lib | null = null;
let _path: string | undefined;

/** The default library name, resolved by the dynamic loader. */
export const DEFAULT_BLAS_PATH = "libopenblas.so.0";

/**
 * Load native OpenBLAS (or not) and route {@link gemm} accordingly; returns {@link blasInfo}.
 *
 * - `"auto"`: try `path`, else env `HG_BLAS_PATH`, else `libopenblas.so.0`; on failure print one
 *   notice line on stderr and keep the JavaScript paths. The line appears once per process for the default
 *   library, whether `loadBlas` or {@link noticeJavaScriptLinalg} (e.g. from `fitGaussian`) says it first,
 *   and once more for each path the caller names.
 * - `"openblas"`: the same, but throw when the library cannot be loaded.
 * - `"off"`: JavaScript only (unroutes `gemm`; an already opened library stays open but unused).
 *
 * Calling it again without a new `path` reuses the library already opened; a different `path`
 * replaces it (or, failing in `"auto"`, leaves the JavaScript paths in use).
 *
 * @example
 * ```ts
 * import { loadBlas } from "../../gaussian.ts";
 * const info = loadBlas(); // { name: "openblas", … } with libopenblas0-pthread and --allow-ffi, else { name: "none" }
 * ```
 */
export function loadBlas(mode: BlasMode = "auto", path?: string): BlasInfo {
  _chosenOff = mode === "off";
  if (mode === "off") {
    _deactivate();
    return blasInfo();
  }
  if (mode !== "auto" && mode !== "openblas") {
    throw new TypeError(`lib/linalg/blas.ts: unknown BLAS mode "${mode}" (use "auto", "openblas" or "off")`);
  }
  if (_lib !== null && (path === undefined || path === _path)) {
    _activate();
    return blasInfo();
  }
  const target = path ?? _envPath() ?? DEFAULT_BLAS_PATH;
  try {
    if (typeof Deno === "undefined" || typeof Deno.dlopen !== "function") {
      throw new Error("Deno.dlopen is not available in this runtime");
    }
    const lib = Deno.dlopen(target, _SYMBOLS);
    _deactivate();
    _lib?.close();
    _lib = lib;
    _path = target;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (mode === "openblas") {
      throw new Error(
        `lib/linalg/blas.ts: cannot load native OpenBLAS from "${target}": ${why}. ` +
          `Install it (apt-get install libopenblas0-pthread), pass its path (or set HG_BLAS_PATH), ` +
          `and run Deno with --allow-ffi.`,
      );
    }
    // One line per process for the default library (whoever noticed first); a path the caller named gets its own.
    if (!_quiet && !_noticed.has(target) && !(path === undefined && _slowNoticeShown)) {
      _noticed.add(target);
      _slowNoticeShown = true;
      console.error(
        `hidden-gaussian: native OpenBLAS unavailable (${why}); float64 linear algebra runs on ` +
          `${portableTier() === "wasm-simd" ? "WebAssembly SIMD" : "JavaScript"} (apt-get install ` +
          `libopenblas0-pthread for products about 2–4× faster and LAPACK's eigensolver; deno task bench:tiers ` +
          `measures both here).`,
      );
    }
    _deactivate();
    return blasInfo();
  }
  _activate();
  return blasInfo();
}

/** Whether native OpenBLAS is loaded and in use. */
export function blasLoaded(): boolean {
  return _lib !== null && _active;
}

/** Provenance: library name, configuration string, thread count and path (or `{name: "none"}`). */
export function blasInfo(): BlasInfo {
  if (!blasLoaded()) return { name: "none" };
  const lib = _lib!;
  const cfg = lib.symbols.openblas_get_config();
  return {
    name: "openblas",
    version: cfg === null ? undefined : Deno.UnsafePointerView.getCString(cfg),
    threads: lib.symbols.openblas_get_num_threads(),
    path: _path,
  };
}

/** Set the number of OpenBLAS threads (no-op without the native library). */
export function setBlasThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`lib/linalg/blas.ts: thread count must be a positive integer, got ${threads}`);
  }
  if (_lib !== null) _lib.symbols.openblas_set_num_threads(threads);
}

let _active = false;
/** Targets whose failure notice was already printed (one line per process and path). */
const _noticed = new Set<string>();
/** Whether a line about the JavaScript path was printed. */
let _slowNoticeShown = false;
/** Whether the caller chose the JavaScript path (`loadBlas("off")`). */
let _chosenOff = false;
/** Whether notices are off in this process or worker ({@link quietBlasNotices}). */
let _quiet = false;

/**
 * Keep this process or worker from printing the notices of {@link loadBlas} and
 * {@link noticeJavaScriptLinalg}: for a worker whose parent already printed them (experiments/reproduce.ts),
 * so that a run says it once.
 */
export function quietBlasNotices(): void {
  _quiet = true;
}

/**
 * Say once per process, on stderr, that `what` runs on the JavaScript linear algebra because native
 * OpenBLAS is not in use, and what to do about it. Silent when OpenBLAS is loaded, after `loadBlas`
 * already printed its notice, or after `loadBlas("off")` (a deliberate choice).
 */
export function noticeJavaScriptLinalg(what: string): void {
  if (blasLoaded() || _slowNoticeShown || _chosenOff || _quiet) return;
  _slowNoticeShown = true;
  console.error(
    `hidden-gaussian: ${what} uses JavaScript linear algebra; loadBlas() switches to native OpenBLAS ` +
      `(apt-get install libopenblas0-pthread; Deno with --allow-ffi).`,
  );
}

function _activate(): void {
  _active = true;
  setNativeGemm(_nativeDgemm);
}

function _deactivate(): void {
  _active = false;
  setNativeGemm(null);
}

function _envPath(): string | undefined {
  try {
    return Deno.env.get("HG_BLAS_PATH") || undefined;
  } catch {
    return undefined; // --allow-env not granted: ignore the override.
  }
}

function _native(): _Lib | null {
  return _active ? _lib : null;
}

/** Row-major cblas_dgemm with the {@link gemm} signature; handles the empty shapes BLAS rejects. */
function _nativeDgemm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  transA: boolean,
  transB: boolean,
  alpha: number,
  beta: number,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) {
    _scale(c, m * n, beta);
    return;
  }
  _lib!.symbols.cblas_dgemm(
    _ROW_MAJOR,
    transA ? _TRANS : _NO_TRANS,
    transB ? _TRANS : _NO_TRANS,
    m,
    n,
    k,
    alpha,
    a,
    transA ? m : k,
    b,
    transB ? k : n,
    beta,
    c,
    n,
  );
}

function _scale(c: Float64Array | Float32Array, len: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) { for (let i = 0; i < len; i++) c[i] *= beta; }
}

/**
 * Float32 C (m × n) = α·op(A)·op(B) + β·C, row-major, like {@link gemm}; native `cblas_sgemm`
 * when loaded, else a JavaScript loop (accumulating in float64 per output row).
 */
export function sgemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array = new Float32Array(m * n),
  opts: GemmOptions = {},
): Float32Array {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  if (a.length < m * k) {
    throw new RangeError(`lib/linalg/blas.ts sgemm: A has ${a.length} values, needs ${m * k}`);
  }
  if (b.length < k * n) {
    throw new RangeError(`lib/linalg/blas.ts sgemm: B has ${b.length} values, needs ${k * n}`);
  }
  if (c.length < m * n) {
    throw new RangeError(`lib/linalg/blas.ts sgemm: C has ${c.length} values, needs ${m * n}`);
  }
  if (m === 0 || n === 0) return c;
  if (k === 0 || alpha === 0) {
    _scale(c, m * n, beta);
    return c;
  }
  const lib = _native();
  if (lib !== null) {
    lib.symbols.cblas_sgemm(
      _ROW_MAJOR,
      transA ? _TRANS : _NO_TRANS,
      transB ? _TRANS : _NO_TRANS,
      m,
      n,
      k,
      alpha,
      a,
      transA ? m : k,
      b,
      transB ? k : n,
      beta,
      c,
      n,
    );
    return c;
  }
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[p * m + i] : a[i * k + p];
      if (av === 0) continue;
      if (transB) { for (let j = 0; j < n; j++) row[j] += av * b[j * k + p]; }
      else {
        const bp = p * n;
        for (let j = 0; j < n; j++) row[j] += av * b[bp + j];
      }
    }
    const ci = i * n;
    for (let j = 0; j < n; j++) c[ci + j] = alpha * row[j] + (beta === 0 ? 0 : beta * c[ci + j]);
  }
  return c;
}

/** Options of {@link dsyrk}. */
export interface SyrkOptions {
  /** false: C = α·A·Aᵀ + β·C with A n × k; true: C = α·Aᵀ·A + β·C with A k × n. Default false. */
  trans?: boolean;
  /** Scale of the product, default 1. */
  alpha?: number;
  /** Scale of the existing C, default 0. */
  beta?: number;
  /** Triangle of C that is written (row-major sense), default `"upper"`; the other is left untouched. */
  uplo?: "upper" | "lower";
}

/**
 * Symmetric rank-k update of the n × n row-major C (one triangle only, see {@link SyrkOptions});
 * native `cblas_dsyrk` when loaded, else the WebAssembly SIMD kernel on the tiles touching the triangle,
 * else (portable tier `"js"`) {@link gemm} on the full matrix restricted to the triangle.
 */
export function dsyrk(
  n: number,
  k: number,
  a: Float64Array,
  c: Float64Array = new Float64Array(n * n),
  opts: SyrkOptions = {},
): Float64Array {
  const { trans = false, alpha = 1, beta = 0, uplo = "upper" } = opts;
  if (a.length < n * k) {
    throw new RangeError(`lib/linalg/blas.ts dsyrk: A has ${a.length} values, needs ${n * k}`);
  }
  if (c.length < n * n) {
    throw new RangeError(`lib/linalg/blas.ts dsyrk: C has ${c.length} values, needs ${n * n}`);
  }
  if (n === 0) return c;
  const lib = _native();
  if (lib !== null && k > 0 && alpha !== 0) {
    lib.symbols.cblas_dsyrk(
      _ROW_MAJOR,
      uplo === "upper" ? _UPPER : _LOWER,
      trans ? _TRANS : _NO_TRANS,
      n,
      k,
      alpha,
      a,
      trans ? n : k,
      beta,
      c,
      n,
    );
    return c;
  }
  if (n * n * k >= 16384 && portableTier() === "wasm-simd") {
    syrkWasm(n, k, a, c, trans, alpha, beta, uplo === "upper");
    return c;
  }
  const full = gemm(n, n, k, a, a, new Float64Array(n * n), { transA: trans, transB: !trans, alpha });
  for (let i = 0; i < n; i++) {
    const j0 = uplo === "upper" ? i : 0;
    const j1 = uplo === "upper" ? n : i + 1;
    for (let j = j0; j < j1; j++) {
      const idx = i * n + j;
      c[idx] = full[idx] + (beta === 0 ? 0 : beta * c[idx]);
    }
  }
  return c;
}

/** Result of {@link dsyevd}: eigenvalues ascending, eigenvectors as rows (see there). */
export interface DsyevdResult {
  /** Eigenvalues in ascending order (LAPACK's order). */
  w: Float64Array;
  /** With `"V"`: n × n, row i = eigenvector of w[i] (LAPACK's column-major Z read row-major). */
  z?: Float64Array;
}

/**
 * LAPACK `dsyevd_` (divide and conquer) on the symmetric n × n matrix `a` (row-major or
 * column-major: symmetric, so the same); `a` is not modified. Requires the native library.
 */
export function dsyevd(a: Float64Array, n: number, jobz: "V" | "N" = "V"): DsyevdResult {
  const lib = _native();
  if (lib === null) {
    throw new Error("lib/linalg/blas.ts dsyevd: native LAPACK is not loaded (call loadBlas first)");
  }
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`lib/linalg/blas.ts dsyevd: bad order ${n}`);
  if (a.length !== n * n) {
    throw new RangeError(
      `lib/linalg/blas.ts dsyevd: matrix has ${a.length} values, expected ${n}² = ${n * n}`,
    );
  }
  const work0 = Float64Array.from(a);
  const w = new Float64Array(n);
  const jz = new Uint8Array([jobz.charCodeAt(0)]);
  const ul = new Uint8Array(["U".charCodeAt(0)]);
  const nn = new Int32Array([n]);
  const info = new Int32Array(1);
  // Workspace query: lwork = liwork = −1 returns the optimal sizes in work[0] and iwork[0].
  const wq = new Float64Array(1);
  const iwq = new Int32Array(1);
  const lw = new Int32Array([-1]);
  const liw = new Int32Array([-1]);
  lib.symbols.dsyevd_(jz, ul, nn, work0, nn, w, wq, lw, iwq, liw, info, 1n, 1n);
  if (info[0] !== 0) throw new Error(`lib/linalg/blas.ts dsyevd: workspace query failed, info = ${info[0]}`);
  const lwork = Math.max(1, Math.ceil(wq[0]));
  const liwork = Math.max(1, iwq[0]);
  const work = new Float64Array(lwork);
  const iwork = new Int32Array(liwork);
  lw[0] = lwork;
  liw[0] = liwork;
  lib.symbols.dsyevd_(jz, ul, nn, work0, nn, w, work, lw, iwork, liw, info, 1n, 1n);
  if (info[0] < 0) throw new Error(`lib/linalg/blas.ts dsyevd: argument ${-info[0]} had an illegal value`);
  if (info[0] > 0) throw new Error(`lib/linalg/blas.ts dsyevd: failed to converge (info = ${info[0]})`);
  return jobz === "V" ? { w, z: work0 } : { w };
}
