/**
 * Conv2DBackpropInput through native BLAS on the shifted-GEMM layout (shift_gemm.ts):
 * dX_{a,b}[r + δ] += dY[r]·W[i, j]ᵀ per tap (or one GEMM on an expanded side when a side has few
 * channels), then the phase blocks are unpacked to dx.
 *
 * Replaces: wasm's Conv2DBackpropInput (a naive loop, ~10× its Conv2D) and the portable
 * replacement (conv2d_backprop_input.ts) when native OpenBLAS is loaded.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { sgemm } from "../linalg/blas.ts";
import { withOps } from "./backend_ops.ts";
import { type ConvAttrs, convInfo } from "./conv_info.ts";
import {
  convStrategy,
  embedOutput,
  expandOutput,
  foldInput,
  gatherFilter,
  shiftGeometry,
  unpackPhases,
} from "./shift_gemm.ts";

const _FILE = "lib/kernels/blas_conv2d_backprop_input.ts";

/** The BLAS Conv2DBackpropInput kernel config for `backendName` (NHWC). */
export function blasConv2DBackpropInputConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
      const g = shiftGeometry(convInfo(_FILE, a.inputShape, filter.shape, a));
      const { rows, cin, cout, taps } = g;
      const strategy = convStrategy(g);
      return withOps(backendName, backend, (ops) => {
        const grid = ops.alloc([rows * cout]);
        const packed = ops.alloc([g.phases * rows * cin]);
        const maxTaps = Math.max(...g.phaseTaps.map((l) => l.length));
        const scratch = strategy === "expandInput"
          ? ops.alloc([rows * taps.length * cin])
          : strategy === "expandOutput"
          ? ops.alloc([rows * maxTaps * cout + cin * maxTaps * cout])
          : null;
        const dx = ops.keep(ops.alloc([g.n, g.h, g.w, cin]));
        const gv = ops.view(grid);
        const pv = ops.view(packed);
        const wv = ops.view(filter);
        embedOutput(ops.view(dy), g, gv);
        if (strategy === "expandInput") {
          const ev = ops.view(scratch!);
          sgemm(rows, taps.length * cin, cout, gv, wv, ev, { transB: true });
          pv.fill(0);
          foldInput(ev, g, pv);
        } else if (strategy === "expandOutput") {
          const sv = ops.view(scratch!);
          for (let p = 0; p < g.phases; p++) {
            const width = g.phaseTaps[p].length * cout;
            const dst = pv.subarray(p * rows * cin, (p + 1) * rows * cin);
            if (width === 0) {
              dst.fill(0);
              continue;
            }
            const d = sv.subarray(0, rows * width);
            const wp = sv.subarray(rows * maxTaps * cout, rows * maxTaps * cout + width * cin);
            expandOutput(gv, g, p, d);
            gatherFilter(wv, g, p, wp, true);
            sgemm(rows, cin, width, d, wp, dst);
          }
        } else {
          pv.fill(0);
          const blk = cin * cout;
          for (const t of taps) {
            const cOff = (t.phase * rows + t.shift) * cin;
            const wOff = (t.i * g.kw + t.j) * blk;
            sgemm(rows - t.shift, cin, cout, gv, wv.subarray(wOff, wOff + blk), pv.subarray(cOff), {
              transB: true,
              beta: 1,
            });
          }
        }
        unpackPhases(pv, g, ops.view(dx));
        return dx;
      });
    },
  };
}
