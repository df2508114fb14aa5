import assert from "node:assert/strict";
import { eigs } from "mathjs";
import { loadBlas } from "../../lib/linalg/blas.ts";
import { eigh } from "../../lib/linalg/eigh.ts";
import { Rng } from "../../lib/rng.ts";

const native = loadBlas("auto").name === "openblas";
if (!native) {
  console.warn(
    "native OpenBLAS not loadable here (apt-get install libopenblas0-pthread): native checks skipped",
  );
}
const solvers = native ? (["ml-matrix", "lapack"] as const) : (["ml-matrix"] as const);

/** A random symmetric positive semi-definite d × d matrix RᵀR/N with R of shape N × d (rank min(N, d)). */
function spd(d: number, n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  const x = Float64Array.from({ length: n * d }, (_, k) => r.normal() * (1 + (k % d) / d));
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += x[p * d + i] * x[p * d + j];
      a[i * d + j] = s / n;
    }
  }
  return a;
}

function checkDecomposition(a: Float64Array, d: number, values: Float64Array, u: Float64Array, tol: number) {
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  for (let i = 1; i < d; i++) assert.ok(values[i] <= values[i - 1], "descending");
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      let rec = 0; // (U Λ Uᵀ)_rc
      let gram = 0; // (Uᵀ U)_rc
      for (let i = 0; i < d; i++) {
        rec += u[r * d + i] * values[i] * u[c * d + i];
        gram += u[i * d + r] * u[i * d + c];
      }
      assert.ok(Math.abs(rec - a[r * d + c]) < tol * scale, `reconstruction at ${r},${c}`);
      assert.ok(Math.abs(gram - (r === c ? 1 : 0)) < tol, `orthonormality at ${r},${c}`);
    }
  }
  // Sign convention: the first largest-magnitude component of each eigenvector is positive.
  for (let i = 0; i < d; i++) {
    let best = 0;
    let arg = 0;
    for (let r = 0; r < d; r++) {
      if (Math.abs(u[r * d + i]) > best) [best, arg] = [Math.abs(u[r * d + i]), r];
    }
    assert.ok(u[arg * d + i] > 0);
  }
}

Deno.test("eigh reconstructs Σ = UΛUᵀ with orthonormal U, for each solver, full rank and rank deficient", () => {
  for (const solver of solvers) {
    for (const [d, n] of [[40, 200], [30, 10]]) {
      const a = spd(d, n, d + n);
      const { values, vectors, solver: ran } = eigh(a, d, solver);
      assert.equal(ran, solver);
      checkDecomposition(a, d, values, vectors, 1e-12);
      if (n < d) {
        // rank n: the trailing d − n eigenvalues vanish up to round-off
        for (let i = n; i < d; i++) assert.ok(Math.abs(values[i]) < 1e-13 * values[0]);
        assert.ok(values[n - 1] > 1e-3 * values[0]);
      }
    }
  }
});

Deno.test("eigenvalues match mathjs eigs at d = 12", () => {
  const d = 12;
  const a = spd(d, 30, 1);
  const rows = Array.from({ length: d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
  const ref = (eigs(rows).values as number[]).slice().sort((p, q) => q - p);
  for (const solver of solvers) {
    const { values } = eigh(a, d, solver);
    for (let i = 0; i < d; i++) assert.ok(Math.abs(values[i] - ref[i]) < 1e-10, `${solver} λ_${i}`);
  }
});

Deno.test("LAPACK and ml-matrix agree on values and (sign-normalised) vectors", () => {
  if (!native) return console.warn("skipped: native LAPACK not loaded");
  const d = 60;
  const a = spd(d, 300, 2);
  const p = eigh(a, d, "lapack");
  const q = eigh(a, d, "ml-matrix");
  for (let i = 0; i < d; i++) assert.ok(Math.abs(p.values[i] - q.values[i]) < 1e-12 * p.values[0]);
  let gap = Infinity; // eigenvectors are only comparable where eigenvalues are separated
  for (let i = 1; i < d; i++) gap = Math.min(gap, p.values[i - 1] - p.values[i]);
  assert.ok(gap > 1e-4);
  for (let i = 0; i < d * d; i++) assert.ok(Math.abs(p.vectors[i] - q.vectors[i]) < 1e-9);
});

Deno.test("eigh of a diagonal matrix returns the sorted diagonal and signed unit vectors", () => {
  const diag = [0.5, 3, 1, 2];
  const a = new Float64Array(16);
  diag.forEach((v, i) => (a[i * 4 + i] = v));
  for (const solver of solvers) {
    const { values, vectors } = eigh(a, 4, solver);
    assert.deepEqual(Array.from(values), [3, 2, 1, 0.5]);
    const cols = [1, 3, 2, 0]; // u_i = e_{cols[i]}
    for (let i = 0; i < 4; i++) {
      for (let r = 0; r < 4; r++) assert.equal(vectors[r * 4 + i], r === cols[i] ? 1 : 0);
    }
  }
});

Deno.test("eigh rejects malformed input", () => {
  assert.throws(() => eigh(new Float64Array(5), 2), /eigh\.ts.*expected d² = 4/);
  assert.throws(() => eigh(new Float64Array([1, NaN, NaN, 1]), 2), /non-finite/);
});
