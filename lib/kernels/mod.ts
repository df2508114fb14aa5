/**
 * Kernel replacements registered on a tfjs backend before it starts (docs/scale.md, "The
 * platform"), so small conv U-Nets train fast on 2 CPU cores. One module per kernel, each saying
 * what it replaces and why; each is tested against tfjs' cpu backend in tests/kernels/.
 *
 * Portable set (`registerKernelReplacements("wasm")`; no native code):
 * - Conv2DBackpropFilter: missing on wasm (and pathological on cpu) → one dilated Conv2D;
 * - Conv2DBackpropInput: a naive loop on wasm → one stride-1 Conv2D of the dilated dy;
 * - BatchMatMul with transposes: ~11× the plain call on wasm → Transpose + plain call;
 * - Sum, Mean (any axes), Add/Sub/Multiply/RealDiv with broadcasting, SplitV, Concat, Identity,
 *   ResizeNearestNeighborGrad: JavaScript passes over the wasm heap where wasm's versions copy,
 *   transpose or index per element;
 * - HgGroupNormAct / HgGroupNormActGrad: a fused GroupNorm(+SiLU) and its gradient, used through
 *   {@link groupNormAct}; on wasm their element passes are WebAssembly SIMD kernels (lib/kernels/wasm/,
 *   built from AssemblyScript by `deno task build:wasm`; same bits as the JavaScript passes).
 *
 * Native set (`{blas: true}` and OpenBLAS loads through lib/linalg/blas.ts): the portable set with
 * Conv2D, FusedConv2D (bias, linear), Conv2DBackpropInput, Conv2DBackpropFilter and BatchMatMul as
 * `sgemm` calls on the backend's own memory (shift_gemm.ts explains the layout; no im2col matrix).
 * When no BLAS loads, the portable set is registered (blas.ts prints a notice).
 *
 * oneDNN (`{blas: true}`, unless `dnnl: false`, and `libdnnl.so.2` loads through dnnl.ts): in the native
 * set, Conv2D, FusedConv2D (bias, linear) and the two convolution gradients run as oneDNN primitives
 * on the same memory (dnnl_conv2d.ts) instead of the shifted GEMMs; BatchMatMul stays on OpenBLAS.
 * When it does not load, dnnl.ts prints a one-line notice and the BLAS convolutions are used.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { blasInfo, blasLoaded, loadBlas } from "../linalg/blas.ts";
import { batchMatMulConfig } from "./batch_mat_mul.ts";
import { blasBatchMatMulConfig } from "./blas_batch_mat_mul.ts";
import { blasConv2DConfig, blasFusedConv2DConfig } from "./blas_conv2d.ts";
import { blasConv2DBackpropFilterConfig } from "./blas_conv2d_backprop_filter.ts";
import { blasConv2DBackpropInputConfig } from "./blas_conv2d_backprop_input.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { dnnlLoaded, loadDnnl, setDnnlThreads } from "./dnnl.ts";
import {
  dnnlConv2DBackpropFilterConfig,
  dnnlConv2DBackpropInputConfig,
  dnnlConv2DConfig,
  dnnlFusedConv2DConfig,
} from "./dnnl_conv2d.ts";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { preferOpenBlasCore } from "./openblas_core.ts";
import { resizeNearestNeighborGradConfig } from "./resize_nearest_neighbor_grad.ts";
import { meanConfig, sumConfig } from "./reduce.ts";
import { BROADCAST_BINARY_KERNELS, broadcastBinaryConfig } from "./broadcast_binary.ts";
import { concatConfig } from "./concat.ts";
import { identityConfig } from "./identity.ts";
import {
  GROUP_NORM_ACT,
  GROUP_NORM_ACT_GRAD,
  groupNormAct,
  groupNormActConfig,
  groupNormActGrad,
  groupNormActGradConfig,
} from "./group_norm.ts";
import { splitVConfig } from "./split_v.ts";
import { originalKernel, replaceKernel, restoreKernels } from "./registry.ts";

export {
  batchMatMulConfig,
  blasBatchMatMulConfig,
  blasConv2DBackpropFilterConfig,
  blasConv2DBackpropInputConfig,
  blasConv2DConfig,
  blasFusedConv2DConfig,
  broadcastBinaryConfig,
  concatConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  dnnlConv2DBackpropFilterConfig,
  dnnlConv2DBackpropInputConfig,
  dnnlConv2DConfig,
  dnnlFusedConv2DConfig,
  GROUP_NORM_ACT,
  GROUP_NORM_ACT_GRAD,
  groupNormAct,
  groupNormActConfig,
  groupNormActGradConfig,
  identityConfig,
  meanConfig,
  preferOpenBlasCore,
  resizeNearestNeighborGradConfig,
  restoreKernels,
  splitVConfig,
  sumConfig,
};

/** Options of {@link registerKernelReplacements}. */
export interface KernelReplacementOptions {
  /**
   * Route Conv2D, FusedConv2D, its two gradients and BatchMatMul through native BLAS (`loadBlas("auto")` is
   * called if no library is loaded yet, after {@link preferOpenBlasCore}; when none loads, the
   * portable set is used). Default false.
   */
  blas?: boolean;
  /**
   * In the native set, run the convolutions through oneDNN when `libdnnl.so.2` loads (`loadDnnl("auto")`
   * is called if it is not loaded yet); false keeps the BLAS convolutions. Default: the value of `blas`.
   */
  dnnl?: boolean;
}

/**
 * Register the replacements for backend `tfBackend` (`"wasm"` or `"cpu"`; others get none),
 * replacing any registered earlier; returns the kernel names registered, for provenance
 * (BLAS-backed ones are suffixed `:blas`, oneDNN-backed ones `:dnnl`).
 */
export function registerKernelReplacements(tfBackend: string, opts: KernelReplacementOptions = {}): string[] {
  restoreKernels(tfBackend);
  if (tfBackend !== "wasm" && tfBackend !== "cpu") return [];
  if (originalKernel(tf.Conv2D, tfBackend) === null) {
    throw new Error(
      `lib/kernels/mod.ts: backend '${tfBackend}' has no kernels registered; import ` +
        `@tensorflow/tfjs-backend-${tfBackend} before registering its replacements`,
    );
  }
  const portable: tf.KernelConfig[] = tfBackend === "wasm"
    ? [
      conv2DBackpropFilterConfig("wasm"),
      conv2DBackpropInputConfig("wasm"),
      batchMatMulConfig("wasm"),
      resizeNearestNeighborGradConfig("wasm"),
      sumConfig("wasm"),
      meanConfig("wasm"),
      splitVConfig("wasm"),
      concatConfig("wasm"),
      ...BROADCAST_BINARY_KERNELS.map((k) => broadcastBinaryConfig(k, "wasm")),
      groupNormActConfig("wasm"),
      groupNormActGradConfig("wasm"),
      identityConfig("wasm", originalKernel(tf.Identity, "wasm")!.kernelFunc),
    ]
    : [conv2DBackpropFilterConfig("cpu"), groupNormActConfig("cpu"), groupNormActGradConfig("cpu")];
  if (tf.getGradient(GROUP_NORM_ACT) === undefined) tf.registerGradient(groupNormActGrad);
  // Kernels the BLAS set leaves to the portable one.
  const shared = new Set<string>([
    tf.ResizeNearestNeighborGrad,
    tf.Sum,
    tf.Mean,
    tf.SplitV,
    tf.Concat,
    ...BROADCAST_BINARY_KERNELS,
    GROUP_NORM_ACT,
    GROUP_NORM_ACT_GRAD,
    tf.Identity,
  ]);
  let blas = false;
  if (opts.blas === true) {
    if (!blasLoaded()) {
      preferOpenBlasCore();
      loadBlas("auto");
    }
    blas = blasLoaded();
  }
  const names: string[] = [];
  if (blas && (opts.dnnl ?? true)) {
    if (!dnnlLoaded()) loadDnnl("auto");
    // One knob for both libraries: oneDNN's OpenMP threads follow OpenBLAS's (OPENBLAS_NUM_THREADS). Two
    // one-thread shards with oneDNN left at one thread per core ran 6× slower (OpenMP waits on 4 threads).
    const threads = blasInfo().threads;
    if (dnnlLoaded() && threads) setDnnlThreads(threads);
  }
  const dnnl = blas && (opts.dnnl ?? true) && dnnlLoaded();
  if (!blas) {
    for (const c of portable) {
      replaceKernel(c);
      names.push(c.kernelName);
    }
    return names;
  }
  const convs = dnnl
    ? [
      dnnlConv2DConfig(tfBackend),
      dnnlFusedConv2DConfig(tfBackend),
      dnnlConv2DBackpropInputConfig(tfBackend),
      dnnlConv2DBackpropFilterConfig(tfBackend),
    ]
    : [
      blasConv2DConfig(tfBackend),
      blasFusedConv2DConfig(tfBackend),
      blasConv2DBackpropInputConfig(tfBackend),
      blasConv2DBackpropFilterConfig(tfBackend),
    ];
  const native = [
    ...portable.filter((c) => shared.has(c.kernelName)),
    ...convs,
    blasBatchMatMulConfig(tfBackend),
  ];
  for (const c of native) {
    replaceKernel(c);
    const suffix = shared.has(c.kernelName)
      ? ""
      : dnnl && c.kernelName !== tf.BatchMatMul
      ? ":dnnl"
      : ":blas";
    names.push(`${c.kernelName}${suffix}`);
  }
  return names;
}
