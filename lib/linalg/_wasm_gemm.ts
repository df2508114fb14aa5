/**
 * The portable float64 tier: GEMM and SYRK on the WebAssembly SIMD kernel of lib/linalg/gemm_simd.wat
 * (f64x2, packed panels, 4 × 4 register tiles), used by lib/linalg/gemm.ts and lib/linalg/blas.ts when
 * native OpenBLAS is not loaded. Operands are packed into the module's memory here (transposes are free at
 * that step), the kernel computes the padded product, and the result is scaled back into C.
 *
 * @module
 */
import { GEMM_SIMD_STRICT_WASM_BASE64, GEMM_SIMD_WASM_BASE64 } from "./_gemm_simd_wasm.ts";
import { decodeBase64 } from "../kernels/wasm/_base64.ts";

/**
 * The kernel's two builds (lib/linalg/gemm_simd.wat): `"fma"` multiply-adds with relaxed SIMD's
 * f64x2.relaxed_madd (fused on CPUs with FMA, about twice the throughput; the last bit of a sum may then
 * differ from a CPU without FMA), `"strict"` with a rounded multiply then a rounded add (the same bits on
 * every engine).
 */
export type WasmKernel = "fma" | "strict";

type _GemmExport = (
  ap: number,
  bp: number,
  cp: number,
  mb: number,
  k: number,
  ldc: number,
  jb0: number,
  jb1: number,
  tri: number,
) => void;

interface _Kernel {
  memory: WebAssembly.Memory;
  gemm: _GemmExport;
}

/** undefined: not tried yet; null: WebAssembly SIMD unavailable in this runtime. */
let _state: _Kernel | null | undefined;
let _why = "";

/** The compiled module (for workers that share the memory). */
let _module: WebAssembly.Module | null = null;
/** The build asked for, and the one loaded (null until loaded, or when none loads). */
let _want: WasmKernel = "fma";
let _loaded: WasmKernel | null = null;

function _kernel(): _Kernel | null {
  if (_state !== undefined) return _state;
  // The fma build first when asked for; the strict one where relaxed SIMD does not compile.
  const order: WasmKernel[] = _want === "fma" ? ["fma", "strict"] : ["strict"];
  const why: string[] = [];
  for (const kind of order) {
    try {
      _module = new WebAssembly.Module(
        decodeBase64(kind === "fma" ? GEMM_SIMD_WASM_BASE64 : GEMM_SIMD_STRICT_WASM_BASE64),
      );
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
      const inst = new WebAssembly.Instance(_module, { env: { memory } });
      _state = { memory, gemm: inst.exports.gemm as _GemmExport };
      _loaded = kind;
      _why = why.join("; ");
      return _state;
    } catch (e) {
      why.push(`${kind}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  _module = null;
  _why = why.join("; ");
  _state = null;
  return _state;
}

/**
 * Choose the kernel build for later products: `"fma"` (default; falls back to `"strict"` where relaxed SIMD
 * is missing) or `"strict"` (bit-identical on every engine). Returns the build loaded before the call.
 *
 * @example
 * ```ts
 * import { setWasmKernel, wasmKernel } from "./_wasm_gemm.ts";
 * setWasmKernel("strict"); // e.g. to compare bits across machines
 * console.log(wasmKernel()); // "strict"
 * ```
 */
export function setWasmKernel(kind: WasmKernel): WasmKernel | null {
  if (kind !== "fma" && kind !== "strict") {
    throw new TypeError(`lib/linalg/_wasm_gemm.ts: unknown kernel build "${kind}" (use "fma" or "strict")`);
  }
  const prev = _loaded;
  if (kind !== _want) {
    _want = kind;
    _stopPool();
    _state = undefined;
    _loaded = null;
  }
  return prev;
}

/** The kernel build in use: `"fma"`, `"strict"`, or null when WebAssembly SIMD is unavailable. */
export function wasmKernel(): WasmKernel | null {
  return _kernel() === null ? null : _loaded;
}

// ---- Thread pool: workers (lib/linalg/_gemm_worker.ts) share the kernel's memory and split a product by
// column panels. Control words (Int32 over a SharedArrayBuffer): WORD = (job generation << 16) | next chunk
// to take (taken by compare-exchange, so a chunk runs once and a late worker never mixes two jobs: a job's
// parameters change only after all its chunks are done); DONE = chunks finished; then the job's parameters;
// STOP = 1 tells idle workers to exit (after _IDLE_MS without a parallel product, so the process can end).
const _C = {
  WORD: 0,
  DONE: 1,
  AP: 2,
  BP: 3,
  CP: 4,
  MB: 5,
  K: 6,
  LDC: 7,
  NB: 8,
  PER: 9,
  TRI: 10,
  CHUNKS: 11,
  STOP: 12,
};
const _IDLE_MS = 1000;
/** Products with fewer multiply-adds than this run on the calling thread only. */
export const PARALLEL_MIN_WORK = 4_000_000;

interface _Pool {
  workers: Worker[];
  ctrl: Int32Array;
  gen: number;
  timer?: ReturnType<typeof setTimeout>;
}

let _pool: _Pool | null = null;
/** Consecutive parallel products where waiting for the workers outlasted this thread's own share. */
let _strikes = 0;
/** Large products still to run on the calling thread alone after three such strikes. */
let _backoff = 0;
const _BACKOFF_PRODUCTS = 64;
let _threads = Math.max(1, Math.min(8, globalThis.navigator?.hardwareConcurrency ?? 1));

/**
 * Threads (the calling one included) for large products on the WebAssembly SIMD tier; default the
 * number of logical CPUs (at most 8). 1 disables the worker pool. Returns the previous setting. (When
 * the workers keep lagging, e.g. on a machine busy with other work, products fall back to the calling
 * thread for a while; setting the thread count resets that.)
 */
export function setWasmThreads(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`lib/linalg/_wasm_gemm.ts: threads must be a positive integer, got ${threads}`);
  }
  const prev = _threads;
  _threads = threads;
  _strikes = 0;
  _backoff = 0;
  if (_pool !== null && _pool.workers.length !== threads - 1) _stopPool();
  return prev;
}

/** Threads used for large products on the WebAssembly SIMD tier. */
export function wasmThreads(): number {
  return _threads;
}

function _stopPool(): void {
  const pool = _pool;
  if (pool === null) return;
  _pool = null;
  if (pool.timer !== undefined) clearTimeout(pool.timer);
  Atomics.store(pool.ctrl, _C.STOP, 1);
  Atomics.notify(pool.ctrl, _C.WORD);
  for (const w of pool.workers) w.terminate();
}

function _getPool(): _Pool | null {
  if (_pool !== null) return _pool;
  if (typeof Worker !== "function" || _module === null || _state == null) return null;
  try {
    const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
    const workers: Worker[] = [];
    for (let t = 1; t < _threads; t++) {
      const w = new Worker(new URL("./_gemm_worker.ts", import.meta.url).href, { type: "module" });
      w.postMessage({ module: _module, memory: _state.memory, ctrl });
      workers.push(w);
    }
    _pool = { workers, ctrl, gen: 0 };
  } catch {
    _threads = 1; // workers unavailable (e.g. no permission to read the worker module): single thread
    return null;
  }
  return _pool;
}

/** Take chunks of the current job until none is left. */
function _takeChunks(ctrl: Int32Array, gemm: _GemmExport): void {
  for (;;) {
    const w = Atomics.load(ctrl, _C.WORD);
    const i = w & 0xffff;
    if (i >= Atomics.load(ctrl, _C.CHUNKS)) return;
    if (Atomics.compareExchange(ctrl, _C.WORD, w, w + 1) !== w) continue;
    const per = ctrl[_C.PER];
    const nb = ctrl[_C.NB];
    const jb0 = i * per;
    gemm(
      ctrl[_C.AP],
      ctrl[_C.BP],
      ctrl[_C.CP],
      ctrl[_C.MB],
      ctrl[_C.K],
      ctrl[_C.LDC],
      jb0,
      Math.min(nb, jb0 + per),
      ctrl[_C.TRI],
    );
    Atomics.add(ctrl, _C.DONE, 1);
  }
}

/** The kernel over all column panels, split across the pool when the product is large. */
function _run(
  kern: _Kernel,
  ap: number,
  bp: number,
  cp: number,
  mb: number,
  k: number,
  ldc: number,
  nb: number,
  tri: number,
): void {
  const work = 16 * mb * nb * k;
  const wanted = _threads > 1 && work >= PARALLEL_MIN_WORK && nb >= 2;
  if (wanted && _backoff > 0) _backoff--;
  const pool = wanted && _backoff === 0 ? _getPool() : null;
  if (pool === null) return kern.gemm(ap, bp, cp, mb, k, ldc, 0, nb, tri);
  const ctrl = pool.ctrl;
  const chunks = Math.min(nb, 4 * _threads);
  const per = Math.ceil(nb / chunks);
  const params = [ap, bp, cp, mb, k, ldc, nb, per, tri, Math.ceil(nb / per)];
  for (let j = 0; j < params.length; j++) Atomics.store(ctrl, _C.AP + j, params[j]);
  Atomics.store(ctrl, _C.DONE, 0);
  pool.gen = (pool.gen + 1) & 0x7fff;
  Atomics.store(ctrl, _C.WORD, pool.gen << 16);
  Atomics.notify(ctrl, _C.WORD);
  const t0 = performance.now();
  _takeChunks(ctrl, kern.gemm);
  const t1 = performance.now();
  const total = params[9];
  for (let d = Atomics.load(ctrl, _C.DONE); d < total; d = Atomics.load(ctrl, _C.DONE)) {
    Atomics.wait(ctrl, _C.DONE, d, 50);
  }
  // On a machine busy with other work a worker may hold its chunk while descheduled: when waiting for the
  // workers keeps taking longer than this thread's own share, run the next products on this thread alone.
  const waited = performance.now() - t1;
  _strikes = waited > t1 - t0 + 1 ? _strikes + 1 : Math.max(0, _strikes - 1);
  if (_strikes >= 3) {
    _strikes = 0;
    _backoff = _BACKOFF_PRODUCTS;
  }
  if (pool.timer !== undefined) clearTimeout(pool.timer);
  const timer = setTimeout(_stopPool, _IDLE_MS);
  pool.timer = timer;
  if (typeof Deno !== "undefined") Deno.unrefTimer(timer as unknown as number);
}

/** Whether the WebAssembly SIMD kernel compiles and runs here (it needs SIMD and shared memory). */
export function wasmSimdAvailable(): boolean {
  return _kernel() !== null;
}

/** Why the kernel, or its fma build, did not load ("" when the fma build loaded or none was tried). */
export function wasmSimdError(): string {
  return _why;
}

/** A Float64Array over the module memory, grown to hold `values` float64s. */
function _heap(k: _Kernel, values: number): Float64Array {
  const bytes = values * 8;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.ceil((bytes - have) / 65536);
    if (have / 65536 + pages > 32768) {
      throw new RangeError(`lib/linalg/_wasm_gemm.ts: ${bytes} bytes exceed the 2 GiB kernel memory`);
    }
    k.memory.grow(pages);
  }
  return new Float64Array(k.memory.buffer, 0, values);
}

const _ceil4 = (x: number) => (x + 3) & ~3;

/**
 * Pack op(X) (rows × cols; op(X)[i][p] = X[i·cols + p], or X[p·rows + i] when `trans`) into row panels
 * of 4: dst[off + (i/4)·4·cols + 4p + i%4], the padding rows zero.
 */
function _packRows(
  src: Float64Array,
  rows: number,
  cols: number,
  trans: boolean,
  dst: Float64Array,
  off: number,
): void {
  const panel = 4 * cols;
  if (!trans) {
    for (let i = 0; i < rows; i++) {
      const base = off + (i >> 2) * panel + (i & 3);
      const si = i * cols;
      for (let p = 0; p < cols; p++) dst[base + 4 * p] = src[si + p];
    }
  } else {
    for (let p = 0; p < cols; p++) {
      const sp = p * rows;
      const base = off + 4 * p;
      for (let i = 0; i < rows; i++) dst[base + (i >> 2) * panel + (i & 3)] = src[sp + i];
    }
  }
  for (let i = rows; i < _ceil4(rows); i++) {
    const base = off + (i >> 2) * panel + (i & 3);
    for (let p = 0; p < cols; p++) dst[base + 4 * p] = 0;
  }
}

function _scale(c: Float64Array, len: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, len);
  else if (beta !== 1) { for (let i = 0; i < len; i++) c[i] *= beta; }
}

/**
 * C (m × n) = α·op(A)·op(B) + β·C on the SIMD kernel, row-major, the {@link gemm} contract
 * (lib/linalg/gemm.ts). Throws when the kernel is unavailable.
 */
export function gemmWasm(
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
  const kern = _kernel();
  if (kern === null) throw new Error(`lib/linalg/_wasm_gemm.ts: WebAssembly SIMD unavailable (${_why})`);
  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) return _scale(c, m * n, beta);
  const mp = _ceil4(m);
  const np = _ceil4(n);
  const aOff = 0;
  const bOff = mp * k;
  const cOff = bOff + np * k;
  const heap = _heap(kern, cOff + mp * np);
  _packRows(a, m, k, transA, heap, aOff);
  // Column panels of op(B) are the row panels of op(B)ᵀ (n × k), stored transposed unless transB.
  _packRows(b, n, k, !transB, heap, bOff);
  _run(kern, aOff * 8, bOff * 8, cOff * 8, mp >> 2, k, np, np >> 2, 0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const pi = cOff + i * np;
    if (beta === 0) { for (let j = 0; j < n; j++) c[ci + j] = alpha * heap[pi + j]; }
    else for (let j = 0; j < n; j++) c[ci + j] = alpha * heap[pi + j] + beta * c[ci + j];
  }
}

/**
 * One triangle of C (n × n) = α·op(A)·op(A)ᵀ + β·C on the SIMD kernel, with op(A) = A (n × k) or, when
 * `trans`, Aᵀ (A k × n): the `dsyrk` contract of lib/linalg/blas.ts; only the tiles touching the upper
 * triangle are computed (about half the work), the other triangle of C is left untouched.
 */
export function syrkWasm(
  n: number,
  k: number,
  a: Float64Array,
  c: Float64Array,
  trans: boolean,
  alpha: number,
  beta: number,
  upper: boolean,
): void {
  const kern = _kernel();
  if (kern === null) throw new Error(`lib/linalg/_wasm_gemm.ts: WebAssembly SIMD unavailable (${_why})`);
  if (n === 0) return;
  const np = _ceil4(n);
  const cOff = np * k;
  const heap = _heap(kern, cOff + np * np);
  if (k > 0 && alpha !== 0) {
    _packRows(a, n, k, trans, heap, 0);
    _run(kern, 0, 0, cOff * 8, np >> 2, k, np, np >> 2, 1);
  } else heap.fill(0, cOff, cOff + np * np);
  for (let i = 0; i < n; i++) {
    const j0 = upper ? i : 0;
    const j1 = upper ? n : i + 1;
    for (let j = j0; j < j1; j++) {
      const v = upper ? heap[cOff + i * np + j] : heap[cOff + j * np + i];
      const idx = i * n + j;
      c[idx] = alpha * v + (beta === 0 ? 0 : beta * c[idx]);
    }
  }
}
