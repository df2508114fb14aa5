/**
 * The equivariant local score machine ELS (Kamb & Ganguli, "An analytic theory of creativity in
 * convolutional diffusion models", ICML 2025, their ELS machine): each output pixel p is the posterior mean
 * of a patch's centre pixel given the input's P×P patch Ω_p, under the empirical distribution of the
 * training patches at every location of every training image (translation equivariance):
 *
 *   D[p] = Σ_{(n,q)} softmax_{(n,q)}(−‖x_Ωp − y_n,Ωq‖²/2σ²) y_n[q],
 *
 * every patch zero-padded at the image border (Kamb & Ganguli's zero-padded variant). The patch set has
 * N·H·W members; {@link equivariantPatchSet} keeps all of them up to a budget and otherwise a seeded
 * uniform subsample without replacement of (image, location) pairs — then the softmax runs over that
 * subsample, an approximation the caller must state.
 *
 * Cost per query: d·M·P²·C multiply-adds (one gemm) and d·M exponentials for M patches.
 *
 * @module
 */
import { type Batch, batch, type Denoiser } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { Rng } from "../rng.ts";
import {
  checkPatch,
  checkQuery,
  checkShape,
  checkSigma,
  EXP_UNDERFLOW,
  extractPatch,
  type ImageShape,
} from "./_patches.ts";
import type { PatchRule } from "./local_score.ts";

const _WHERE = "lib/denoisers/equivariant_local_score.ts";

/** The training patches of ELS: which (image, location) centres, shared by every patch side. */
export interface PatchSet {
  /** The training images. */
  readonly train: Batch;
  /** Their geometry. */
  readonly shape: ImageShape;
  /** Training image of each member. */
  readonly image: Int32Array;
  /** Pixel index (i·W + j) of each member's centre. */
  readonly pixel: Int32Array;
  /** True when the set is a subsample of all N·H·W patches. */
  readonly subsampled: boolean;
}

/**
 * The ELS patch set: every (image, location) when N·H·W ≤ `maxPatches`, else `maxPatches` of them drawn
 * uniformly without replacement with `seed` (lib/rng.ts), in increasing order.
 */
export function equivariantPatchSet(
  train: Batch,
  shape: ImageShape,
  opts: { maxPatches: number; seed: number },
): PatchSet {
  checkShape(shape, train.d, _WHERE);
  if (train.n < 1) throw new RangeError(`${_WHERE}: empty training set`);
  if (!Number.isInteger(opts.maxPatches) || opts.maxPatches < 1) {
    throw new RangeError(`${_WHERE}: maxPatches must be an integer ≥ 1, got ${opts.maxPatches}`);
  }
  const npx = shape.height * shape.width;
  const total = train.n * npx;
  let members: Int32Array;
  if (total <= opts.maxPatches) {
    members = Int32Array.from({ length: total }, (_, i) => i);
  } else {
    members = new Rng(opts.seed).permutation(total).slice(0, opts.maxPatches).sort();
  }
  return {
    train,
    shape,
    image: members.map((m) => Math.floor(m / npx)),
    pixel: members.map((m) => m % npx),
    subsampled: total > opts.maxPatches,
  };
}

/** Query rows per gemm: bounds the scratch to _ROWS × M logits. */
const _ROWS = 2048;

/**
 * ELS(x; σ) at each patch side in `patches`, one output batch per side (Kamb & Ganguli 2025, ELS machine).
 * σ = 0 gives each pixel the centre of its nearest training patch (lowest member on ties); σ = ∞ the mean
 * centre pixel of the set.
 */
export function equivariantLocalScoreAll(
  set: PatchSet,
  x: Batch,
  sigma: number,
  patches: readonly number[],
): Batch[] {
  const { train, shape } = set;
  checkQuery(train, x, _WHERE);
  checkSigma(sigma, _WHERE);
  for (const P of patches) checkPatch(P, _WHERE);
  const { height: h, width: w, channels: c } = shape;
  const d = train.d;
  const npx = h * w;
  const M = set.image.length;
  const centre = new Float64Array(M * c);
  for (let m = 0; m < M; m++) {
    for (let ch = 0; ch < c; ch++) centre[m * c + ch] = train.data[set.image[m] * d + set.pixel[m] * c + ch];
  }
  const inv2s2 = sigma === Infinity ? 0 : 1 / (2 * sigma * sigma);
  return patches.map((P) => {
    const k = P * P * c;
    const T = new Float64Array(M * k);
    const tn = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      const t = T.subarray(m * k, (m + 1) * k);
      const p = set.pixel[m];
      extractPatch(train.data.subarray(set.image[m] * d), shape, Math.floor(p / w), p % w, P, t);
      let s = 0;
      for (let a = 0; a < k; a++) s += t[a] * t[a];
      tn[m] = s;
    }
    const out = new Float64Array(x.n * d);
    const rowsPer = Math.max(1, Math.floor(_ROWS / npx)) * npx; // whole images per block
    const Q = new Float64Array(rowsPer * k);
    const G = new Float64Array(rowsPer * M);
    for (let r0 = 0; r0 < x.n * npx; r0 += rowsPer) {
      const nr = Math.min(rowsPer, x.n * npx - r0);
      for (let r = 0; r < nr; r++) {
        const q = Math.floor((r0 + r) / npx);
        const p = (r0 + r) % npx;
        extractPatch(
          x.data.subarray(q * d),
          shape,
          Math.floor(p / w),
          p % w,
          P,
          Q.subarray(r * k, (r + 1) * k),
        );
      }
      gemm(nr, M, k, Q, T, G, { transB: true }); // x_Ωp · y_Ωq
      for (let r = 0; r < nr; r++) {
        const g = G.subarray(r * M, (r + 1) * M);
        // −‖x_Ωp − y_Ωq‖² up to the row constant −‖x_Ωp‖²: 2 x·y − ‖y‖².
        let mx = -Infinity;
        let am = 0;
        for (let m = 0; m < M; m++) {
          const l = 2 * g[m] - tn[m];
          g[m] = l;
          if (l > mx) {
            mx = l;
            am = m;
          }
        }
        const ob = (r0 + r) * c;
        if (sigma === 0) {
          for (let ch = 0; ch < c; ch++) out[ob + ch] = centre[am * c + ch];
          continue;
        }
        let s = 0;
        for (let m = 0; m < M; m++) {
          const e = (g[m] - mx) * inv2s2;
          if (e < EXP_UNDERFLOW) continue;
          const wgt = Math.exp(e);
          s += wgt;
          for (let ch = 0; ch < c; ch++) out[ob + ch] += wgt * centre[m * c + ch];
        }
        for (let ch = 0; ch < c; ch++) out[ob + ch] /= s;
      }
    }
    return batch(x.n, d, out);
  });
}

/**
 * ELS as a denoiser D(x; σ) over `set` with patch side `patch` (fixed, or a function of σ),
 * Kamb & Ganguli 2025.
 *
 * @example
 * const set = equivariantPatchSet(train, { height: 16, width: 16, channels: 1 }, { maxPatches: 4096, seed: 1 });
 * const out = await equivariantLocalScoreDenoiser(set, 7)(x, 0.47);
 */
export function equivariantLocalScoreDenoiser(set: PatchSet, patch: PatchRule): Denoiser {
  return (x: Batch, sigma: number): Batch =>
    equivariantLocalScoreAll(set, x, sigma, [typeof patch === "number" ? patch : patch(sigma)])[0];
}
