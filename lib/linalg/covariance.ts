/**
 * Empirical mean and covariance of a batch of images (the μ and Σ of D_G, docs/paper.md Objects).
 *
 * The covariance uses the 1/N normalisation of the paper. Rows are centred in blocks and their
 * products accumulated block by block, so memory stays O(block·d + d²) even at N = 60000: with
 * native BLAS or the WebAssembly SIMD tier each block is one `dsyrk`, otherwise (backend `"js"`, or
 * portable tier `"js"`) a register-blocked JavaScript kernel on the transposed block. Centring before multiplying avoids the cancellation of E[xxᵀ] − μμᵀ on
 * near-constant pixels.
 *
 * @module
 */

import type { Batch } from "../types.ts";
import { blasLoaded, dsyrk } from "./blas.ts";
import { portableTier } from "./gemm.ts";

/** Which implementation {@link covariance} uses: native when loaded (`"auto"`), or force one. */
export type CovarianceBackend = "auto" | "native" | "js";

/** Options of {@link covariance}. */
export interface CovarianceOptions {
  /** Implementation, default `"auto"` (native BLAS, else WebAssembly SIMD, else the JavaScript kernel). */
  backend?: CovarianceBackend;
  /** Rows centred per block, default 512. */
  block?: number;
}

/** Empirical mean μ = (1/N) Σ_n x_n of the rows (docs/paper.md D_G). */
export function mean(x: Batch): Float64Array {
  _check(x, "mean");
  const { n, d, data } = x;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const r = i * d;
    for (let j = 0; j < d; j++) mu[j] += data[r + j];
  }
  for (let j = 0; j < d; j++) mu[j] /= n;
  return mu;
}

/**
 * Empirical covariance Σ = (1/N) Σ_n (x_n − μ)(x_n − μ)ᵀ, a symmetric d × d row-major matrix
 * (docs/paper.md D_G, 1/N normalisation). `mu` defaults to {@link mean}.
 *
 * @example
 * ```ts
 * import { batch, covariance, mean } from "../../gaussian.ts";
 * const x = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));
 * const sigma = covariance(x, mean(x)); // 2 × 2 row-major, 1/N normalisation
 * ```
 */
export function covariance(x: Batch, mu?: Float64Array, opts: CovarianceOptions = {}): Float64Array {
  _check(x, "covariance");
  const { n, d, data } = x;
  const m = mu ?? mean(x);
  if (m.length !== d) {
    throw new RangeError(`lib/linalg/covariance.ts: mean has length ${m.length}, expected d = ${d}`);
  }
  const backend = opts.backend ?? "auto";
  // "auto": dsyrk (native, else the WebAssembly SIMD kernel); "js": the scalar kernel below.
  const viaSyrk = backend === "native" ||
    (backend === "auto" && (blasLoaded() || portableTier() === "wasm-simd"));
  if (backend === "native" && !blasLoaded()) {
    throw new Error("lib/linalg/covariance.ts: backend 'native' requested but native BLAS is not loaded");
  }
  const block = opts.block ?? 512;
  if (!Number.isInteger(block) || block < 1) {
    throw new RangeError(`lib/linalg/covariance.ts: block must be a positive integer, got ${block}`);
  }
  const c = new Float64Array(d * d);
  const buf = new Float64Array(Math.min(block, n) * d);
  for (let s = 0; s < n; s += block) {
    const b = Math.min(block, n - s);
    if (viaSyrk) {
      // buf = centred rows (b × d); C_upper += bufᵀ·buf.
      for (let i = 0; i < b; i++) {
        const src = (s + i) * d;
        const dst = i * d;
        for (let j = 0; j < d; j++) buf[dst + j] = data[src + j] - m[j];
      }
      dsyrk(d, b, buf, c, { trans: true, beta: 1, uplo: "upper" });
    } else {
      // buf = centred rows transposed (d × b), so each pixel's values are contiguous.
      for (let i = 0; i < b; i++) {
        const src = (s + i) * d;
        for (let j = 0; j < d; j++) buf[j * b + i] = data[src + j] - m[j];
      }
      _syrkUpperJs(d, b, buf, c);
    }
  }
  const inv = 1 / n;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = c[i * d + j] * inv;
      c[i * d + j] = v;
      c[j * d + i] = v;
    }
  }
  return c;
}

function _check(x: Batch, what: string): void {
  if (x.n < 1) throw new RangeError(`lib/linalg/covariance.ts ${what}: batch is empty`);
  if (x.data.length !== x.n * x.d) {
    throw new RangeError(`lib/linalg/covariance.ts ${what}: data length ${x.data.length} ≠ ${x.n} × ${x.d}`);
  }
}

/**
 * Upper triangle of C (d × d) += T·Tᵀ where T is d × b row-major (row j = pixel j over the block).
 * 2 × 2 register blocking over (i, j), tiles of 64 rows so the T rows in use stay in cache.
 */
function _syrkUpperJs(d: number, b: number, t: Float64Array, c: Float64Array): void {
  const TILE = 64;
  for (let i0 = 0; i0 < d; i0 += TILE) {
    const i1 = Math.min(i0 + TILE, d);
    for (let j0 = i0; j0 < d; j0 += TILE) {
      const j1 = Math.min(j0 + TILE, d);
      for (let i = i0; i < i1; i += 2) {
        const two = i + 1 < i1;
        const ri = i * b;
        const rk = ri + b;
        let j = Math.max(j0, i);
        for (; j + 1 < j1; j += 2) {
          const rj = j * b;
          const rl = rj + b;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
          if (two) {
            for (let p = 0; p < b; p++) {
              const a0 = t[ri + p], a1 = t[rk + p], b0 = t[rj + p], b1 = t[rl + p];
              s00 += a0 * b0;
              s01 += a0 * b1;
              s10 += a1 * b0;
              s11 += a1 * b1;
            }
            c[(i + 1) * d + j] += s10;
            c[(i + 1) * d + j + 1] += s11;
          } else {
            for (let p = 0; p < b; p++) {
              const a0 = t[ri + p];
              s00 += a0 * t[rj + p];
              s01 += a0 * t[rl + p];
            }
          }
          c[i * d + j] += s00;
          c[i * d + j + 1] += s01;
        }
        for (; j < j1; j++) {
          const rj = j * b;
          let s0 = 0, s1 = 0;
          for (let p = 0; p < b; p++) {
            const v = t[rj + p];
            s0 += t[ri + p] * v;
            if (two) s1 += t[rk + p] * v;
          }
          c[i * d + j] += s0;
          if (two) c[(i + 1) * d + j] += s1;
        }
      }
    }
  }
}
