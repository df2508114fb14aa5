/**
 * W_σ against the Wiener filter (docs/paper.md "Metrics"): normalised MSE ‖W − W*‖²_F/‖W*‖²_F, and the
 * alignment (|cosine| matrix) of the leading left singular vectors of W with the principal
 * components U of the training set.
 *
 * Leading left singular vectors come from the symmetric eigendecomposition of W Wᵀ (one gemm, then
 * `eigh`): at d = 784 about 0.25 s with native OpenBLAS/LAPACK loaded and 1.7 s in JavaScript
 * (gemm + ml-matrix), measured on one core. Squaring W squares its condition number, which only
 * blurs the trailing, tiny singular values; the leading ones, which the paper compares, are accurate. Where singular
 * values are (nearly) equal — e.g. W ≈ I at very low σ — the individual vectors are not defined and
 * only their span is: read the alignment there as a subspace statement.
 *
 * @module
 */

import { gemm } from "../linalg/gemm.ts";
import { eigh, type EighSolver } from "../linalg/eigh.ts";

/** ‖W − W*‖²_F / ‖W*‖²_F for two d × d (or any equal-length) matrices (docs/paper.md "Metrics"). */
export function wienerNMSE(W: ArrayLike<number>, wStar: ArrayLike<number>): number {
  if (W.length !== wStar.length) {
    throw new RangeError(`spectral.ts: matrices have ${W.length} and ${wStar.length} entries`);
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < W.length; i++) {
    const t = W[i] - wStar[i];
    num += t * t;
    den += wStar[i] * wStar[i];
  }
  if (den === 0) throw new RangeError("spectral.ts: reference matrix W* is zero");
  return num / den;
}

/** Leading left singular vectors of a square matrix. */
export interface LeftSingular {
  /** d × k row-major, the singular vectors as COLUMNS (same layout as the Gaussian model's U). */
  vectors: Float64Array;
  /** The k leading singular values, descending. */
  values: Float64Array;
  /** k. */
  k: number;
}

/**
 * The k leading left singular vectors of the d × d row-major W (eigenvectors of W Wᵀ with the
 * largest eigenvalues; singular values are their square roots).
 */
export function leadingLeftSingularVectors(
  W: Float64Array,
  d: number,
  k: number,
  opts: { solver?: EighSolver } = {},
): LeftSingular {
  _checkSquare(W, d, "W");
  if (!Number.isInteger(k) || k < 1 || k > d) {
    throw new RangeError(`spectral.ts: k must be in 1..${d}, got ${k}`);
  }
  const wwt = gemm(d, d, d, W, W, undefined, { transB: true });
  for (let r = 0; r < d; r++) {
    for (let c = r + 1; c < d; c++) {
      const v = 0.5 * (wwt[r * d + c] + wwt[c * d + r]);
      wwt[r * d + c] = v;
      wwt[c * d + r] = v;
    }
  }
  const e = eigh(wwt, d, opts.solver ?? "auto");
  const vectors = new Float64Array(d * k);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < k; i++) vectors[r * k + i] = e.vectors[r * d + i];
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = Math.sqrt(Math.max(0, e.values[i]));
  return { vectors, values, k };
}

/**
 * |cos| matrix between the first k columns of A (d × ka row-major) and of B (d × kb row-major):
 * entry (i, j) = |a_iᵀ b_j| / (‖a_i‖ ‖b_j‖), k × k row-major.
 */
export function alignmentMatrix(
  A: Float64Array,
  ka: number,
  B: Float64Array,
  kb: number,
  d: number,
  k: number,
): Float64Array {
  if (A.length !== d * ka || B.length !== d * kb) {
    throw new RangeError(
      `spectral.ts: A has ${A.length} ≠ ${d}·${ka} or B has ${B.length} ≠ ${d}·${kb} entries`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > ka || k > kb) {
    throw new RangeError(`spectral.ts: k must be in 1..${Math.min(ka, kb)}, got ${k}`);
  }
  const na = new Float64Array(k);
  const nb = new Float64Array(k);
  const out = new Float64Array(k * k);
  for (let r = 0; r < d; r++) {
    for (let i = 0; i < k; i++) {
      const a = A[r * ka + i];
      na[i] += a * a;
      nb[i] += B[r * kb + i] * B[r * kb + i];
      for (let j = 0; j < k; j++) out[i * k + j] += a * B[r * kb + j];
    }
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const den = Math.sqrt(na[i] * nb[j]);
      out[i * k + j] = den === 0 ? 0 : Math.min(1, Math.abs(out[i * k + j]) / den);
    }
  }
  return out;
}

/** Result of {@link singularVectorAlignment}. */
export interface SingularAlignment {
  /** k × k |cos| matrix: row i = i-th singular vector of W, column j = j-th principal component. */
  matrix: Float64Array;
  /** Its diagonal, |cos(v_i, u_i)|. */
  diagonal: Float64Array;
  /** Leading singular values of W. */
  singularValues: Float64Array;
  /** k. */
  k: number;
}

/**
 * Alignment of the k leading left singular vectors of W (d × d) with the k leading principal
 * components, the first k columns of U (d × d, columns = eigenvectors, descending λ; as returned
 * by `fitGaussian`) (docs/paper.md "Metrics").
 */
export function singularVectorAlignment(
  W: Float64Array,
  U: Float64Array,
  d: number,
  k: number,
  opts: { solver?: EighSolver } = {},
): SingularAlignment {
  _checkSquare(U, d, "U");
  const sv = leadingLeftSingularVectors(W, d, k, opts);
  const matrix = alignmentMatrix(sv.vectors, k, U, d, d, k);
  const diagonal = new Float64Array(k);
  for (let i = 0; i < k; i++) diagonal[i] = matrix[i * k + i];
  return { matrix, diagonal, singularValues: sv.values, k };
}

function _checkSquare(m: Float64Array, d: number, name: string): void {
  if (!Number.isInteger(d) || d < 1 || m.length !== d * d) {
    throw new RangeError(`spectral.ts: ${name} has ${m.length} entries, expected d² = ${d}² = ${d * d}`);
  }
}

/**
 * Overlap of the subspaces spanned by the first k columns of A (d × ka) and of B (d × kb), both with
 * orthonormal columns: ‖A_kᵀ B_k‖²_F / k, 1 for the same subspace and k/d on average for random ones. Unlike
 * a matching of vectors one by one, it does not depend on the order or rotation of vectors within the
 * subspace (which is not identifiable where singular values are nearly equal).
 */
export function subspaceOverlap(
  A: Float64Array,
  ka: number,
  B: Float64Array,
  kb: number,
  d: number,
  k: number,
): number {
  const m = alignmentMatrix(A, ka, B, kb, d, k);
  let s = 0;
  for (const v of m) s += v * v;
  return s / k;
}
