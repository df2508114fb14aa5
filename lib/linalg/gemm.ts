/**
 * Dense float64 matrix products on row-major Float64Arrays.
 *
 * {@link gemm} is the one entry point the library uses for C = α·op(A)·op(B) + β·C. Three tiers, the
 * fastest available first: native BLAS when one is loaded (see `blas.ts`); else the portable
 * WebAssembly SIMD kernel (`gemm_simd.wat`, f64x2, about 6× the scalar loop at d = 784); else (or
 * with {@link setPortableTier}`("js")`, or for products under {@link WASM_MIN_WORK} multiply-adds)
 * a cache-blocked JavaScript loop. The tiers differ only in rounding.
 *
 * @module
 */

import { gemmWasm, wasmSimdAvailable } from "./_wasm_gemm.ts";

/** The linear-algebra tier that runs large products: native OpenBLAS, WebAssembly SIMD, or scalar JavaScript. */
export type LinalgTier = "openblas" | "wasm-simd" | "js";

/** Products with fewer multiply-adds (m·n·k) than this run in the JavaScript loop (packing costs more). */
export const WASM_MIN_WORK = 16384;

let _portable: "wasm-simd" | "js" = "wasm-simd";

/**
 * Choose the tier used without native BLAS: `"wasm-simd"` (default, when the runtime supports it) or
 * `"js"` (the scalar reference). Returns the tier now in effect for large products.
 *
 * @example
 * ```ts
 * import { gemmTier, setPortableTier } from "./gemm.ts";
 * setPortableTier("js"); // reference path, e.g. to compare
 * setPortableTier("wasm-simd");
 * console.log(gemmTier()); // "openblas", "wasm-simd" or "js"
 * ```
 */
export function setPortableTier(tier: "wasm-simd" | "js"): LinalgTier {
  if (tier !== "wasm-simd" && tier !== "js") {
    throw new TypeError(`lib/linalg/gemm.ts: unknown portable tier "${tier}" (use "wasm-simd" or "js")`);
  }
  _portable = tier;
  return gemmTier();
}

/** The portable tier in effect: `"wasm-simd"` when chosen and supported by the runtime, else `"js"`. */
export function portableTier(): "wasm-simd" | "js" {
  return _portable === "wasm-simd" && wasmSimdAvailable() ? "wasm-simd" : "js";
}

/** The tier that runs large products now (for provenance). */
export function gemmTier(): LinalgTier {
  return _nativeGemm !== null ? "openblas" : portableTier();
}

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** Use Aᵀ instead of A (A is stored k × m). */
  transA?: boolean;
  /** Use Bᵀ instead of B (B is stored n × k). */
  transB?: boolean;
  /** Scale of the product, default 1. */
  alpha?: number;
  /** Scale of the existing C, default 0 (C is overwritten). */
  beta?: number;
}

/**
 * C (m × n) = α·op(A)·op(B) + β·C, all row-major; op(A) is m × k, op(B) is k × n.
 * Returns C (allocated when not given).
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array = new Float64Array(m * n),
  opts: GemmOptions = {},
): Float64Array {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  if (a.length < m * k) throw new RangeError(`gemm: A has ${a.length} values, needs ${m * k}`);
  if (b.length < k * n) throw new RangeError(`gemm: B has ${b.length} values, needs ${k * n}`);
  if (c.length < m * n) throw new RangeError(`gemm: C has ${c.length} values, needs ${m * n}`);
  const native = _nativeGemm;
  if (native !== null) {
    native(m, n, k, a, b, c, transA, transB, alpha, beta);
    return c;
  }
  if (m * n * k >= WASM_MIN_WORK && portableTier() === "wasm-simd") {
    gemmWasm(m, n, k, a, b, c, transA, transB, alpha, beta);
    return c;
  }
  if (beta === 0) c.fill(0, 0, m * n);
  else if (beta !== 1) { for (let i = 0; i < m * n; i++) c[i] *= beta; }
  // Bring both operands to the layout the inner loop wants: A row-major m × k, B row-major k × n.
  const A = transA ? _transpose(a, k, m) : a;
  const B = transB ? _transpose(b, n, k) : b;
  const BS = 64;
  for (let i0 = 0; i0 < m; i0 += BS) {
    const i1 = Math.min(i0 + BS, m);
    for (let p0 = 0; p0 < k; p0 += BS) {
      const p1 = Math.min(p0 + BS, k);
      for (let i = i0; i < i1; i++) {
        const ci = i * n;
        const ai = i * k;
        for (let p = p0; p < p1; p++) {
          const av = alpha * A[ai + p];
          if (av === 0) continue;
          const bp = p * n;
          for (let j = 0; j < n; j++) c[ci + j] += av * B[bp + j];
        }
      }
    }
  }
  return c;
}

/** Transpose of a row-major rows × cols matrix (returns cols × rows). */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  return _transpose(a, rows, cols);
}

function _transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ri = i * cols;
    for (let j = 0; j < cols; j++) t[j * rows + i] = a[ri + j];
  }
  return t;
}

/** Signature of a native row-major dgemm installed by `blas.ts`. */
export type NativeGemm = (
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
) => void;

let _nativeGemm: NativeGemm | null = null;

/** Install (or with `null`, remove) the native dgemm that {@link gemm} routes to. */
export function setNativeGemm(fn: NativeGemm | null): void {
  _nativeGemm = fn;
}
