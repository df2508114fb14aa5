/**
 * Concat as direct block copies over the backend's memory, with short runs copied element-wise.
 *
 * Replaces: wasm's Concat, which calls `TypedArray.set(subarray)` once per (outer index, input):
 * for a channel concat of [64, 16, 16, 32] tensors that is 32 768 tiny copies.
 *
 * On wasm the runs are copied by a WebAssembly SIMD loop (lib/kernels/wasm/ `copyRuns`, four floats per
 * instruction), which beats both a per-run `set` and a JavaScript loop for the U-Net's runs of 8–32
 * channels; cpu and `HG_WASM_SIMD=0` use lib/kernels/block_copy.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";
import { copyRuns } from "./block_copy.ts";
import { heapOffset, wasmSimdKernels } from "./wasm/mod.ts";

/** The replacement's kernel config for `backendName` (float32; other dtypes use the backend's own). */
export function concatConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Concat,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const list = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as tf.TensorInfo[];
      const { axis } = attrs as unknown as tf.ConcatAttrs;
      return withOps(backendName, backend, (ops) => {
        const parts = list.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
        if (parts.length < 2 || parts.some((t) => t.dtype !== "float32")) {
          return ops.keep(ops.run(tf.Concat, inputs as unknown as tf.NamedTensorInfoMap, attrs));
        }
        const ax = tf.util.parseAxisParam(axis, list[0].shape)[0];
        tf.backend_util.assertParamsConsistent(list.map((t) => t.shape), ax);
        const outShape = tf.backend_util.computeOutShape(list.map((t) => t.shape), ax);
        const outer = tf.util.sizeFromShape(outShape.slice(0, ax));
        const out = ops.keep(ops.alloc(outShape));
        const simd = backendName === "wasm" ? wasmSimdKernels(backend) : null;
        const ov = simd === null ? ops.view(out) : null;
        const stride = tf.util.sizeFromShape(outShape.slice(ax));
        let off = 0;
        for (const t of parts) {
          const len = tf.util.sizeFromShape(t.shape.slice(ax));
          if (simd !== null) {
            simd.copyRuns(
              heapOffset(backend, t),
              len,
              heapOffset(backend, out) + 4 * off,
              stride,
              outer,
              len,
            );
          } else {
            copyRuns(ops.view(t), 0, len, ov!, off, stride, outer, len);
          }
          off += len;
        }
        return out;
      });
    },
  };
}
