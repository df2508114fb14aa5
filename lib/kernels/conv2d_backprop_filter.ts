/**
 * Conv2DBackpropFilter (the gradient of a conv2d's filter) built from the backend's own Conv2D.
 *
 * Replaces: nothing on wasm (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so training any
 * conv net fails there), and cpu's version, which is pathologically slow (docs/scale.md: 36 s of a
 * 39 s step at batch 8).
 *
 * Why it is correct: dW[i, j, ci, co] = Σ_{n, oy, ox} x̃[n, oy·s + i, ox·s + j, ci] · dy[n, oy, ox, co]
 * with x̃ = x padded as the forward pass did. With x̃ transposed to [Cin, H̃, W̃, N] (Cin as batch, N as
 * channels) and dy transposed to [oh, ow, N, Cout] (a filter), this is one 'valid' Conv2D with
 * dilation = the forward stride; its output [Cin, kh, kw, Cout] is transposed to [kh, kw, Cin, Cout].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";
import { type ConvAttrs, convInfo } from "./conv_info.ts";

const _FILE = "lib/kernels/conv2d_backprop_filter.ts";

/** The replacement's kernel config for `backendName` (any backend with Conv2D, PadV2, Slice, Transpose). */
export function conv2DBackpropFilterConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      const info = convInfo(_FILE, x.shape, a.filterShape, a);
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
      const { outHeight: oh, outWidth: ow, inHeight: h, inWidth: w, padInfo } = info;
      return withOps(backendName, backend, (ops) => {
        // x̃ must hold exactly rows 0 … (oh−1)·sh + kh − 1 of the padded input.
        const hp = (oh - 1) * sh + kh;
        const wp = (ow - 1) * sw + kw;
        const xp = ops.padOrCrop(x, [[0, 0], [padInfo.top, hp - padInfo.top - h], [
          padInfo.left,
          wp - padInfo.left - w,
        ], [0, 0]]);
        const xt = ops.transpose(xp, [3, 1, 2, 0]);
        const dyt = ops.transpose(dy, [1, 2, 0, 3]);
        const g = ops.run(tf.Conv2D, { x: xt, filter: dyt }, {
          strides: 1,
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [sh, sw],
        });
        return ops.keep(ops.transpose(g, [1, 2, 0, 3]));
      });
    },
  };
}
