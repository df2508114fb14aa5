/**
 * The local score machine LS (Kamb & Ganguli, "An analytic theory of creativity in convolutional diffusion
 * models", ICML 2025, the locally consistent patch posterior, their LS machine): each output pixel p is the
 * posterior mean of the pixel given only the input's P×P patch Ω_p around it, under the empirical
 * distribution of the training patches at the same location,
 *
 *   D[p] = Σ_n softmax_n(−‖x_Ωp − y_n,Ωp‖²/2σ²) y_n[p],
 *
 * with the image zero-padded at its borders (both x and y_n, so a border patch compares only the pixels
 * inside the image). A patch that covers the whole image from every pixel (P ≥ 2·max(H, W) − 1) gives D_M
 * (lib/denoisers/multi_delta.ts) exactly.
 *
 * Cost: the patch distances of every pixel come from one summed-area table of (x − y_n)² per training image,
 * so a query costs O(N·d) per patch size whatever P is, plus N·d exponentials.
 *
 * @module
 */
import { type Batch, batch, type Denoiser } from "../types.ts";
import {
  checkPatch,
  checkQuery,
  checkShape,
  checkSigma,
  EXP_UNDERFLOW,
  type ImageShape,
} from "./_patches.ts";
import { type Float64Workspace, float64Workspace } from "../kernels/wasm/mod.ts";

const _WHERE = "lib/denoisers/local_score.ts";

/** A patch side, fixed or chosen per σ (e.g. calibrated per noise level). */
export type PatchRule = number | ((sigma: number) => number);

/**
 * LS(x; σ) at each patch side in `patches`: one output batch per side, in the same order (Kamb & Ganguli
 * 2025, LS machine). σ = 0 gives each pixel of the training image whose patch is nearest (lowest index on
 * ties); σ = ∞ the training mean.
 */
export function localScoreAll(
  train: Batch,
  shape: ImageShape,
  x: Batch,
  sigma: number,
  patches: readonly number[],
): Batch[] {
  checkShape(shape, train.d, _WHERE);
  checkQuery(train, x, _WHERE);
  checkSigma(sigma, _WHERE);
  for (const P of patches) checkPatch(P, _WHERE);
  if (train.n < 1) throw new RangeError(`${_WHERE}: empty training set`);
  const { height: h, width: w, channels: c } = shape;
  const d = train.d;
  const npx = h * w;
  const nP = patches.length;
  const inv2s2 = sigma === Infinity ? 0 : 1 / (2 * sigma * sigma);
  // One channel, σ > 0: the per-query loop runs as a WebAssembly SIMD kernel when it loads
  // (`localScoreQuery`): the same online softmax in the same order, with its own e^x (within 1 ulp; 0 below
  // 2^−1022), so the last bits differ from the JavaScript loop's.
  const ws = c === 1 && sigma !== 0 ? float64Workspace() : null;
  if (ws !== null) return _localScoreKernel(ws, train, shape, x, inv2s2, patches);
  const outs = patches.map(() => new Float64Array(x.n * d));
  const W1 = w + 1;
  const sat = new Float64Array((h + 1) * W1); // summed-area table of (x − y_n)² summed over channels
  const dist = new Float64Array(nP * npx);
  const best = new Float64Array(nP * npx);
  const arg = new Int32Array(nP * npx);
  const sum = new Float64Array(nP * npx);
  // Per patch side and pixel, the four summed-area-table corners of its (clipped) window.
  const boxes = patches.map((P) => {
    const r = (P - 1) / 2;
    const bx = new Int32Array(npx * 4);
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const i0 = Math.max(0, i - r) * W1, i1 = Math.min(h, i + r + 1) * W1;
        const j0 = Math.max(0, j - r), j1 = Math.min(w, j + r + 1);
        bx.set([i0 + j0, i0 + j1, i1 + j0, i1 + j1], (i * w + j) * 4);
      }
    }
    return bx;
  });

  const distances = (xq: Float64Array, n: number) => {
    const y = train.data.subarray(n * d, (n + 1) * d);
    for (let i = 0; i < h; i++) {
      let rowSum = 0;
      const up = i * W1 + 1, here = up + W1;
      for (let j = 0; j < w; j++) {
        const b = (i * w + j) * c;
        let s = 0;
        for (let ch = 0; ch < c; ch++) {
          const t = xq[b + ch] - y[b + ch];
          s += t * t;
        }
        rowSum += s;
        sat[here + j] = sat[up + j] + rowSum;
      }
    }
    for (let k = 0; k < nP; k++) {
      const bx = boxes[k];
      const dk = dist.subarray(k * npx, (k + 1) * npx);
      for (let p = 0, o = 0; p < npx; p++, o += 4) {
        dk[p] = sat[bx[o + 3]] - sat[bx[o + 1]] - sat[bx[o + 2]] + sat[bx[o]];
      }
    }
  };

  for (let q = 0; q < x.n; q++) {
    const xq = x.data.subarray(q * d, (q + 1) * d);
    best.fill(Infinity);
    sum.fill(0);
    // One pass, online softmax: weights relative to the nearest patch so far, rescaled when it changes.
    // (σ = 0 only tracks the nearest patch.)
    for (let n = 0; n < train.n; n++) {
      distances(xq, n);
      const yo = n * d;
      for (let k = 0; k < nP; k++) {
        const o = outs[k];
        const t0 = k * npx;
        if (sigma === 0) {
          for (let p = 0; p < npx; p++) {
            const t = t0 + p;
            if (dist[t] < best[t]) {
              arg[t] = n;
              best[t] = dist[t];
            }
          }
        } else {
          for (let p = 0; p < npx; p++) {
            const t = t0 + p;
            const dd = dist[t];
            const bt = best[t];
            const ob = q * d + p * c;
            let wgt: number;
            if (dd < bt) {
              arg[t] = n;
              if (sum[t] > 0) {
                const e = (dd - bt) * inv2s2;
                const scale = e < EXP_UNDERFLOW ? 0 : Math.exp(e);
                sum[t] *= scale;
                for (let ch = 0; ch < c; ch++) o[ob + ch] *= scale;
              }
              best[t] = dd;
              wgt = 1;
            } else {
              const e = (bt - dd) * inv2s2;
              if (e < EXP_UNDERFLOW) continue;
              wgt = Math.exp(e);
            }
            sum[t] += wgt;
            for (let ch = 0; ch < c; ch++) o[ob + ch] += wgt * train.data[yo + p * c + ch];
          }
        }
      }
    }
    for (let k = 0; k < nP; k++) {
      const o = outs[k];
      for (let p = 0; p < npx; p++) {
        const ob = q * d + p * c;
        if (sigma === 0) {
          // σ = 0: the pixel of the training image whose patch is nearest (lowest index on ties).
          const yb = arg[k * npx + p] * d + p * c;
          for (let ch = 0; ch < c; ch++) o[ob + ch] = train.data[yb + ch];
          continue;
        }
        const inv = 1 / sum[k * npx + p];
        for (let ch = 0; ch < c; ch++) o[ob + ch] *= inv;
      }
    }
  }
  return outs.map((o) => batch(x.n, d, o));
}

/** {@link localScoreAll} with one channel and σ > 0 on the kernel `localScoreQuery` (views of `ws`). */
function _localScoreKernel(
  ws: Float64Workspace,
  train: Batch,
  shape: ImageShape,
  x: Batch,
  inv2s2: number,
  patches: readonly number[],
): Batch[] {
  const { height: h, width: w } = shape;
  const d = train.d;
  const npx = h * w;
  const nP = patches.length;
  const outs = patches.map(() => new Float64Array(x.n * d));
  const m = nP * npx;
  const R = Math.max(...patches.map((P) => (P - 1) / 2));
  const [yW, xW, radW, satW, distW, bestW, sumW, accW] = ws.views([
    train.n * d,
    d,
    Math.ceil(nP / 2),
    (h + 1 + 2 * R) * (w + 1 + 2 * R),
    m,
    m,
    m,
    m,
  ]);
  yW.set(train.data);
  new Int32Array(radW.buffer, radW.byteOffset, nP).set(patches.map((P) => (P - 1) / 2));
  satW.fill(0);
  const at = ws.offset;
  for (let q = 0; q < x.n; q++) {
    xW.set(x.data.subarray(q * d, (q + 1) * d));
    bestW.fill(Infinity);
    sumW.fill(0);
    accW.fill(0);
    ws.localScoreQuery(
      at(xW),
      at(yW),
      train.n,
      h,
      w,
      at(radW),
      nP,
      R,
      at(satW),
      at(distW),
      at(bestW),
      at(sumW),
      at(accW),
      inv2s2,
    );
    for (let k = 0; k < nP; k++) {
      const o = outs[k];
      for (let p = 0; p < npx; p++) o[q * d + p] = accW[k * npx + p] * (1 / sumW[k * npx + p]);
    }
  }
  return outs.map((o) => batch(x.n, d, o));
}

/**
 * LS as a denoiser D(x; σ) with patch side `patch` (fixed, or a function of σ), Kamb & Ganguli 2025.
 *
 * @example
 * const D = localScoreDenoiser(train, { height: 16, width: 16, channels: 1 }, (s) => (s > 1 ? 11 : 5));
 * const out = await D(x, 0.47);
 */
export function localScoreDenoiser(train: Batch, shape: ImageShape, patch: PatchRule): Denoiser {
  checkShape(shape, train.d, _WHERE);
  return (x: Batch, sigma: number): Batch =>
    localScoreAll(train, shape, x, sigma, [typeof patch === "number" ? patch : patch(sigma)])[0];
}
