/**
 * Conv2DBackpropFilter through native BLAS on the shifted-GEMM layout (shift_gemm.ts):
 * dW[i, j] = X_{a,b}[δ : R]ᵀ·dY[0 : R − δ] per tap (or one GEMM on an expanded side when a side has
 * few channels).
 *
 * Replaces: the portable filter gradient (conv2d_backprop_filter.ts; wasm has none of its own)
 * when native OpenBLAS is loaded.
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
  expandInput,
  expandOutput,
  packPhases,
  shiftGeometry,
} from "./shift_gemm.ts";

const _FILE = "lib/kernels/blas_conv2d_backprop_filter.ts";

/** The BLAS Conv2DBackpropFilter kernel config for `backendName` (NHWC). */
export function blasConv2DBackpropFilterConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
      const g = shiftGeometry(convInfo(_FILE, x.shape, a.filterShape, a));
      const { rows, cin, cout, taps } = g;
      const strategy = convStrategy(g);
      return withOps(backendName, backend, (ops) => {
        const packed = ops.alloc([g.phases * rows * cin]);
        const grid = ops.alloc([rows * cout]);
        const maxTaps = Math.max(...g.phaseTaps.map((l) => l.length));
        const scratch = strategy === "expandInput"
          ? ops.alloc([rows * taps.length * cin])
          : strategy === "expandOutput"
          ? ops.alloc([rows * maxTaps * cout + cin * maxTaps * cout])
          : null;
        const dw = ops.keep(ops.alloc([g.kh, g.kw, cin, cout]));
        const pv = ops.view(packed);
        const gv = ops.view(grid);
        const dwv = ops.view(dw);
        packPhases(ops.view(x), g, pv);
        embedOutput(ops.view(dy), g, gv);
        const blk = cin * cout;
        if (strategy === "expandInput") {
          const ev = ops.view(scratch!);
          expandInput(pv, g, ev);
          sgemm(taps.length * cin, cout, rows, ev, gv, dwv, { transA: true });
        } else if (strategy === "expandOutput") {
          const sv = ops.view(scratch!);
          for (let p = 0; p < g.phases; p++) {
            const list = g.phaseTaps[p];
            const width = list.length * cout;
            if (width === 0) continue;
            const d = sv.subarray(0, rows * width);
            const gp = sv.subarray(rows * maxTaps * cout, rows * maxTaps * cout + cin * width);
            expandOutput(gv, g, p, d);
            sgemm(cin, width, rows, pv.subarray(p * rows * cin), d, gp, { transA: true });
            // gp[ci, (k, co)] → dW[t_k, ci, co]
            for (let k = 0; k < list.length; k++) {
              const base = list[k] * blk;
              for (let ci = 0; ci < cin; ci++) {
                const src = ci * width + k * cout;
                dwv.set(gp.subarray(src, src + cout), base + ci * cout);
              }
            }
          }
        } else {
          for (const t of taps) {
            const aOff = (t.phase * rows + t.shift) * cin;
            const wOff = (t.i * g.kw + t.j) * blk;
            sgemm(cin, cout, rows - t.shift, pv.subarray(aOff), gv, dwv.subarray(wOff, wOff + blk), {
              transA: true,
            });
          }
        }
        return dw;
      });
    },
  };
}
