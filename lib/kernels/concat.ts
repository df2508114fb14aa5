/**
 * Concat as direct block copies over the backend's memory, with short runs copied element-wise.
 *
 * Replaces: wasm's Concat, which calls `TypedArray.set(subarray)` once per (outer index, input):
 * for a channel concat of [64, 16, 16, 32] tensors that is 32 768 tiny copies.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";
import { copyRuns } from "./block_copy.ts";

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
        const ov = ops.view(out);
        const stride = tf.util.sizeFromShape(outShape.slice(ax));
        let off = 0;
        for (const t of parts) {
          const len = tf.util.sizeFromShape(t.shape.slice(ax));
          copyRuns(ops.view(t), 0, len, ov, off, stride, outer, len);
          off += len;
        }
        return out;
      });
    },
  };
}
