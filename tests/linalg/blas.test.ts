import assert from "node:assert/strict";
import { blasInfo, blasLoaded, dsyevd, dsyrk, loadBlas, sgemm } from "../../lib/linalg/blas.ts";
import { gemm } from "../../lib/linalg/gemm.ts";
import { Rng } from "../../lib/rng.ts";

const native = loadBlas("auto").name === "openblas";
const SKIP =
  "native OpenBLAS not loadable here (apt-get install libopenblas0-pthread): native checks skipped";
if (!native) console.warn(SKIP);

function rand(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** C = op(A)·op(B) by the textbook triple loop. */
function naive(
  m: number,
  n: number,
  k: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tA: boolean,
  tB: boolean,
) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("blasInfo reports the loaded library, and 'off' routes back to JavaScript", () => {
  if (!native) return console.warn(SKIP);
  const info = blasInfo();
  assert.equal(info.name, "openblas");
  assert.match(info.version ?? "", /OpenBLAS \d+\.\d+/);
  assert.ok((info.threads ?? 0) >= 1);
  loadBlas("off");
  assert.equal(blasLoaded(), false);
  assert.deepEqual(blasInfo(), { name: "none" });
  loadBlas("auto");
  assert.equal(blasLoaded(), true);
});

Deno.test("gemm (native and JS) equals the triple loop for every transpose and for subarray operands", () => {
  const [m, n, k] = [13, 9, 17];
  const a = rand(m * k + 5, 1).subarray(5); // a view with a byte offset
  const b = rand(k * n, 2);
  const c0 = rand(m * n, 3);
  for (const mode of native ? (["off", "auto"] as const) : (["off"] as const)) {
    loadBlas(mode);
    for (const tA of [false, true]) {
      for (const tB of [false, true]) {
        const want = naive(m, n, k, a, b, tA, tB);
        const got = gemm(m, n, k, a, b, undefined, { transA: tA, transB: tB });
        assert.ok(maxAbsDiff(got, want) < 1e-12, `${mode} tA=${tA} tB=${tB}`);
        // α, β: C = 2·op(A)op(B) − 0.5·C0
        const c = Float64Array.from(c0);
        gemm(m, n, k, a, b, c, { transA: tA, transB: tB, alpha: 2, beta: -0.5 });
        assert.ok(maxAbsDiff(c, want.map((v, i) => 2 * v - 0.5 * c0[i])) < 1e-12);
      }
    }
    // k = 0: the product is empty, C = β·C.
    const c = Float64Array.from(c0.subarray(0, 6));
    gemm(2, 3, 0, new Float64Array(0), new Float64Array(0), c, { beta: 3 });
    assert.ok(maxAbsDiff(c, c0.subarray(0, 6).map((v) => 3 * v)) < 1e-15);
  }
  loadBlas("auto");
});

Deno.test("sgemm matches the triple loop to float32 precision", () => {
  const [m, n, k] = [11, 7, 29];
  const a = Float32Array.from(rand(m * k, 4));
  const b = Float32Array.from(rand(k * n, 5));
  for (const mode of native ? (["off", "auto"] as const) : (["off"] as const)) {
    loadBlas(mode);
    for (const tB of [false, true]) {
      const want = naive(m, n, k, a, b, false, tB);
      const got = sgemm(m, n, k, a, b, undefined, { transB: tB });
      assert.ok(maxAbsDiff(got, want) < 1e-4, `${mode} tB=${tB}`);
    }
  }
  loadBlas("auto");
});

Deno.test("dsyrk writes the upper triangle of AᵀA (trans) and A·Aᵀ, leaving the lower one untouched", () => {
  const [n, k] = [10, 23];
  for (const mode of native ? (["off", "auto"] as const) : (["off"] as const)) {
    loadBlas(mode);
    for (const trans of [false, true]) {
      const a = rand(n * k, 6);
      const want = trans ? naive(n, n, k, a, a, true, false) : naive(n, n, k, a, a, false, true);
      const c = new Float64Array(n * n).fill(7);
      dsyrk(n, k, a, c, { trans, beta: 1 });
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (j >= i) assert.ok(Math.abs(c[i * n + j] - (want[i * n + j] + 7)) < 1e-12);
          else assert.equal(c[i * n + j], 7);
        }
      }
    }
  }
  loadBlas("auto");
});

Deno.test("dsyevd solves A z = w z with orthonormal z and ascending w", () => {
  if (!native) return console.warn(SKIP);
  const n = 15;
  const r = rand(n * n, 7);
  const a = naive(n, n, n, r, r, true, false); // RᵀR, symmetric
  const copy = Float64Array.from(a);
  const { w, z } = dsyevd(a, n);
  assert.deepEqual(a, copy, "input untouched");
  for (let i = 1; i < n; i++) assert.ok(w[i] >= w[i - 1]);
  for (let e = 0; e < n; e++) {
    const v = z!.subarray(e * n, (e + 1) * n);
    const av = naive(n, 1, n, a, v, false, false);
    assert.ok(maxAbsDiff(av, v.map((x) => w[e] * x)) < 1e-10 * w[n - 1]);
    let norm = 0;
    for (const x of v) norm += x * x;
    assert.ok(Math.abs(norm - 1) < 1e-12);
  }
  assert.throws(() => dsyevd(new Float64Array(3), 2), /expected 2² = 4/);
});

Deno.test("a missing library: 'openblas' mode throws with the install hint, 'auto' falls back with one notice", () => {
  const bad = "/nonexistent/libopenblas-missing.so.0";
  assert.throws(() => loadBlas("openblas", bad), /apt-get install libopenblas0-pthread/);
  const orig = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    assert.deepEqual(loadBlas("auto", bad), { name: "none" });
  } finally {
    console.error = orig;
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0], /runs on WebAssembly SIMD \(apt-get install libopenblas0-pthread/);
  assert.equal(blasLoaded(), false);
  // JS gemm still right, and the real library comes back.
  assert.ok(
    maxAbsDiff(gemm(2, 2, 2, rand(4, 8), rand(4, 9)), naive(2, 2, 2, rand(4, 8), rand(4, 9), false, false)) <
      1e-14,
  );
  assert.equal(loadBlas("auto").name, native ? "openblas" : "none");
  assert.throws(() => loadBlas("bogus" as "auto"), /unknown BLAS mode/);
});

Deno.test("describeBlas names the library, its configuration and threads for provenance", async () => {
  const { describeBlas } = await import("../../lib/linalg/blas.ts");
  assert.equal(describeBlas({ name: "none" }), "none");
  const line = describeBlas({
    name: "openblas",
    version: "OpenBLAS 0.3.21 Haswell",
    threads: 2,
    path: "libopenblas.so.0",
  });
  assert.equal(line, "openblas: OpenBLAS 0.3.21 Haswell; 2 thread(s); libopenblas.so.0");
});
