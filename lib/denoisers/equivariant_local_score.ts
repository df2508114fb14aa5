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
 * Cost per query: d·M·P²·C multiply-adds for the largest patch side P and d·M exponentials per side, for
 * M patches.
 *
 * @module
 */
import { type Batch, batch, type Denoiser } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { Rng } from "../rng.ts";
import {
  annulusOffsets,
  checkPatch,
  checkQuery,
  checkShape,
  checkSigma,
  EXP_UNDERFLOW,
  extractOffsets,
  type ImageShape,
} from "./_patches.ts";
import { float64Workspace } from "../kernels/wasm/mod.ts";
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
 *
 * The patch sides run in increasing order and share their products: a side's x_Ωp · y_Ωq and ‖y_Ωq‖² are
 * the next smaller side's plus those over the ring between them ({@link annulusOffsets}), so the products
 * cost M·P²·C per query pixel for the largest side P instead of the sum over the sides. With one channel
 * the softmax runs as the WebAssembly SIMD kernel of PCA-locality (`scoreSoftmaxMean`) when it loads.
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
  const inv2s2 = sigma === Infinity ? 0 : 1 / (2 * sigma * sigma);
  const sides = [...new Set(patches)].sort((a, b) => a - b);
  const rings = sides.map((P, s) => annulusOffsets(s === 0 ? 0 : sides[s - 1], P));
  const rowsPer = Math.max(1, Math.floor(_ROWS / npx)) * npx; // whole images per block
  const ws = c === 1 && sigma !== 0 ? float64Workspace() : null;
  // Logits G (rows × M), each side's ‖y_Ωq‖² and the centre pixels: in the kernel's memory when it runs.
  const [G, centre, ...tnW] = ws?.views([rowsPer * M, M * c, ...sides.map(() => M)]) ??
    [new Float64Array(rowsPer * M), new Float64Array(M * c), ...sides.map(() => new Float64Array(M))];
  for (let m = 0; m < M; m++) {
    for (let ch = 0; ch < c; ch++) centre[m * c + ch] = train.data[set.image[m] * d + set.pixel[m] * c + ch];
  }
  // The training patches' rings, and ‖y_Ωq‖² per side (the smaller side's plus its ring's).
  const T = rings.map((ring, s) => {
    const k = (ring.length / 2) * c;
    const t = new Float64Array(M * k);
    for (let m = 0; m < M; m++) {
      const tm = t.subarray(m * k, (m + 1) * k);
      const p = set.pixel[m];
      extractOffsets(train.data.subarray(set.image[m] * d), shape, Math.floor(p / w), p % w, ring, tm);
      let v = s === 0 ? 0 : tnW[s - 1][m];
      for (let a = 0; a < k; a++) v += tm[a] * tm[a];
      tnW[s][m] = v;
    }
    return t;
  });
  const outs = sides.map(() => new Float64Array(x.n * d));
  const l = new Float64Array(ws === null ? M : 0);
  for (let r0 = 0; r0 < x.n * npx; r0 += rowsPer) {
    const nr = Math.min(rowsPer, x.n * npx - r0);
    sides.forEach((_, s) => {
      const k = (rings[s].length / 2) * c;
      const Q = new Float64Array(nr * k);
      for (let r = 0; r < nr; r++) {
        const q = Math.floor((r0 + r) / npx);
        const p = (r0 + r) % npx;
        extractOffsets(x.data.subarray(q * d), shape, Math.floor(p / w), p % w, rings[s], Q.subarray(r * k));
      }
      gemm(nr, M, k, Q, T[s], G, { transB: true, beta: s === 0 ? 0 : 1 }); // x_Ωp · y_Ωq, ring by ring
      const out = outs[s];
      const tn = tnW[s];
      if (ws !== null) {
        const [og, on, oc] = [ws.offset(G), ws.offset(tn), ws.offset(centre)];
        for (let r = 0; r < nr; r++) out[r0 + r] = ws.scoreSoftmaxMean(og + 8 * r * M, on, oc, M, inv2s2);
        return;
      }
      for (let r = 0; r < nr; r++) {
        const g = G.subarray(r * M, (r + 1) * M);
        // −‖x_Ωp − y_Ωq‖² up to the row constant −‖x_Ωp‖²: 2 x·y − ‖y‖².
        let mx = -Infinity;
        let am = 0;
        for (let m = 0; m < M; m++) {
          const v = 2 * g[m] - tn[m];
          l[m] = v;
          if (v > mx) {
            mx = v;
            am = m;
          }
        }
        const ob = (r0 + r) * c;
        if (sigma === 0) {
          for (let ch = 0; ch < c; ch++) out[ob + ch] = centre[am * c + ch];
          continue;
        }
        let sum = 0;
        for (let m = 0; m < M; m++) {
          const e = (l[m] - mx) * inv2s2;
          if (e < EXP_UNDERFLOW) continue;
          const wgt = Math.exp(e);
          sum += wgt;
          for (let ch = 0; ch < c; ch++) out[ob + ch] += wgt * centre[m * c + ch];
        }
        for (let ch = 0; ch < c; ch++) out[ob + ch] /= sum;
      }
    });
  }
  return patches.map((P) => batch(x.n, d, outs[sides.indexOf(P)]));
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
