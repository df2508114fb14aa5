/**
 * BatchMatMul through native BLAS: one `sgemm` per batch entry, transposes handled by BLAS itself,
 * on the backend's own memory.
 *
 * Replaces: wasm's BatchMatMul (~7–10 GFLOP/s single-threaded, and ~11× slower again with
 * transposeA/transposeB, which matMul's gradient uses) and the portable replacement
 * (batch_mat_mul.ts) when native OpenBLAS is loaded.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { sgemm } from "../linalg/blas.ts";
import { withOps } from "./backend_ops.ts";

const _FILE = "lib/kernels/blas_batch_mat_mul.ts";

/** The BLAS BatchMatMul kernel config for `backendName` (float32, batch dims broadcast as in tfjs). */
export function blasBatchMatMulConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (a.dtype !== "float32" || b.dtype !== "float32") {
        throw new Error(`${_FILE}: only float32 is supported, got ${a.dtype} × ${b.dtype}`);
      }
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      if (k !== kb) {
        throw new Error(
          `${_FILE}: inner sizes ${k} and ${kb} of [${a.shape}] and [${b.shape}] ` +
            `(transposeA=${transposeA}, transposeB=${transposeB}) do not match`,
        );
      }
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
      const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
      const batch = Math.max(batchA, batchB);
      if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) {
        throw new Error(
          `${_FILE}: batch shapes [${a.shape.slice(0, -2)}] and [${b.shape.slice(0, -2)}] differ`,
        );
      }
      return withOps(backendName, backend, (ops) => {
        const out = ops.keep(ops.alloc([...outer, m, n]));
        const av = ops.view(a);
        const bv = ops.view(b);
        const cv = ops.view(out);
        for (let i = 0; i < batch; i++) {
          const ao = (batchA === 1 ? 0 : i) * m * k;
          const bo = (batchB === 1 ? 0 : i) * k * n;
          sgemm(m, n, k, av.subarray(ao, ao + m * k), bv.subarray(bo, bo + k * n), cv.subarray(i * m * n), {
            transA: transposeA,
            transB: transposeB,
          });
        }
        return out;
      });
    },
  };
}
