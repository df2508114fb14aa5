import assert from "node:assert/strict";
import { loadBlas } from "../../lib/linalg/blas.ts";
import { covariance, mean } from "../../lib/linalg/covariance.ts";
import { Rng } from "../../lib/rng.ts";
import { type Batch, batch } from "../../lib/types.ts";

const native = loadBlas("auto").name === "openblas";
if (!native) {
  console.warn(
    "native OpenBLAS not loadable here (apt-get install libopenblas0-pthread): native checks skipped",
  );
}
const backends = native ? (["js", "native"] as const) : (["js"] as const);

function data(n: number, d: number, seed: number): Batch {
  const r = new Rng(seed);
  // Anisotropic, with a large offset (pixels near −1) to expose cancellation.
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = -0.9 + (0.05 + j / d) * r.normal();
  return batch(n, d, x);
}

/** The textbook two-loop formula Σ_jk = (1/N) Σ_n (x_nj − μ_j)(x_nk − μ_k), with μ from its own loop. */
function naiveCovariance(x: Batch): { mu: Float64Array; cov: Float64Array } {
  const { n, d, data } = x;
  const mu = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + j];
    mu[j] = s / n;
  }
  const cov = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (data[i * d + j] - mu[j]) * (data[i * d + k] - mu[k]);
      cov[j * d + k] = s / n;
    }
  }
  return { mu, cov };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("mean and covariance (1/N) equal the naive two-loop formulas, for every backend and block size", () => {
  for (const [n, d] of [[50, 7], [123, 33], [1, 4]]) {
    const x = data(n, d, n + d);
    const want = naiveCovariance(x);
    assert.ok(maxAbsDiff(mean(x), want.mu) < 1e-15);
    for (const backend of backends) {
      for (const block of [1, 16, 512]) {
        const c = covariance(x, undefined, { backend, block });
        assert.ok(maxAbsDiff(c, want.cov) < 1e-14, `${backend} n=${n} d=${d} block=${block}`);
        for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) assert.equal(c[j * d + k], c[k * d + j]);
      }
    }
  }
});

Deno.test("covariance about a given centre m is the second moment about m", () => {
  const x = data(40, 6, 3);
  const m = new Float64Array(6).fill(0.25);
  const c = covariance(x, m, { backend: "js" });
  // (1/N) Σ (x−m)(x−m)ᵀ = Σ + (μ−m)(μ−m)ᵀ
  const { mu, cov } = naiveCovariance(x);
  for (let j = 0; j < 6; j++) {
    for (let k = 0; k < 6; k++) {
      assert.ok(Math.abs(c[j * 6 + k] - (cov[j * 6 + k] + (mu[j] - 0.25) * (mu[k] - 0.25))) < 1e-14);
    }
  }
});

Deno.test("a constant pixel has exactly zero variance and covariance", () => {
  const x = data(300, 5, 4);
  for (let i = 0; i < 300; i++) x.data[i * 5 + 2] = -1;
  for (const backend of backends) {
    const c = covariance(x, undefined, { backend });
    for (let k = 0; k < 5; k++) assert.equal(c[2 * 5 + k], 0);
  }
});

Deno.test("native and JS covariance agree on a larger problem", () => {
  if (!native) return;
  const x = data(700, 97, 5);
  assert.ok(
    maxAbsDiff(covariance(x, undefined, { backend: "js" }), covariance(x, undefined, { backend: "native" })) <
      1e-13,
  );
});

Deno.test("covariance rejects bad input with a message naming the file", () => {
  assert.throws(() => covariance(batch(0, 3)), /covariance\.ts.*empty/);
  assert.throws(() => covariance(data(4, 3, 1), new Float64Array(2)), /covariance\.ts.*length 2/);
  assert.throws(() => covariance(data(4, 3, 1), undefined, { block: 0 }), /block/);
});
