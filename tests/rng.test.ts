/** Tests of lib/rng.ts: determinism, stream independence, and the distribution of the draws. */
import assert from "node:assert/strict";
import { deriveSeed, noiseRows, Rng, sampleNoise } from "../lib/rng.ts";

Deno.test("Rng is deterministic in its seed and differs across seeds", () => {
  const a = new Rng(42).normals(100);
  const b = new Rng(42).normals(100);
  const c = new Rng(43).normals(100);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("normals(n) is the same sequence as n calls of normal(), whatever the split", () => {
  const r1 = new Rng(7);
  const r2 = new Rng(7);
  const a = new Float64Array(1001);
  r1.normals(3, a.subarray(0, 3));
  r1.normals(998, a.subarray(3));
  for (let i = 0; i < a.length; i++) assert.equal(a[i], r2.normal(), `draw ${i}`);
});

Deno.test("normals have mean 0, variance 1 and normal tails (10^6 draws)", () => {
  const x = new Rng(1).normals(1_000_000);
  let m = 0;
  for (const v of x) m += v;
  m /= x.length;
  let v2 = 0;
  let tail = 0;
  for (const v of x) {
    v2 += (v - m) ** 2;
    if (Math.abs(v) > 1.96) tail++;
  }
  v2 /= x.length;
  // Standard errors: mean 1e-3, variance ~1.4e-3, tail fraction ~2.2e-4.
  assert.ok(Math.abs(m) < 5e-3, `mean ${m}`);
  assert.ok(Math.abs(v2 - 1) < 7e-3, `variance ${v2}`);
  assert.ok(Math.abs(tail / x.length - 0.05) < 1.5e-3, `P(|z| > 1.96) = ${tail / x.length}`);
});

Deno.test("uniform is in [0, 1) with mean 1/2; int(n) covers 0..n-1", () => {
  const r = new Rng(3);
  let s = 0;
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
    counts[r.int(7)]++;
  }
  assert.ok(Math.abs(s / 70000 - 0.5) < 0.01);
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `counts ${counts}`);
  assert.throws(() => r.int(0), RangeError);
});

Deno.test("permutation is a permutation and is seeded", () => {
  const p = new Rng(9).permutation(1000);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(new Rng(9).permutation(1000), p);
  assert.notDeepEqual(new Rng(10).permutation(1000), p);
});

Deno.test("deriveSeed separates keys and their order", () => {
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(deriveSeed(5, i));
  assert.equal(seen.size, 1000);
  assert.notEqual(deriveSeed(5, 1, 2), deriveSeed(5, 2, 1));
  assert.notEqual(deriveSeed(5, 1), deriveSeed(6, 1));
});

Deno.test("sample noise does not depend on the batch it is drawn in", () => {
  const d = 17;
  const all = noiseRows(11, 0, 10, d);
  const part = noiseRows(11, 4, 3, d);
  assert.deepEqual(part, all.subarray(4 * d, 7 * d));
  assert.deepEqual(sampleNoise(11, 9, d), all.subarray(9 * d));
});
