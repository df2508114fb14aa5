/**
 * Conv2D forward through native BLAS on the shifted-GEMM layout (shift_gemm.ts): one `sgemm` per
 * filter tap, or a single one on an expanded side when a side has few channels; it works directly
 * on the backend's memory (the wasm heap or cpu's arrays), and never builds a full im2col matrix.
 *
 * Replaces: the backend's Conv2D (XNNPACK on wasm: single-threaded 128-bit SIMD) when native
 * OpenBLAS is loaded, and FusedConv2D (`tf.fused.conv2d`) with a bias and no activation, the bias
 * being added while the outputs are copied off the GEMM grid (other fused forms: the backend's own).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { sgemm } from "../linalg/blas.ts";
import type { BackendOps } from "./backend_ops.ts";
import { conv2DConfig, type ConvAttrs, convInfo, fusedConv2DConfig } from "./conv_info.ts";
import {
  convStrategy,
  cropOutput,
  expandInput,
  foldOutput,
  gatherFilter,
  packPhases,
  shiftGeometry,
} from "./shift_gemm.ts";

const _FILE = "lib/kernels/blas_conv2d.ts";

/** conv2d(x, filter) (+ bias) on the shifted-GEMM layout; returns the kept output. */
function _conv(
  ops: BackendOps,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: ConvAttrs,
  bias?: tf.TensorInfo,
): tf.TensorInfo {
  const g = shiftGeometry(convInfo(_FILE, x.shape, filter.shape, attrs));
  const { rows, cin, cout, taps } = g;
  const strategy = convStrategy(g);
  const packed = ops.alloc([g.phases * rows * cin]);
  const full = ops.alloc([rows * cout]);
  const maxTaps = Math.max(...g.phaseTaps.map((l) => l.length));
  const scratch = strategy === "expandInput"
    ? ops.alloc([rows * taps.length * cin])
    : strategy === "expandOutput"
    ? ops.alloc([rows * maxTaps * cout + cin * maxTaps * cout])
    : null;
  const out = ops.keep(ops.alloc([g.n, g.oh, g.ow, cout]));
  const pv = ops.view(packed);
  const fv = ops.view(full);
  const wv = ops.view(filter);
  packPhases(ops.view(x), g, pv);
  if (strategy === "expandInput") {
    const ev = ops.view(scratch!);
    expandInput(pv, g, ev);
    sgemm(rows, cout, taps.length * cin, ev, wv, fv);
  } else if (strategy === "expandOutput") {
    const sv = ops.view(scratch!);
    fv.fill(0);
    for (let p = 0; p < g.phases; p++) {
      const width = g.phaseTaps[p].length * cout;
      if (width === 0) continue;
      const z = sv.subarray(0, rows * width);
      const wp = sv.subarray(rows * maxTaps * cout, rows * maxTaps * cout + cin * width);
      gatherFilter(wv, g, p, wp);
      sgemm(rows, width, cin, pv.subarray(p * rows * cin), wp, z);
      foldOutput(z, g, p, fv);
    }
  } else {
    const blk = cin * cout;
    for (const t of taps) {
      const aOff = (t.phase * rows + t.shift) * cin;
      const wOff = (t.i * g.kw + t.j) * blk;
      sgemm(rows - t.shift, cout, cin, pv.subarray(aOff), wv.subarray(wOff, wOff + blk), fv, {
        beta: t.phase === 0 && t.shift === 0 ? 0 : 1,
      });
    }
  }
  cropOutput(fv, g, ops.view(out), bias === undefined ? undefined : ops.view(bias));
  return out;
}

/** The BLAS Conv2D kernel config for `backendName` (NHWC). */
export function blasConv2DConfig(backendName: string): tf.KernelConfig {
  return conv2DConfig(backendName, _conv);
}

/**
 * The BLAS FusedConv2D kernel config for `backendName`: bias with the linear activation here,
 * everything else by the backend's own FusedConv2D.
 */
export function blasFusedConv2DConfig(backendName: string): tf.KernelConfig {
  return fusedConv2DConfig(backendName, _conv);
}
