/**
 * Conv2DBackpropInput (the gradient of a conv2d's input) as one stride-1 Conv2D.
 *
 * Replaces: wasm's Conv2DBackpropInput, a naive loop about 10× slower than its Conv2D (docs/scale.md).
 *
 * Why it is correct: dx[n, y, x, ci] = Σ dy[n, oy, ox, co] · W[i, j, ci, co] over oy·s + i − pad = y.
 * Insert s − 1 zeros between dy's pixels, pad by k − 1 − pad before (and to size H + kh − 1), and
 * correlate with W rotated by 180° with its in/out channels swapped ('valid', stride 1).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";
import { type ConvAttrs, convInfo } from "./conv_info.ts";

const _FILE = "lib/kernels/conv2d_backprop_input.ts";

/** The replacement's kernel config for `backendName` (any backend with Conv2D, PadV2, Slice, Reverse, Transpose). */
export function conv2DBackpropInputConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      const info = convInfo(_FILE, a.inputShape, filter.shape, a);
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
      const { outHeight: oh, outWidth: ow, inHeight: h, inWidth: w, padInfo } = info;
      const [n, , , cout] = dy.shape;
      return withOps(backendName, backend, (ops) => {
        // Dilate: [n, oh, 1, ow, 1, c] padded to [n, oh, sh, ow, sw, c] = [n, oh·sh, ow·sw, c].
        let z = dy;
        if (sh > 1 || sw > 1) {
          const d6 = ops.reshape(dy, [n, oh, 1, ow, 1, cout]);
          const p6 = ops.padOrCrop(d6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
          z = ops.reshape(p6, [n, oh * sh, ow * sw, cout]);
        }
        const top = kh - 1 - padInfo.top;
        const left = kw - 1 - padInfo.left;
        const zp = ops.padOrCrop(z, [[0, 0], [top, h + kh - 1 - top - oh * sh], [
          left,
          w + kw - 1 - left - ow * sw,
        ], [0, 0]]);
        const rot = ops.run(tf.Reverse, { x: filter }, { dims: [0, 1] });
        const wt = ops.transpose(rot, [0, 1, 3, 2]);
        const dx = ops.run(tf.Conv2D, { x: zp, filter: wt }, {
          strides: 1,
          pad: "valid",
          dataFormat: "NHWC",
          dilations: 1,
        });
        return ops.keep(dx);
      });
    },
  };
}
