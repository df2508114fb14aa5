import assert from "node:assert/strict";
import { loadBlas } from "../../lib/linalg/blas.ts";
import { multiDeltaDenoiser, nearestNeighbours } from "../../lib/denoisers/multi_delta.ts";
import { Rng } from "../../lib/rng.ts";
import { type Batch, batch } from "../../lib/types.ts";

const native = loadBlas("auto").name === "openblas";
if (!native) {
  console.warn(
    "native OpenBLAS not loadable here (apt-get install libopenblas0-pthread): native checks skipped",
  );
}

function randBatch(n: number, d: number, seed: number, scale = 1): Batch {
  const r = new Rng(seed);
  return batch(n, d, Float64Array.from({ length: n * d }, () => scale * (2 * r.uniform() - 1)));
}

function dist2(a: Float64Array, ai: number, b: Float64Array, bi: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) s += (a[ai * d + k] - b[bi * d + k]) ** 2;
  return s;
}

/** Σ_i softmax_i(−‖x−y_i‖²/2σ²) y_i from explicit distances and a one-shot log-sum-exp. */
function referenceDM(x: Batch, y: Batch, sigma: number): Float64Array {
  const { d } = y;
  const out = new Float64Array(x.n * d);
  for (let q = 0; q < x.n; q++) {
    const logit = Array.from(
      { length: y.n },
      (_, i) => -dist2(x.data, q, y.data, i, d) / (2 * sigma * sigma),
    );
    const m = Math.max(...logit);
    const w = logit.map((l) => Math.exp(l - m));
    const z = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < y.n; i++) {
      for (let k = 0; k < d; k++) out[q * d + k] += (w[i] / z) * y.data[i * d + k];
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function bruteNN(x: Batch, y: Batch): { index: number[]; distance: number[] } {
  const index: number[] = [];
  const distance: number[] = [];
  for (let q = 0; q < x.n; q++) {
    let best = Infinity;
    let arg = -1;
    for (let i = 0; i < y.n; i++) {
      const v = dist2(x.data, q, y.data, i, y.d);
      if (v < best) [best, arg] = [v, i];
    }
    index.push(arg);
    distance.push(Math.sqrt(best));
  }
  return { index, distance };
}

Deno.test("D_M equals the one-shot softmax for every chunk size (to 1e-12), native and JS", async () => {
  const y = randBatch(97, 13, 1);
  const x = randBatch(9, 13, 2, 1.5);
  for (const mode of native ? (["off", "auto"] as const) : (["off"] as const)) {
    loadBlas(mode);
    for (const sigma of [0.05, 0.3, 1, 5]) {
      const want = referenceDM(x, y, sigma);
      for (const chunk of [1, 7, 32, 97, 1000]) {
        const got = (await multiDeltaDenoiser(y, { chunk })(x, sigma)).data;
        assert.ok(
          maxAbsDiff(got, want) < 1e-12,
          `${mode} σ=${sigma} chunk=${chunk}: ${maxAbsDiff(got, want)}`,
        );
      }
    }
  }
  loadBlas("auto");
});

Deno.test("D_M → nearest training image as σ → 0, and → the training mean as σ → ∞", async () => {
  const y = randBatch(50, 10, 3);
  const x = randBatch(8, 10, 4);
  const D = multiDeltaDenoiser(y, { chunk: 16 });
  const nn = bruteNN(x, y).index;
  const mean = new Float64Array(10);
  for (let i = 0; i < y.n; i++) for (let k = 0; k < 10; k++) mean[k] += y.data[i * 10 + k] / y.n;
  for (const sigma of [0, 1e-3]) {
    const out = (await D(x, sigma)).data;
    for (let q = 0; q < x.n; q++) {
      assert.ok(
        maxAbsDiff(out.subarray(q * 10, (q + 1) * 10), y.data.subarray(nn[q] * 10, (nn[q] + 1) * 10)) < 1e-12,
      );
    }
  }
  for (const sigma of [1e5, Infinity]) {
    const out = (await D(x, sigma)).data;
    for (let q = 0; q < x.n; q++) assert.ok(maxAbsDiff(out.subarray(q * 10, (q + 1) * 10), mean) < 1e-8);
  }
});

Deno.test("D_M returns a training image unchanged at small σ", async () => {
  const y = randBatch(30, 6, 5);
  const x = batch(
    2,
    6,
    Float64Array.from([...y.data.subarray(6 * 4, 6 * 5), ...y.data.subarray(6 * 29, 6 * 30)]),
  );
  const out = (await multiDeltaDenoiser(y)(x, 0.01)).data;
  assert.ok(maxAbsDiff(out, x.data) < 1e-12);
});

Deno.test("nearestNeighbours equals brute force, with exact duplicates resolved to the lowest index", () => {
  const y = randBatch(301, 17, 6);
  // duplicates: row 200 = row 10, row 250 = row 3
  y.data.copyWithin(200 * 17, 10 * 17, 11 * 17);
  y.data.copyWithin(250 * 17, 3 * 17, 4 * 17);
  const x = randBatch(12, 17, 7);
  x.data.set(y.data.subarray(10 * 17, 11 * 17), 0); // query 0 is training row 10 (and 200)
  x.data.set(y.data.subarray(250 * 17, 251 * 17), 17); // query 1 is training row 3 (and 250)
  const want = bruteNN(x, y);
  for (const mode of native ? (["off", "auto"] as const) : (["off"] as const)) {
    loadBlas(mode);
    for (const chunk of [1, 50, 4096]) {
      const got = nearestNeighbours(x, y, { chunk });
      assert.deepEqual(Array.from(got.index), want.index);
      assert.ok(maxAbsDiff(got.distance, want.distance) < 1e-14);
    }
  }
  loadBlas("auto");
  const got = nearestNeighbours(x, y);
  assert.equal(got.index[0], 10);
  assert.equal(got.index[1], 3);
  assert.equal(got.distance[0], 0);
});

Deno.test("query batches spanning several internal blocks give the same rows as the reference", async () => {
  const y = randBatch(15, 3, 10);
  const x = randBatch(1100, 3, 11);
  assert.ok(
    maxAbsDiff((await multiDeltaDenoiser(y, { chunk: 4 })(x, 0.4)).data, referenceDM(x, y, 0.4)) < 1e-12,
  );
  const want = bruteNN(x, y);
  const got = nearestNeighbours(x, y, { chunk: 4 });
  assert.deepEqual(Array.from(got.index), want.index);
  assert.ok(maxAbsDiff(got.distance, want.distance) < 1e-14);
});

Deno.test("multi_delta.ts rejects bad input", () => {
  const y = randBatch(5, 4, 8);
  assert.throws(() => multiDeltaDenoiser(y)(randBatch(2, 3, 9), 1), /multi_delta\.ts.*d = 3/);
  assert.throws(() => multiDeltaDenoiser(y)(randBatch(2, 4, 9), -1), /σ must be ≥ 0/);
  assert.throws(() => multiDeltaDenoiser(batch(0, 4)), /empty/);
  assert.throws(() => multiDeltaDenoiser(y, { chunk: 0 }), /chunk/);
  assert.throws(() => nearestNeighbours(batch(1, 4, new Float64Array([NaN, 0, 0, 0])), y), /not finite/);
});
