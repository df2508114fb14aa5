/**
 * Conv2D, FusedConv2D (bias, linear), Conv2DBackpropInput and Conv2DBackpropFilter through oneDNN
 * (dnnl_conv.ts) on the backend's own memory: the NHWC/HWIO tensors on the wasm heap (or cpu's arrays)
 * are handed to oneDNN by pointer; nothing is copied into JavaScript.
 *
 * Replaces: the BLAS shifted-GEMM kernels (blas_conv2d*.ts) in the native set when `libdnnl.so.2`
 * loads (lib/kernels/mod.ts). Other FusedConv2D forms (activations, PReLU) run the backend's own kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type BackendOps, withOps } from "./backend_ops.ts";
import { conv2DConfig, type ConvAttrs, convInfo, fusedConv2DConfig } from "./conv_info.ts";
import { DNNL } from "./dnnl.ts";
import { convPlan, runConvPlan } from "./dnnl_conv.ts";

const _FILE = "lib/kernels/dnnl_conv2d.ts";

function _forward(
  ops: BackendOps,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: ConvAttrs,
  bias?: tf.TensorInfo,
): tf.TensorInfo {
  const info = convInfo(_FILE, x.shape, filter.shape, attrs);
  const plan = convPlan("forward", info, bias !== undefined);
  const out = ops.keep(ops.alloc([info.batchSize, info.outHeight, info.outWidth, info.outChannels]));
  const handles = new Map<number, Float32Array>([
    [DNNL.argSrc, ops.view(x)],
    [DNNL.argWeights, ops.view(filter)],
    [DNNL.argDst, ops.view(out)],
  ]);
  if (bias !== undefined) handles.set(DNNL.argBias, ops.view(bias));
  runConvPlan(plan, handles);
  return out;
}

/** The oneDNN Conv2D kernel config for `backendName` (NHWC). */
export function dnnlConv2DConfig(backendName: string): tf.KernelConfig {
  return conv2DConfig(backendName, _forward);
}

/**
 * The oneDNN FusedConv2D kernel config for `backendName`: bias with the linear activation here,
 * everything else by the backend's own FusedConv2D.
 */
export function dnnlFusedConv2DConfig(backendName: string): tf.KernelConfig {
  return fusedConv2DConfig(backendName, _forward);
}

/** The oneDNN Conv2DBackpropInput kernel config for `backendName` (NHWC). */
export function dnnlConv2DBackpropInputConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      const info = convInfo(_FILE, a.inputShape, filter.shape, a);
      const plan = convPlan("backwardData", info, false);
      return withOps(backendName, backend, (ops) => {
        const dx = ops.keep(ops.alloc([...a.inputShape]));
        runConvPlan(
          plan,
          new Map([
            [DNNL.argDiffDst, ops.view(dy)],
            [DNNL.argWeights, ops.view(filter)],
            [DNNL.argDiffSrc, ops.view(dx)],
          ]),
        );
        return dx;
      });
    },
  };
}

/** The oneDNN Conv2DBackpropFilter kernel config for `backendName` (NHWC). */
export function dnnlConv2DBackpropFilterConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      const info = convInfo(_FILE, x.shape, a.filterShape, a);
      const plan = convPlan("backwardWeights", info, false);
      return withOps(backendName, backend, (ops) => {
        const dw = ops.keep(ops.alloc([...a.filterShape]));
        runConvPlan(
          plan,
          new Map([
            [DNNL.argSrc, ops.view(x)],
            [DNNL.argDiffDst, ops.view(dy)],
            [DNNL.argDiffWeights, ops.view(dw)],
          ]),
        );
        return dw;
      });
    },
  };
}
