/**
 * Kernel replacements registered on a tfjs backend before it starts (PLATFORM-NOTES "tfjs backends
 * under Deno"), so small conv U-Nets train fast on 2 CPU cores.
 *
 * Portable (any backend; built from its own kernels):
 * - Conv2DBackpropFilter — missing on wasm, pathologically slow on cpu ({@link conv2DBackpropFilterConfig});
 * - Conv2DBackpropInput — a naive loop on wasm ({@link conv2DBackpropInputConfig});
 * - BatchMatMul with transposes — ~11× the plain call on wasm ({@link batchMatMulConfig}).
 *
 * Native (`blas: true` and OpenBLAS loads through lib/linalg/blas.ts): Conv2D, Conv2DBackpropInput,
 * Conv2DBackpropFilter and BatchMatMul as `sgemm` calls on the backend's own memory
 * ({@link blasConv2DConfig} and siblings; shift_gemm.ts explains the layout). Without BLAS the
 * portable set is registered and a notice is printed.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { blasLoaded, loadBlas } from "../linalg/blas.ts";
import { batchMatMulConfig } from "./batch_mat_mul.ts";
import { blasBatchMatMulConfig } from "./blas_batch_mat_mul.ts";
import { blasConv2DConfig } from "./blas_conv2d.ts";
import { blasConv2DBackpropFilterConfig } from "./blas_conv2d_backprop_filter.ts";
import { blasConv2DBackpropInputConfig } from "./blas_conv2d_backprop_input.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { originalKernel, replaceKernel, restoreKernels } from "./registry.ts";

export {
  batchMatMulConfig,
  blasBatchMatMulConfig,
  blasConv2DBackpropFilterConfig,
  blasConv2DBackpropInputConfig,
  blasConv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  restoreKernels,
};

/** Options of {@link registerKernelReplacements}. */
export interface KernelReplacementOptions {
  /**
   * Route Conv2D, its two gradients and BatchMatMul through native BLAS (`loadBlas("auto")` is
   * called if no library is loaded yet; when none loads, the portable set is used). Default false.
   */
  blas?: boolean;
}

/**
 * Register the replacements for backend `tfBackend` (`"wasm"` or `"cpu"`; others get none),
 * replacing any registered earlier; returns the kernel names registered, for provenance
 * (BLAS-backed ones are suffixed `:blas`).
 */
export function registerKernelReplacements(tfBackend: string, opts: KernelReplacementOptions = {}): string[] {
  restoreKernels(tfBackend);
  if (tfBackend !== "wasm" && tfBackend !== "cpu") return [];
  const portable: tf.KernelConfig[] = tfBackend === "wasm"
    ? [conv2DBackpropFilterConfig("wasm"), conv2DBackpropInputConfig("wasm"), batchMatMulConfig("wasm")]
    : [conv2DBackpropFilterConfig("cpu")];
  let blas = false;
  if (opts.blas === true) {
    if (!blasLoaded()) loadBlas("auto");
    blas = blasLoaded();
  }
  const names: string[] = [];
  if (!blas) {
    for (const c of portable) {
      replaceKernel(c);
      names.push(c.kernelName);
    }
    return names;
  }
  const byName = new Map(portable.map((c) => [c.kernelName, c]));
  const fallback = (name: string): tf.KernelFunc => {
    const f = byName.get(name)?.kernelFunc ?? originalKernel(name, tfBackend)?.kernelFunc;
    if (f === undefined) throw new Error(`lib/kernels/mod.ts: no fallback kernel '${name}' on '${tfBackend}'`);
    return f;
  };
  const native = [
    blasConv2DConfig(tfBackend),
    blasConv2DBackpropInputConfig(tfBackend, fallback("Conv2DBackpropInput")),
    blasConv2DBackpropFilterConfig(tfBackend, fallback("Conv2DBackpropFilter")),
    blasBatchMatMulConfig(tfBackend),
  ];
  for (const c of native) {
    replaceKernel(c);
    names.push(`${c.kernelName}:blas`);
  }
  return names;
}
