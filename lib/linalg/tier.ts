/**
 * One provenance line for the float64 linear algebra in use: the native library (or none), the tier that
 * runs large products (OpenBLAS, WebAssembly SIMD with its kernel build and thread count, or scalar JavaScript) and the
 * eigensolvers that ran.
 *
 * @module
 */
import { blasInfo, describeBlas } from "./blas.ts";
import { eighSolversUsed } from "./eigh.ts";
import { gemmTier } from "./gemm.ts";
import { wasmKernel, wasmThreads } from "./_wasm_gemm.ts";

/**
 * `describeBlas(blasInfo())`, then `gemm: <tier>` and `eigh: <solvers run so far>`, e.g.
 * `none; gemm: wasm-simd fma (2 threads); eigh: ml-matrix`.
 *
 * @example
 * ```ts
 * import { describeLinalg } from "./tier.ts";
 * console.log(describeLinalg()); // e.g. "none; gemm: wasm-simd fma (2 threads); eigh: none yet"
 * ```
 */
export function describeLinalg(): string {
  const tier = gemmTier();
  const threads = tier === "wasm-simd"
    ? ` ${wasmKernel()} (${wasmThreads()} thread${wasmThreads() === 1 ? "" : "s"})`
    : "";
  const solvers = eighSolversUsed();
  return `${describeBlas(blasInfo())}; gemm: ${tier}${threads}; eigh: ${
    solvers.length ? solvers.join(", ") : "none yet"
  }`;
}
