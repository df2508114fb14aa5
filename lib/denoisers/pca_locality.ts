/**
 * The PCA-locality denoiser (Lukoianov et al., "Locality in image diffusion models emerges from data
 * statistics", NeurIPS 2025): each output pixel p is the empirical posterior mean of y[p] given the input
 * seen through a mask M_p read off row p of the Wiener matrix W_σ = Σ(Σ+σ²I)⁻¹ of D_G
 * (lib/denoisers/gaussian.ts),
 *
 *   M_p = { j : |W_σ[p, j]| ≥ τ · max_j |W_σ[p, j]| },
 *   D[p] = Σ_n softmax_n(−‖M_p ⊙ (x − y_n)‖²/2σ²) y_n[p].
 *
 * τ = 0 keeps every pixel and gives D_M (lib/denoisers/multi_delta.ts). The masks are recomputed per σ
 * (and memoised). Cost per query: 2·N·Σ_p|M_p| multiply-adds and N·d exponentials.
 *
 * @module
 */
import { type Batch, batch, type Denoiser } from "../types.ts";
import { gemm, transpose } from "../linalg/gemm.ts";
import { type GaussianModel, wienerMatrix } from "./gaussian.ts";
import { checkQuery, checkSigma, EXP_UNDERFLOW } from "./_patches.ts";
import { float64Workspace } from "../kernels/wasm/mod.ts";

const _WHERE = "lib/denoisers/pca_locality.ts";

/**
 * The locality masks M_p = { j : |W_σ[p, j]| ≥ τ·max_j |W_σ[p, j]| } of every pixel p, from the Wiener
 * matrix of `model` at σ (Lukoianov et al. 2025): mask p as the increasing list of its pixels.
 */
export function localityMasks(model: GaussianModel, sigma: number, tau: number): Int32Array[] {
  if (!(tau >= 0 && tau <= 1)) throw new RangeError(`${_WHERE}: τ must be in [0, 1], got ${tau}`);
  const { d } = model;
  const W = wienerMatrix(model, sigma);
  const masks: Int32Array[] = [];
  for (let p = 0; p < d; p++) {
    const row = W.subarray(p * d, (p + 1) * d);
    let mx = 0;
    for (let j = 0; j < d; j++) mx = Math.max(mx, Math.abs(row[j]));
    const keep: number[] = [];
    for (let j = 0; j < d; j++) if (Math.abs(row[j]) >= tau * mx) keep.push(j);
    masks.push(Int32Array.from(keep));
  }
  return masks;
}

/**
 * The PCA-locality denoiser with threshold τ over `train`, masks from `model` (the Gaussian fitted to
 * `train`), Lukoianov et al. 2025. σ = 0 gives each pixel the pixel of the training image nearest
 * through its mask; σ = ∞ the training mean.
 *
 * @example
 * const D = pcaLocalityDenoiser(train, fitGaussian(train), 0.005);
 * const out = await D(x, 0.47);
 */
export function pcaLocalityDenoiser(train: Batch, model: GaussianModel, tau: number): Denoiser {
  if (model.d !== train.d) {
    throw new RangeError(`${_WHERE}: model has d = ${model.d}, training set ${train.d}`);
  }
  if (train.n < 1) throw new RangeError(`${_WHERE}: empty training set`);
  if (!(tau >= 0 && tau <= 1)) throw new RangeError(`${_WHERE}: τ must be in [0, 1], got ${tau}`);
  const masksAt = new Map<number, Int32Array[]>();
  const trainT = transpose(train.data, train.n, train.d); // pixel-major: pixel j's N values contiguous
  return (x: Batch, sigma: number): Batch => {
    checkQuery(train, x, _WHERE);
    checkSigma(sigma, _WHERE);
    let masks = masksAt.get(sigma);
    if (!masks) {
      masks = localityMasks(model, Number.isFinite(sigma) ? sigma : 1e300, tau);
      masksAt.set(sigma, masks);
    }
    return _apply(train, trainT, masks, x, sigma);
  };
}

function _apply(train: Batch, trainT: Float64Array, masks: Int32Array[], x: Batch, sigma: number): Batch {
  const { d, n: N } = train;
  const b = x.n;
  const out = new Float64Array(b * d);
  if (b === 0) return batch(0, d, out);
  const inv2s2 = sigma === Infinity ? 0 : 1 / (2 * sigma * sigma);
  // The softmax passes run as a WebAssembly SIMD kernel when it loads (`scoreSoftmaxMean`, on G, ‖y_n‖²
  // and y[p] in its memory): the same weights with its own e^x (within 1 ulp; 0 below 2^−1022) and two
  // partial sums, so the last bits differ from the JavaScript passes'.
  const ws = sigma === 0 ? null : float64Workspace();
  const [G, yn, ypW] = ws?.views([b * N, N, N]) ?? [new Float64Array(b * N), new Float64Array(N)];
  for (let p = 0; p < d; p++) {
    const mask = masks[p];
    const m = mask.length;
    const xm = new Float64Array(b * m);
    const ymT = new Float64Array(m * N); // masked training pixels, one row of N per kept pixel
    for (let i = 0; i < b; i++) for (let t = 0; t < m; t++) xm[i * m + t] = x.data[i * d + mask[t]];
    yn.fill(0);
    for (let t = 0; t < m; t++) {
      const col = trainT.subarray(mask[t] * N, (mask[t] + 1) * N);
      ymT.set(col, t * N);
      for (let n = 0; n < N; n++) yn[n] += col[n] * col[n];
    }
    gemm(b, N, m, xm, ymT, G);
    const yp = trainT.subarray(p * N, (p + 1) * N);
    if (ws !== null) {
      ypW.set(yp);
      const [og, on, oy] = [ws.offset(G), ws.offset(yn), ws.offset(ypW)];
      for (let i = 0; i < b; i++) out[i * d + p] = ws.scoreSoftmaxMean(og + 8 * i * N, on, oy, N, inv2s2);
      continue;
    }
    for (let i = 0; i < b; i++) {
      const g = G.subarray(i * N, (i + 1) * N);
      let mx = -Infinity;
      let am = 0;
      for (let n = 0; n < N; n++) {
        const l = 2 * g[n] - yn[n]; // −‖M_p⊙(x − y_n)‖² up to the row constant
        g[n] = l;
        if (l > mx) {
          mx = l;
          am = n;
        }
      }
      if (sigma === 0) {
        out[i * d + p] = yp[am];
        continue;
      }
      let s = 0;
      let acc = 0;
      for (let n = 0; n < N; n++) {
        const e = (g[n] - mx) * inv2s2;
        if (e < EXP_UNDERFLOW) continue;
        const wgt = Math.exp(e);
        s += wgt;
        acc += wgt * yp[n];
      }
      out[i * d + p] = acc / s;
    }
  }
  return batch(b, d, out);
}
