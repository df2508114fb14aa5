/**
 * BatchMatMul with transposeA / transposeB as an explicit Transpose and the plain call.
 *
 * Replaces: wasm's BatchMatMul, whose transposed variants are about 11× slower than the plain one
 * (docs/scale.md, "The platform") — and matMul's gradient uses exactly those (dA = dC·Bᵀ, dB = Aᵀ·dC).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";

/** The replacement's kernel config for `backendName` (wraps that backend's own BatchMatMul). */
export function batchMatMulConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      return withOps(backendName, backend, (ops) => {
        const at = transposeA ? ops.transpose(a, _swapLast(a.shape.length)) : a;
        const bt = transposeB ? ops.transpose(b, _swapLast(b.shape.length)) : b;
        return ops.keep(ops.run(tf.BatchMatMul, { a: at, b: bt }, { transposeA: false, transposeB: false }));
      });
    },
  };
}

function _swapLast(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}
