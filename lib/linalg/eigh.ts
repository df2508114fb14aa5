/**
 * Symmetric eigendecomposition Σ = U Λ Uᵀ, the principal components of D_G (docs/paper.md Objects).
 *
 * Native LAPACK `dsyevd` (divide and conquer) when OpenBLAS is loaded, else ml-matrix's
 * `EigenvalueDecomposition` (Householder tridiagonalisation + QL). Either way the result is
 * normalised the same: eigenvalues descending, and each eigenvector's sign chosen so that its
 * largest-magnitude component (the first such, on ties) is positive — so the two solvers give
 * comparable vectors wherever the eigenvalues are distinct.
 *
 * @module
 */

import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { blasLoaded, dsyevd } from "./blas.ts";

/** Which solver {@link eigh} uses: native when loaded (`"auto"`), or force one. */
export type EighSolver = "auto" | "lapack" | "ml-matrix";

/** Result of {@link eigh}. */
export interface Eigh {
  /** Eigenvalues λ_1 ≥ λ_2 ≥ … ≥ λ_d. */
  values: Float64Array;
  /**
   * U, d × d row-major with the eigenvectors as COLUMNS: u_i[r] = vectors[r·d + i], matching
   * Σ = U diag(λ) Uᵀ, so projections of row-major data are `X·U` (gemm with no transposes).
   */
  vectors: Float64Array;
  /** The solver that ran. */
  solver: "lapack" | "ml-matrix";
}

/**
 * Eigendecomposition of the symmetric d × d row-major matrix `a` (not modified):
 * Σ = U diag(values) Uᵀ, values descending, U orthonormal (see {@link Eigh} for the layout).
 *
 * @example
 * ```ts
 * import { eigh } from "../../gaussian.ts";
 * const { values, vectors, solver } = eigh(Float64Array.from([2, 1, 1, 2]), 2); // values [3, 1]
 * ```
 */
export function eigh(a: Float64Array, d: number, solver: EighSolver = "auto"): Eigh {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`lib/linalg/eigh.ts: bad order d = ${d}`);
  if (a.length !== d * d) {
    throw new RangeError(`lib/linalg/eigh.ts: matrix has ${a.length} values, expected d² = ${d * d}`);
  }
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new RangeError(`lib/linalg/eigh.ts: non-finite entry at ${i}`);
  }
  const useLapack = solver === "lapack" || (solver === "auto" && blasLoaded());
  if (solver === "lapack" && !blasLoaded()) {
    throw new Error("lib/linalg/eigh.ts: solver 'lapack' requested but native LAPACK is not loaded");
  }
  const out = useLapack ? _eighLapack(a, d) : _eighMlMatrix(a, d);
  _used.add(out.solver);
  return out;
}

const _used = new Set<Eigh["solver"]>();

/** The solvers {@link eigh} has run in this process, sorted (for provenance; `[]` before the first call). */
export function eighSolversUsed(): Eigh["solver"][] {
  return [..._used].sort();
}

function _eighLapack(a: Float64Array, d: number): Eigh {
  const { w, z } = dsyevd(a, d, "V");
  // dsyevd: ascending w, row k of z (row-major view) = eigenvector of w[k].
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const k = d - 1 - i;
    values[i] = w[k];
    const src = z!.subarray(k * d, (k + 1) * d);
    const sign = _signOf(src);
    for (let r = 0; r < d; r++) vectors[r * d + i] = sign * src[r];
  }
  return { values, vectors, solver: "lapack" };
}

function _eighMlMatrix(a: Float64Array, d: number): Eigh {
  const m = new Matrix(d, d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) m.set(r, c, a[r * d + c]);
  }
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const w = e.realEigenvalues;
  const v = e.eigenvectorMatrix; // columns are eigenvectors
  const order = Array.from({ length: d }, (_, i) => i).sort((p, q) => w[q] - w[p]);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  const col = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const k = order[i];
    values[i] = w[k];
    for (let r = 0; r < d; r++) col[r] = v.get(r, k);
    const sign = _signOf(col);
    for (let r = 0; r < d; r++) vectors[r * d + i] = sign * col[r];
  }
  return { values, vectors, solver: "ml-matrix" };
}

/** +1 or −1 so that the first largest-magnitude component of `v` becomes positive. */
function _signOf(v: Float64Array): number {
  let best = 0;
  let arg = 0;
  for (let r = 0; r < v.length; r++) {
    const m = Math.abs(v[r]);
    if (m > best) {
      best = m;
      arg = r;
    }
  }
  return v[arg] < 0 ? -1 : 1;
}
