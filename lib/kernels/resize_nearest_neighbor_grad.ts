/**
 * ResizeNearestNeighborGrad (the gradient of nearest-neighbour resizing, e.g. the U-Net's ×2
 * upsampling) as one scatter-add pass in JavaScript over the backend's memory.
 *
 * Replaces: wasm's version, which for every input pixel searches a window of dy (6 ms for a
 * [64, 16, 16, 64] dy — more than the forward conv next to it); this pass is ~1 ms.
 *
 * It is the exact adjoint of the forward resize: dy at output pixel (y, x) is added to the input
 * pixel the forward pass copied from, with the forward's own index rule (alignCorners,
 * halfPixelCenters). tfjs' cpu and wasm gradients ignore halfPixelCenters; for the default
 * (false) all agree.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { withOps } from "./backend_ops.ts";

/** Source index of output row/column `i` (tfjs' ResizeNearestNeighbor rule). */
export function nearestSource(
  i: number,
  inSize: number,
  outSize: number,
  align: boolean,
  half: boolean,
): number {
  const ratio = (align && outSize > 1 ? inSize - 1 : inSize) / (align && outSize > 1 ? outSize - 1 : outSize);
  const frac = half ? ratio * (i + 0.5) : ratio * i;
  let src = Math.min(inSize - 1, align ? Math.round(frac) : Math.floor(frac));
  if (half) src = Math.max(0, src);
  return src;
}

/** The replacement's kernel config for `backendName` (float32 NHWC). */
export function resizeNearestNeighborGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.ResizeNearestNeighborGrad,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
      const { alignCorners = false, halfPixelCenters = false } =
        attrs as unknown as tf.ResizeNearestNeighborAttrs;
      const [n, h, w, c] = images.shape;
      const [, oh, ow] = dy.shape;
      const rowSrc = Array.from(
        { length: oh },
        (_, y) => nearestSource(y, h, oh, alignCorners, halfPixelCenters),
      );
      const colSrc = Array.from(
        { length: ow },
        (_, x) => nearestSource(x, w, ow, alignCorners, halfPixelCenters),
      );
      return withOps(backendName, backend, (ops) => {
        const dx = ops.keep(ops.alloc([n, h, w, c]));
        const dxv = ops.view(dx);
        const dyv = ops.view(dy);
        dxv.fill(0);
        let s = 0;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < oh; y++) {
            const rowBase = ((b * h + rowSrc[y]) * w) * c;
            for (let x = 0; x < ow; x++) {
              let d = rowBase + colSrc[x] * c;
              for (let k = 0; k < c; k++) dxv[d++] += dyv[s++];
            }
          }
        }
        return dx;
      });
    },
  };
}
