/**
 * D_M, the optimal denoiser of the empirical (multi-delta) distribution of the training images
 * (docs/paper.md Objects), and the exact Euclidean nearest neighbour in the training set (used by
 * the generalisation score, eq. 14).
 *
 * D_M(x; σ) = Σ_i softmax_i(−‖x − y_i‖²/2σ²) y_i is computed with a streaming log-sum-exp over
 * chunks of training rows (online softmax: running max, running sum, running weighted sum), so
 * N = 60000 needs memory O(batch·chunk + batch·d). Squared distances come from
 * ‖x‖² + ‖y‖² − 2xᵀy with the cross terms as one gemm per chunk; ‖x‖² is constant along a
 * softmax row and is dropped.
 *
 * @module
 */

import { type Batch, batch, rows, type SyncDenoiser } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { mean } from "../linalg/covariance.ts";

/** exp(x) rounds to exactly 0 below this, so weights there are set to 0 without calling exp. */
const _EXP_UNDERFLOW = -745.2;

/** Query rows handled at once, bounding the scratch to _QUERY_BLOCK × chunk values. */
const _QUERY_BLOCK = 512;

/** Options of {@link multiDeltaDenoiser} and {@link nearestNeighbours}. */
export interface MultiDeltaOptions {
  /** Training rows per streamed chunk, default 2048. */
  chunk?: number;
}

/**
 * D_M(x; σ) = Σ_i softmax_i(−‖x−y_i‖²/2σ²) y_i over the training rows y_i (docs/paper.md D_M).
 * σ = 0 returns the nearest training image, σ = ∞ the training mean. `train` must not be
 * modified afterwards (its squared norms are cached).
 *
 * @example
 * ```ts
 * import { batch, multiDeltaDenoiser } from "../../gaussian.ts";
 * const DM = multiDeltaDenoiser(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]))); // the training rows y_i
 * const y = DM(batch(1, 2, Float64Array.from([0.9, 0.1])), 0.3); // ≈ the nearest training image
 * ```
 */
export function multiDeltaDenoiser(train: Batch, opts: MultiDeltaOptions = {}): SyncDenoiser {
  _checkTrain(train, "multiDeltaDenoiser");
  const chunk = _chunk(opts.chunk);
  const yNorm = _rowNorms2(train);
  let trainMean: Float64Array | null = null;
  return (x: Batch, sigma: number): Batch => {
    _checkQuery(train, x, "multiDeltaDenoiser");
    if (!(sigma >= 0)) throw new RangeError(`lib/denoisers/multi_delta.ts: σ must be ≥ 0, got ${sigma}`);
    const { d } = train;
    const b = x.n;
    const out = new Float64Array(b * d);
    if (b === 0) return batch(0, d, out);
    if (sigma === 0) {
      const { index } = _nearest(x, train, yNorm, chunk);
      for (let i = 0; i < b; i++) out.set(train.data.subarray(index[i] * d, (index[i] + 1) * d), i * d);
      return batch(b, d, out);
    }
    if (sigma === Infinity) {
      trainMean ??= mean(train);
      for (let i = 0; i < b; i++) out.set(trainMean, i * d);
      return batch(b, d, out);
    }
    const inv2s2 = 1 / (2 * sigma * sigma);
    for (let q = 0; q < b; q += _QUERY_BLOCK) {
      const qb = Math.min(_QUERY_BLOCK, b - q);
      _softmaxBlock(
        x.data.subarray(q * d, (q + qb) * d),
        qb,
        train,
        yNorm,
        chunk,
        inv2s2,
        out.subarray(q * d, (q + qb) * d),
      );
    }
    return batch(b, d, out);
  };
}

/** Online-softmax D_M for one block of b query rows `xd`, written into `out` (b × d). */
function _softmaxBlock(
  xd: Float64Array,
  b: number,
  train: Batch,
  yNorm: Float64Array,
  chunk: number,
  inv2s2: number,
  out: Float64Array,
): void {
  const { d } = train;
  const runMax = new Float64Array(b).fill(-Infinity);
  const runSum = new Float64Array(b);
  const g = new Float64Array(b * chunk);
  for (let s = 0; s < train.n; s += chunk) {
    const c = Math.min(chunk, train.n - s);
    const yc = train.data.subarray(s * d, (s + c) * d);
    gemm(b, c, d, xd, yc, g, { transB: true }); // g[i, j] = x_i · y_{s+j}
    for (let i = 0; i < b; i++) {
      const gi = i * c;
      // Logit (up to the row constant −‖x_i‖²/2σ²): (2 x_i·y_j − ‖y_j‖²)/2σ².
      let m = -Infinity;
      for (let j = 0; j < c; j++) {
        const l = (2 * g[gi + j] - yNorm[s + j]) * inv2s2;
        g[gi + j] = l;
        if (l > m) m = l;
      }
      const newMax = m > runMax[i] ? m : runMax[i];
      const scale = Math.exp(runMax[i] - newMax); // 0 on the first chunk (exp(−∞))
      if (scale !== 1) {
        runSum[i] *= scale;
        const o = i * d;
        for (let k = 0; k < d; k++) out[o + k] *= scale;
      }
      runMax[i] = newMax;
      let sum = 0;
      for (let j = 0; j < c; j++) {
        const e = g[gi + j] - newMax;
        const w = e < _EXP_UNDERFLOW ? 0 : Math.exp(e); // same value, without V8's slow path
        g[gi + j] = w;
        sum += w;
      }
      runSum[i] += sum;
    }
    gemm(b, d, c, g, yc, out, { beta: 1 }); // running weighted sum += w · y
  }
  for (let i = 0; i < b; i++) {
    const inv = 1 / runSum[i];
    const o = i * d;
    for (let k = 0; k < d; k++) out[o + k] *= inv;
  }
}

/** Result of {@link nearestNeighbours}. */
export interface NearestNeighbours {
  /** Index in `train` of each query's nearest training row (lowest index on exact ties). */
  index: Int32Array;
  /** Euclidean distance ‖x − NN(x)‖₂, computed directly from the two rows. */
  distance: Float64Array;
}

/**
 * Exact Euclidean nearest training row of each query row (NN_Y of the generalisation score,
 * docs/paper.md eq. 14). Candidates are screened with ‖x‖² + ‖y‖² − 2xᵀy and confirmed with the
 * directly computed distance, so rounding in the expansion cannot pick a wrong neighbour.
 */
export function nearestNeighbours(
  query: Batch,
  train: Batch,
  opts: MultiDeltaOptions = {},
): NearestNeighbours {
  _checkTrain(train, "nearestNeighbours");
  _checkQuery(train, query, "nearestNeighbours");
  return _nearest(query, train, _rowNorms2(train), _chunk(opts.chunk));
}

function _nearest(x: Batch, train: Batch, yNorm: Float64Array, chunk: number): NearestNeighbours {
  const index = new Int32Array(x.n);
  const distance = new Float64Array(x.n);
  for (let q = 0; q < x.n; q += _QUERY_BLOCK) {
    const part = _nearestBlock(rows(x, q, q + _QUERY_BLOCK), train, yNorm, chunk);
    index.set(part.index, q);
    distance.set(part.distance, q);
  }
  return { index, distance };
}

function _nearestBlock(x: Batch, train: Batch, yNorm: Float64Array, chunk: number): NearestNeighbours {
  const { d } = train;
  const b = x.n;
  const xNorm = _rowNorms2(x);
  let yMax = 0;
  for (let j = 0; j < yNorm.length; j++) if (yNorm[j] > yMax) yMax = yNorm[j];
  const index = new Int32Array(b).fill(-1);
  const best = new Float64Array(b).fill(Infinity); // exact squared distance of the current best
  const g = new Float64Array(b * chunk);
  for (let s = 0; s < train.n; s += chunk) {
    const c = Math.min(chunk, train.n - s);
    const yc = train.data.subarray(s * d, (s + c) * d);
    gemm(b, c, d, x.data, yc, g, { transB: true });
    for (let i = 0; i < b; i++) {
      // The expansion's rounding error is far below this margin (≈ d·ε·(‖x‖² + ‖y‖²)).
      const tol = 1e-9 * (xNorm[i] + yMax) + 1e-300;
      const gi = i * c;
      const xi = i * d;
      for (let j = 0; j < c; j++) {
        const approx = xNorm[i] + yNorm[s + j] - 2 * g[gi + j];
        if (approx > best[i] + tol) continue;
        const yj = (s + j) * d;
        let exact = 0;
        for (let k = 0; k < d; k++) {
          const t = x.data[xi + k] - train.data[yj + k];
          exact += t * t;
        }
        if (exact < best[i]) {
          best[i] = exact;
          index[i] = s + j;
        }
      }
    }
  }
  for (let i = 0; i < b; i++) {
    if (index[i] < 0) throw new RangeError(`lib/denoisers/multi_delta.ts: query row ${i} is not finite`);
  }
  return { index, distance: best.map(Math.sqrt) };
}

function _rowNorms2(x: Batch): Float64Array {
  const { n, d, data } = x;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let k = 0; k < d; k++) s += data[o + k] * data[o + k];
    out[i] = s;
  }
  return out;
}

function _chunk(chunk: number | undefined): number {
  const c = chunk ?? 2048;
  if (!Number.isInteger(c) || c < 1) {
    throw new RangeError(`lib/denoisers/multi_delta.ts: chunk must be a positive integer, got ${c}`);
  }
  return c;
}

function _checkTrain(train: Batch, what: string): void {
  if (train.n < 1) throw new RangeError(`lib/denoisers/multi_delta.ts ${what}: empty training set`);
  if (train.data.length !== train.n * train.d) {
    throw new RangeError(
      `lib/denoisers/multi_delta.ts ${what}: training data length ${train.data.length} ≠ ${train.n} × ${train.d}`,
    );
  }
}

function _checkQuery(train: Batch, x: Batch, what: string): void {
  if (x.d !== train.d) {
    throw new RangeError(
      `lib/denoisers/multi_delta.ts ${what}: query has d = ${x.d}, training set has d = ${train.d}`,
    );
  }
  if (x.data.length !== x.n * x.d) {
    throw new RangeError(
      `lib/denoisers/multi_delta.ts ${what}: query data length ${x.data.length} ≠ ${x.n} × ${x.d}`,
    );
  }
}
