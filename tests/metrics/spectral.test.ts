import assert from "node:assert/strict";
import {
  alignmentMatrix,
  leadingLeftSingularVectors,
  singularVectorAlignment,
  wienerNMSE,
} from "../../lib/metrics/spectral.ts";
import { noiseRows } from "../../lib/rng.ts";

/** A random d × d orthogonal matrix (Gram–Schmidt on seeded normals), columns orthonormal. */
function orthogonal(d: number, seed: number): Float64Array {
  const a = noiseRows(seed, 0, d, d); // row i = i-th raw vector
  const q = new Float64Array(d * d); // column layout: q[r·d + i]
  for (let i = 0; i < d; i++) {
    const v = a.slice(i * d, i * d + d);
    for (let j = 0; j < i; j++) {
      let c = 0;
      for (let r = 0; r < d; r++) c += v[r] * q[r * d + j];
      for (let r = 0; r < d; r++) v[r] -= c * q[r * d + j];
    }
    const n = Math.hypot(...v);
    for (let r = 0; r < d; r++) q[r * d + i] = v[r] / n;
  }
  return q;
}

/** U diag(s) Vᵀ with plain loops. */
function usv(U: Float64Array, s: number[], V: Float64Array, d: number): Float64Array {
  const w = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) {
      let t = 0;
      for (let i = 0; i < d; i++) t += U[r * d + i] * s[i] * V[c * d + i];
      w[r * d + c] = t;
    }
  }
  return w;
}

const d = 12;
const U = orthogonal(d, 1);
const V = orthogonal(d, 2);
const s = Array.from({ length: d }, (_, i) => 1 / (1 + i)); // distinct, descending

Deno.test("wienerNMSE: 0 against itself, 1 for 0 and for 2W*", () => {
  const w = usv(U, s, U, d);
  assert.equal(wienerNMSE(w, w), 0);
  assert.ok(Math.abs(wienerNMSE(new Float64Array(d * d), w) - 1) < 1e-15);
  assert.ok(Math.abs(wienerNMSE(w.map((v) => 2 * v), w) - 1) < 1e-14);
  assert.throws(() => wienerNMSE(w, new Float64Array(d * d)), /zero/);
});

Deno.test("alignment of U with itself is the identity", () => {
  const m = alignmentMatrix(U, d, U, d, d, 5);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 5; j++) assert.ok(Math.abs(m[i * 5 + j] - (i === j ? 1 : 0)) < 1e-12);
  }
});

Deno.test("leading left singular vectors of U diag(s) Vᵀ are U's columns, singular values s", () => {
  const W = usv(U, s, V, d); // non-symmetric
  const k = 6;
  const sv = leadingLeftSingularVectors(W, d, k);
  for (let i = 0; i < k; i++) assert.ok(Math.abs(sv.values[i] - s[i]) < 1e-12, `σ_${i}`);
  const a = singularVectorAlignment(W, U, d, k);
  for (let i = 0; i < k; i++) {
    assert.ok(Math.abs(a.diagonal[i] - 1) < 1e-9, `diag ${i}: ${a.diagonal[i]}`);
    for (let j = 0; j < k; j++) if (j !== i) assert.ok(a.matrix[i * k + j] < 1e-6);
  }
  // Reordered gains give a permutation: W = U diag(s') Uᵀ with s' = s with its first two swapped.
  const sp = s.slice();
  [sp[0], sp[1]] = [sp[1], sp[0]];
  const p = singularVectorAlignment(usv(U, sp, U, d), U, d, 3);
  assert.ok(
    p.matrix[0 * 3 + 1] > 1 - 1e-9 && p.matrix[1 * 3 + 0] > 1 - 1e-9 && p.matrix[2 * 3 + 2] > 1 - 1e-9,
  );
  assert.ok(p.diagonal[0] < 1e-6);
});

Deno.test("spectral input checks", () => {
  assert.throws(() => leadingLeftSingularVectors(new Float64Array(10), 3, 1), /d²/);
  assert.throws(() => leadingLeftSingularVectors(U, d, d + 1), /k must be/);
});
