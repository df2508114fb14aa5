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
  let sq: Float64Array | null = null; // y_n[j]², for the masked products (made on first use)
  const squares = () => sq ??= train.data.map((v) => v * v);
  return (x: Batch, sigma: number): Batch => {
    checkQuery(train, x, _WHERE);
    checkSigma(sigma, _WHERE);
    let masks = masksAt.get(sigma);
    if (!masks) {
      masks = localityMasks(model, Number.isFinite(sigma) ? sigma : 1e300, tau);
      masksAt.set(sigma, masks);
    }
    return _apply(train, trainT, squares, masks, x, sigma);
  };
}

/**
 * Queries per call at most, and the smallest mean mask (a fraction of d), for which the scores come from one
 * product of the masked queries with all training images ({@link _maskedScores}) rather than one product
 * per pixel over its gathered pixels ({@link _gatheredScores}). Measured at N = 8192, d = 256, mean mask
 * 169 (τ = 0.005), 8 queries: the gathered way moves about 3·|M_p|·N doubles per pixel through memory
 * and took ~0.8 s per call; the masked way does 1.5× the multiply-adds in large products and took ~0.3 s.
 */
const MASKED_MAX_QUERIES = 16;
const MASKED_MIN_MASK = 0.25;
/** Rows (pixels × queries) of one masked product: 256 rows of N = 8192 are 16 MB. */
const MASKED_ROWS = 256;

function _apply(
  train: Batch,
  trainT: Float64Array,
  squares: () => Float64Array,
  masks: Int32Array[],
  x: Batch,
  sigma: number,
): Batch {
  const { d, n: N } = train;
  const b = x.n;
  const out = new Float64Array(b * d);
  if (b === 0) return batch(0, d, out);
  const inv2s2 = sigma === Infinity ? 0 : 1 / (2 * sigma * sigma);
  const meanMask = masks.reduce((t, m) => t + m.length, 0) / d;
  const step = b <= MASKED_MAX_QUERIES && meanMask >= MASKED_MIN_MASK * d
    ? Math.max(1, Math.floor(MASKED_ROWS / b))
    : 0; // pixels per masked product; 0: gathered, pixel by pixel
  const pixels = Math.max(step, 1);
  // The softmax passes run as a WebAssembly SIMD kernel when it loads (`scoreSoftmaxMean`, on G, ‖y_n‖²
  // and y[p] in its memory): the same weights with its own e^x (within 1 ulp; 0 below 2^−1022) and two
  // partial sums, so the last bits differ from the JavaScript passes'.
  const ws = sigma === 0 ? null : float64Workspace();
  const [G, yn, ypW] = ws?.views([pixels * b * N, pixels * N, N]) ??
    [new Float64Array(pixels * b * N), new Float64Array(pixels * N)];
  /** out[i, p] for every query i of pixel p = p0 + q, from rows q·b + i of G and row q of yn. */
  const softmaxRows = (p0: number, q: number) => {
    const p = p0 + q;
    const yp = trainT.subarray(p * N, (p + 1) * N);
    const ynp = yn.subarray(q * N, (q + 1) * N);
    if (ws !== null) {
      ypW.set(yp);
      const [on, oy] = [ws.offset(ynp), ws.offset(ypW)];
      const og = ws.offset(G) + 8 * q * b * N;
      for (let i = 0; i < b; i++) out[i * d + p] = ws.scoreSoftmaxMean(og + 8 * i * N, on, oy, N, inv2s2);
      return;
    }
    for (let i = 0; i < b; i++) {
      out[i * d + p] = _softmaxMean(G.subarray((q * b + i) * N, (q * b + i + 1) * N), ynp, yp, sigma, inv2s2);
    }
  };
  if (step > 0) {
    for (let p0 = 0; p0 < d; p0 += pixels) {
      const pb = Math.min(pixels, d - p0);
      _maskedScores(train, squares(), masks, x, p0, pb, G, yn);
      for (let q = 0; q < pb; q++) softmaxRows(p0, q);
    }
    return batch(b, d, out);
  }
  // Gathered, pixel by pixel, each updating the previous pixel's scores where that is cheaper.
  for (let p = 0; p < d; p++) {
    _gatheredScores(x, _gatheredColumns(trainT, N, masks[p], p === 0 ? null : masks[p - 1], yn), N, G);
    softmaxRows(p, 0);
  }
  return batch(b, d, out);
}

/** A pixel's gathered training columns: which pixels, with which sign, and whether they update the sums. */
interface _Columns {
  cols: number[];
  signs: number[];
  /** Rows of N: the training images' values at cols. */
  ymT: Float64Array;
  /** True: add to the previous pixel's sums; false: the sums over the mask itself. */
  update: boolean;
}

/**
 * The training columns of a pixel with mask M, and yn[n] = Σ_{j∈M} y_n[j]² made from them. When yn (and
 * the rows of G) hold the previous pixel's sums (mask `prev`) and the masks differ in fewer pixels than M
 * has, they are updated instead: + the pixels M adds, − those it drops (neighbouring pixels' masks share
 * most of their pixels; on 16 × 16 MNIST the updates take 2–5× fewer multiply-adds).
 */
function _gatheredColumns(
  trainT: Float64Array,
  N: number,
  mask: Int32Array,
  prev: Int32Array | null,
  yn: Float64Array,
): _Columns {
  let cols: number[] = [];
  let signs: number[] = [];
  const update = prev !== null && _maskChange(prev, mask, cols, signs) < mask.length;
  if (!update) {
    cols = Array.from(mask);
    signs = cols.map(() => 1);
    yn.fill(0, 0, N);
  }
  const ymT = new Float64Array(cols.length * N);
  for (let t = 0; t < cols.length; t++) {
    const col = trainT.subarray(cols[t] * N, (cols[t] + 1) * N);
    ymT.set(col, t * N);
    if (signs[t] > 0) { for (let n = 0; n < N; n++) yn[n] += col[n] * col[n]; }
    else for (let n = 0; n < N; n++) yn[n] -= col[n] * col[n];
  }
  return { cols, signs, ymT, update };
}

/** G[i, n] = Σ_{j∈M} x_i[j]·y_n[j], or its update (see {@link _gatheredColumns}). */
function _gatheredScores(x: Batch, c: _Columns, N: number, G: Float64Array): void {
  const { n: b, d } = x;
  const m = c.cols.length;
  const xm = new Float64Array(b * m);
  for (let i = 0; i < b; i++) {
    for (let t = 0; t < m; t++) xm[i * m + t] = c.signs[t] * x.data[i * d + c.cols[t]];
  }
  gemm(b, N, m, xm, c.ymT, G, { beta: c.update ? 1 : 0 });
}

/** The pixels of `mask` not in `prev` (sign +1) and of `prev` not in `mask` (−1), both increasing lists. */
function _maskChange(prev: Int32Array, mask: Int32Array, cols: number[], signs: number[]): number {
  let a = 0, b = 0;
  while (a < mask.length || b < prev.length) {
    if (b >= prev.length || (a < mask.length && mask[a] < prev[b])) {
      cols.push(mask[a++]);
      signs.push(1);
    } else if (a >= mask.length || prev[b] < mask[a]) {
      cols.push(prev[b++]);
      signs.push(-1);
    } else {
      a++;
      b++;
    }
  }
  return cols.length;
}

/**
 * For the pb pixels from p0: rows q·b + i of G hold Σ_{j∈M_p} x_i[j]·y_n[j], rows q of yn Σ_{j∈M_p} y_n[j]²
 * (p = p0 + q), from two products over all d pixels with the queries and a 0/1 mask zero outside M_p.
 */
function _maskedScores(
  train: Batch,
  squares: Float64Array,
  masks: Int32Array[],
  x: Batch,
  p0: number,
  pb: number,
  G: Float64Array,
  yn: Float64Array,
): void {
  const { d, n: N } = train;
  const b = x.n;
  const xm = new Float64Array(pb * b * d);
  const mb = new Float64Array(pb * d);
  for (let q = 0; q < pb; q++) {
    for (const j of masks[p0 + q]) {
      mb[q * d + j] = 1;
      for (let i = 0; i < b; i++) xm[(q * b + i) * d + j] = x.data[i * d + j];
    }
  }
  gemm(pb * b, N, d, xm, train.data, G, { transB: true });
  gemm(pb, N, d, mb, squares, yn, { transB: true });
}

/** Σ_n w_n·y[n] / Σ_n w_n, w_n = e^((l_n − max l)/2σ²), l_n = 2·g[n] − yn[n]; σ = 0: y at the largest l. */
function _softmaxMean(
  g: Float64Array,
  yn: Float64Array,
  yp: Float64Array,
  sigma: number,
  inv2s2: number,
): number {
  const N = g.length;
  let mx = -Infinity;
  let am = 0;
  for (let n = 0; n < N; n++) {
    const l = 2 * g[n] - yn[n]; // −‖M_p⊙(x − y_n)‖² up to the row constant
    if (l > mx) {
      mx = l;
      am = n;
    }
  }
  if (sigma === 0) return yp[am];
  let s = 0;
  let acc = 0;
  for (let n = 0; n < N; n++) {
    const e = (2 * g[n] - yn[n] - mx) * inv2s2; // g is left as it is: the next pixel may update it
    if (e < EXP_UNDERFLOW) continue;
    const wgt = Math.exp(e);
    s += wgt;
    acc += wgt * yp[n];
  }
  return acc / s;
}
