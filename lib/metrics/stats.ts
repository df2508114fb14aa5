/**
 * Small statistics the claims share: band means over σ levels, Spearman's rank correlation (the criteria's
 * "trend" test), and eq. 10's per-pixel RMSE between rows of two batches. Pure functions.
 *
 * @module
 */
import type { Batch } from "../types.ts";

/** Mean of `values` (one per entry of `sigmas`) over the levels listed in `at` (each must be in `sigmas`). */
export function meanAt(sigmas: readonly number[], values: readonly number[], at: readonly number[]): number {
  if (values.length !== sigmas.length) {
    throw new RangeError(
      `lib/metrics/stats.ts meanAt: ${values.length} values for ${sigmas.length} σ levels`,
    );
  }
  if (at.length === 0) throw new RangeError("lib/metrics/stats.ts meanAt: no σ levels to average");
  let s = 0;
  for (const a of at) {
    const k = sigmas.indexOf(a);
    if (k < 0) {
      throw new RangeError(`lib/metrics/stats.ts meanAt: σ = ${a} is not on the grid ${sigmas.join(", ")}`);
    }
    s += values[k];
  }
  return s / at.length;
}

/** Spearman's rank correlation of x and y (ties get their mean rank); the criteria's "trend" test. */
export function rankCorrelation(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length || x.length < 2) {
    throw new RangeError(`lib/metrics/stats.ts rankCorrelation: need two series of equal length ≥ 2`);
  }
  const rx = _ranks(x);
  const ry = _ranks(y);
  const n = x.length;
  const mx = rx.reduce((a, b) => a + b, 0) / n;
  const my = ry.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let vx = 0;
  let vy = 0;
  for (let i = 0; i < n; i++) {
    num += (rx[i] - mx) * (ry[i] - my);
    vx += (rx[i] - mx) ** 2;
    vy += (ry[i] - my) ** 2;
  }
  return vx > 0 && vy > 0 ? num / Math.sqrt(vx * vy) : 0;
}

function _ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** √(‖a − b‖²/d): eq. 10's RMSE per pixel for one pair of vectors (e.g. two samples). */
export function rmsePerPixel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s / a.length);
}

/**
 * RMSE per pixel between row i of `a` and row (i + shift) mod n of `b`, for every i: with shift 0,
 * samples from the same initial noise; with shift 1, from other noise (the chance level).
 */
export function rowRmse(a: Batch, b: Batch, shift = 0): number[] {
  if (a.n !== b.n || a.d !== b.d || a.n === 0) {
    throw new RangeError(`lib/metrics/stats.ts rowRmse: batches ${a.n}×${a.d} and ${b.n}×${b.d} differ`);
  }
  const d = a.d;
  return Array.from({ length: a.n }, (_, i) => {
    const j = (i + shift) % a.n;
    return rmsePerPixel(a.data.subarray(i * d, (i + 1) * d), b.data.subarray(j * d, (j + 1) * d));
  });
}
