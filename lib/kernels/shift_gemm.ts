/**
 * Convolution as a sum of shifted GEMMs ("shift-and-accumulate"), the layout behind the BLAS conv
 * kernels (blas_conv2d*.ts). No im2col matrix (kh·kw times the input) is ever built.
 *
 * NHWC input x [n, h, w, cin], filter W [kh, kw, cin, cout], stride (sh, sw), dilation (dh, dw),
 * padding (top, left). Pad x onto a grid of hs·sh × ws·sw pixels, hs = oh + ⌊(kh−1)·dh/sh⌋,
 * ws = ow + ⌊(kw−1)·dw/sw⌋, and split it by stride phase into sh·sw blocks
 * X_{a,b}[n, Y, X, :] = x̃[n, Y·sh + a, X·sw + b, :], each an R × cin row-major matrix, R = n·hs·ws.
 * Tap (i, j) of the filter reads phase (a, b) = ((i·dh) mod sh, (j·dw) mod sw) shifted by
 * δ = ⌊i·dh/sh⌋·ws + ⌊j·dw/sw⌋ rows, so with the output laid on the same R-row grid
 * (rows with Y < oh and X < ow are the real outputs; the others are discarded):
 *
 * - forward:         Out[r, :]        += X_{a,b}[r + δ, :] · W[i, j]         (r < R − δ)
 * - input gradient:  dX_{a,b}[r + δ, :] += dY[r, :] · W[i, j]ᵀ               (dY zero off the real outputs)
 * - filter gradient: dW[i, j]          = X_{a,b}[δ : R, :]ᵀ · dY[0 : R − δ, :]
 *
 * Each is one GEMM per tap with leading dimension = its column count (what `sgemm` takes).
 * A real output row r never reads past R (r + δ ≤ (oh−1)·ws + ow − 1 + δ < R), so the truncated
 * row ranges lose nothing.
 *
 * With few input or output channels those GEMMs degenerate (inner size 1 for a grey image), so
 * {@link convStrategy} picks one of two single-GEMM forms instead, expanding the small side the way
 * im2col does (cost: rows × taps × channels, small exactly when the channels are few):
 *
 * - `"expandInput"` (few cin): E[r, (t, ci)] = X_{a,b}[r + δ_t, ci]; Out = E·W, dW = Eᵀ·dY,
 *   dE = dY·Wᵀ folded back onto the phase blocks ({@link expandInput}, {@link foldInput});
 * - `"expandOutput"` (few cout), per phase p with taps T_p: D_p[r, (k, co)] = dY[r − δ_{t_k}, co];
 *   Z_p = X_p·[W_t]_{t∈T_p} folded onto the output grid, dW_t = X_pᵀ·D_p, dX_p = D_p·[W_tᵀ]
 *   ({@link expandOutput}, {@link foldOutput}).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/** One filter tap (i, j): its stride phase and row shift on the phase grid. */
export interface Tap {
  /** Filter row. */
  i: number;
  /** Filter column. */
  j: number;
  /** Phase block index a·sw + b. */
  phase: number;
  /** Row shift δ on the phase grid. */
  shift: number;
}

/** Sizes of the shifted-GEMM layout of one convolution (see the module doc). */
export interface ShiftGeometry {
  /** Batch. */
  n: number;
  /** Input height. */
  h: number;
  /** Input width. */
  w: number;
  /** Input channels. */
  cin: number;
  /** Output channels. */
  cout: number;
  /** Filter height. */
  kh: number;
  /** Filter width. */
  kw: number;
  /** Vertical stride. */
  sh: number;
  /** Horizontal stride. */
  sw: number;
  /** Output height. */
  oh: number;
  /** Output width. */
  ow: number;
  /** Padding above. */
  top: number;
  /** Padding left. */
  left: number;
  /** Phase grid height. */
  hs: number;
  /** Phase grid width. */
  ws: number;
  /** Rows of one phase block, n·hs·ws. */
  rows: number;
  /** Number of phase blocks, sh·sw. */
  phases: number;
  /** The kh·kw taps, (0, 0) first. */
  taps: Tap[];
  /** Tap indices by phase block. */
  phaseTaps: number[][];
}

/** How a BLAS conv kernel lays out its GEMMs (see the module doc). */
export type ConvStrategy = "taps" | "expandInput" | "expandOutput";

/** Expanded matrices wider than this many columns are not built: per-tap GEMMs run instead. */
export const EXPAND_MAX_COLUMNS = 64;

/** The GEMM layout for a geometry: expand the small channel side when it is small enough. */
export function convStrategy(g: ShiftGeometry): ConvStrategy {
  const t = g.taps.length;
  if (t === 1) return "taps";
  const inOk = g.cin * t <= EXPAND_MAX_COLUMNS;
  const outOk = g.cout * t <= EXPAND_MAX_COLUMNS;
  if (inOk && (!outOk || g.cin <= g.cout)) return "expandInput";
  if (outOk) return "expandOutput";
  return "taps";
}

/** The layout for a convolution described by tfjs' Conv2DInfo (channelsLast). */
export function shiftGeometry(info: tf.backend_util.Conv2DInfo): ShiftGeometry {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cin, outChannels: cout } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow, padInfo } = info;
  const hs = oh + Math.floor(((kh - 1) * dh) / sh);
  const ws = ow + Math.floor(((kw - 1) * dw) / sw);
  const taps: Tap[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const a = (i * dh) % sh;
      const b = (j * dw) % sw;
      taps.push({
        i,
        j,
        phase: a * sw + b,
        shift: Math.floor((i * dh) / sh) * ws + Math.floor((j * dw) / sw),
      });
    }
  }
  const phaseTaps: number[][] = Array.from({ length: sh * sw }, () => []);
  taps.forEach((t, k) => phaseTaps[t.phase].push(k));
  return {
    n,
    h,
    w,
    cin,
    cout,
    kh,
    kw,
    sh,
    sw,
    oh,
    ow,
    top: padInfo.top,
    left: padInfo.left,
    hs,
    ws,
    rows: n * hs * ws,
    phases: sh * sw,
    taps,
    phaseTaps,
  };
}

/**
 * Pad x [n, h, w, cin] onto the phase grid and split it into the sh·sw phase blocks:
 * `dst` [phases, n, hs, ws, cin] (every element written, zeros off the image).
 */
export function packPhases(x: Float32Array, g: ShiftGeometry, dst: Float32Array): void {
  const { n, h, w, cin, sh, sw, hs, ws, top, left } = g;
  dst.fill(0);
  const rowLen = w * cin;
  const imgLen = h * rowLen;
  for (let a = 0; a < sh; a++) {
    for (let b = 0; b < sw; b++) {
      const base = (a * sw + b) * g.rows * cin;
      // Columns X with 0 ≤ X·sw + b − left < w.
      const x0 = Math.max(0, Math.ceil((left - b) / sw));
      const x1 = Math.min(ws, Math.floor((w - 1 + left - b) / sw) + 1);
      if (x1 <= x0) continue;
      for (let img = 0; img < n; img++) {
        for (let Y = 0; Y < hs; Y++) {
          const y = Y * sh + a - top;
          if (y < 0 || y >= h) continue;
          const src = img * imgLen + y * rowLen;
          const out = base + ((img * hs + Y) * ws) * cin;
          if (sw === 1) {
            const s0 = src + (x0 - left) * cin;
            dst.set(x.subarray(s0, s0 + (x1 - x0) * cin), out + x0 * cin);
          } else {
            for (let X = x0; X < x1; X++) {
              let s = src + (X * sw + b - left) * cin;
              let d = out + X * cin;
              for (let c = 0; c < cin; c++) dst[d++] = x[s++];
            }
          }
        }
      }
    }
  }
}

/** Put dy [n, oh, ow, cout] on the output grid: `dst` [n, hs, ws, cout], zeros off the real outputs. */
export function embedOutput(dy: Float32Array, g: ShiftGeometry, dst: Float32Array): void {
  const { n, oh, ow, cout, hs, ws } = g;
  if (oh === hs && ow === ws) {
    dst.set(dy.subarray(0, n * oh * ow * cout));
    return;
  }
  dst.fill(0);
  const len = ow * cout;
  for (let img = 0; img < n; img++) {
    for (let y = 0; y < oh; y++) {
      const s = (img * oh + y) * len;
      dst.set(dy.subarray(s, s + len), ((img * hs + y) * ws) * cout);
    }
  }
}

/**
 * Take the real outputs off the output grid: `full` [n, hs, ws, cout] → `out` [n, oh, ow, cout],
 * adding `bias` [cout] on the way when given.
 */
export function cropOutput(
  full: Float32Array,
  g: ShiftGeometry,
  out: Float32Array,
  bias?: Float32Array,
): void {
  const { n, oh, ow, cout, hs, ws } = g;
  if (bias === undefined && oh === hs && ow === ws) {
    out.set(full.subarray(0, n * oh * ow * cout));
    return;
  }
  const len = ow * cout;
  for (let img = 0; img < n; img++) {
    for (let y = 0; y < oh; y++) {
      const s = ((img * hs + y) * ws) * cout;
      const d = (img * oh + y) * len;
      if (bias === undefined) out.set(full.subarray(s, s + len), d);
      else {
        for (let x = 0, k = 0; x < ow; x++) {
          for (let c = 0; c < cout; c++, k++) out[d + k] = full[s + k] + bias[c];
        }
      }
    }
  }
}

/**
 * Inverse of {@link packPhases} for gradients: `dx` [n, h, w, cin] from the phase blocks
 * [phases, n, hs, ws, cin] (pixels the grid does not reach, which the forward pass never read, get 0).
 */
export function unpackPhases(src: Float32Array, g: ShiftGeometry, dx: Float32Array): void {
  const { n, h, w, cin, sh, sw, hs, ws, top, left } = g;
  dx.fill(0);
  const rowLen = w * cin;
  for (let a = 0; a < sh; a++) {
    for (let b = 0; b < sw; b++) {
      const base = (a * sw + b) * g.rows * cin;
      const x0 = Math.max(0, Math.ceil((left - b) / sw));
      const x1 = Math.min(ws, Math.floor((w - 1 + left - b) / sw) + 1);
      if (x1 <= x0) continue;
      for (let img = 0; img < n; img++) {
        for (let Y = 0; Y < hs; Y++) {
          const y = Y * sh + a - top;
          if (y < 0 || y >= h) continue;
          const out = (img * h + y) * rowLen;
          const s = base + ((img * hs + Y) * ws) * cin;
          if (sw === 1) {
            dx.set(src.subarray(s + x0 * cin, s + x1 * cin), out + (x0 - left) * cin);
          } else {
            for (let X = x0; X < x1; X++) {
              let si = s + X * cin;
              let d = out + (X * sw + b - left) * cin;
              for (let c = 0; c < cin; c++) dx[d++] = src[si++];
            }
          }
        }
      }
    }
  }
}

/**
 * im2col on the phase grid: `e` [rows, taps·cin] with e[r, (t, ci)] = X_{phase t}[r + δ_t, ci]
 * (0 where r + δ_t ≥ rows), from the phase blocks `packed` of {@link packPhases}.
 */
export function expandInput(packed: Float32Array, g: ShiftGeometry, e: Float32Array): void {
  const { rows, cin, taps } = g;
  const width = taps.length * cin;
  for (let k = 0; k < taps.length; k++) {
    const { phase, shift } = taps[k];
    const src0 = (phase * rows + shift) * cin;
    const valid = rows - shift;
    const col = k * cin;
    if (cin === 1) {
      for (let r = 0; r < valid; r++) e[r * width + col] = packed[src0 + r];
    } else {
      for (let r = 0; r < valid; r++) {
        let s = src0 + r * cin;
        let d = r * width + col;
        for (let c = 0; c < cin; c++) e[d++] = packed[s++];
      }
    }
    for (let r = Math.max(0, valid); r < rows; r++) e.fill(0, r * width + col, r * width + col + cin);
  }
}

/** col2im, the adjoint of {@link expandInput}: `packed`[phase t][r + δ_t] += de[r, (t, ·)]. */
export function foldInput(de: Float32Array, g: ShiftGeometry, packed: Float32Array): void {
  const { rows, cin, taps } = g;
  const width = taps.length * cin;
  for (let k = 0; k < taps.length; k++) {
    const { phase, shift } = taps[k];
    const dst0 = (phase * rows + shift) * cin;
    const valid = rows - shift;
    const col = k * cin;
    for (let r = 0; r < valid; r++) {
      let s = r * width + col;
      let d = dst0 + r * cin;
      for (let c = 0; c < cin; c++) packed[d++] += de[s++];
    }
  }
}

/**
 * The output-side expansion for phase `p`: `d` [rows, |T_p|·cout] with
 * d[r, (k, co)] = grid[r − δ_{t_k}, co] (0 where r < δ), `grid` [rows, cout] as from {@link embedOutput}.
 */
export function expandOutput(grid: Float32Array, g: ShiftGeometry, p: number, d: Float32Array): void {
  const { rows, cout, taps } = g;
  const list = g.phaseTaps[p];
  const width = list.length * cout;
  for (let k = 0; k < list.length; k++) {
    const shift = taps[list[k]].shift;
    const col = k * cout;
    for (let r = 0; r < Math.min(shift, rows); r++) d.fill(0, r * width + col, r * width + col + cout);
    for (let r = shift; r < rows; r++) {
      let s = (r - shift) * cout;
      let o = r * width + col;
      for (let c = 0; c < cout; c++) d[o++] = grid[s++];
    }
  }
}

/** Adjoint of {@link expandOutput}: `grid`[r] += z[r + δ_{t_k}, (k, ·)] for the taps of phase `p`. */
export function foldOutput(z: Float32Array, g: ShiftGeometry, p: number, grid: Float32Array): void {
  const { rows, cout, taps } = g;
  const list = g.phaseTaps[p];
  const width = list.length * cout;
  for (let k = 0; k < list.length; k++) {
    const shift = taps[list[k]].shift;
    const col = k * cout;
    for (let r = 0; r + shift < rows; r++) {
      let s = (r + shift) * width + col;
      let o = r * cout;
      for (let c = 0; c < cout; c++) grid[o++] += z[s++];
    }
  }
}

/**
 * The filter blocks of phase `p` side by side: `out` [cin, |T_p|·cout] with
 * out[ci, (k, co)] = W[t_k, ci, co] (`transposed`: [|T_p|·cout, cin], out[(k, co), ci] = W[t_k, ci, co]).
 */
export function gatherFilter(
  w: Float32Array,
  g: ShiftGeometry,
  p: number,
  out: Float32Array,
  transposed = false,
): void {
  const { cin, cout } = g;
  const list = g.phaseTaps[p];
  const width = list.length * cout;
  for (let k = 0; k < list.length; k++) {
    const base = list[k] * cin * cout;
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        const v = w[base + ci * cout + co];
        if (transposed) out[(k * cout + co) * cin + ci] = v;
        else out[ci * width + k * cout + co] = v;
      }
    }
  }
}
