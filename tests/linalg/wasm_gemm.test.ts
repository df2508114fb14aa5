import assert from "node:assert/strict";
import { buildBoth, EMBED_URL, embedModule, strictWat, WAT_URL } from "../../lib/linalg/_build_wasm.ts";
import { setWasmKernel, setWasmThreads, wasmKernel, wasmSimdAvailable } from "../../lib/linalg/_wasm_gemm.ts";
import { dsyrk, loadBlas } from "../../lib/linalg/blas.ts";
import { covariance } from "../../lib/linalg/covariance.ts";
import { gemm, gemmTier, portableTier, setPortableTier } from "../../lib/linalg/gemm.ts";
import { Rng } from "../../lib/rng.ts";
import { batch } from "../../lib/types.ts";

function rand(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

/** max |got − want| / max |want|. */
function relErr(got: Float64Array, want: Float64Array): number {
  assert.equal(got.length, want.length);
  let e = 0;
  let s = 0;
  for (let i = 0; i < got.length; i++) {
    e = Math.max(e, Math.abs(got[i] - want[i]));
    s = Math.max(s, Math.abs(want[i]));
  }
  return e / s;
}

/** Run `fn` with the portable tier `tier` and no native BLAS, then restore "auto". */
function withTier<T>(tier: "wasm-simd" | "js", fn: () => T): T {
  loadBlas("off");
  setPortableTier(tier);
  try {
    return fn();
  } finally {
    setPortableTier("wasm-simd");
    loadBlas("auto");
  }
}

Deno.test("the embedded kernels are what gemm_simd.wat compiles to (deno task build:wasm)", async () => {
  const [relaxed, strict] = await buildBoth(await Deno.readTextFile(WAT_URL));
  assert.equal(await Deno.readTextFile(EMBED_URL), embedModule(relaxed, strict), "rebuild gives other bytes");
  assert.ok(WebAssembly.validate(relaxed));
  assert.ok(WebAssembly.validate(strict));
});

Deno.test("the strict twin spells every relaxed_madd as a multiply then an add", () => {
  const wat = "(local.set $c (f64x2.relaxed_madd (local.get $a) (local.get $b0) (local.get $c)))";
  assert.equal(
    strictWat(wat),
    "(local.set $c (f64x2.add (local.get $c) (f64x2.mul (local.get $a) (local.get $b0))))",
  );
  assert.throws(
    () => strictWat("(f32x4.relaxed_madd (local.get $a) (local.get $b) (local.get $c))"),
    /no strict form/,
  );
});

Deno.test("both kernel builds equal the JavaScript reference (relative 1e-12); the default is fma", () => {
  const [m, n, k] = [70, 131, 600];
  const a = rand(m * k, 1);
  const b = rand(k * n, 2);
  const want = withTier("js", () => gemm(m, n, k, a, b));
  assert.equal(wasmKernel(), "fma");
  try {
    for (const kind of ["strict", "fma"] as const) {
      setWasmKernel(kind);
      assert.equal(wasmKernel(), kind);
      const got = withTier("wasm-simd", () => gemm(m, n, k, a, b));
      assert.ok(relErr(got, want) < 1e-12, `${kind}: ${relErr(got, want)}`);
    }
  } finally {
    setWasmKernel("fma");
  }
  assert.throws(() => setWasmKernel("avx" as "fma"), /unknown kernel build/);
});

Deno.test("this runtime has WebAssembly SIMD, so the portable tier is wasm-simd", () => {
  assert.equal(wasmSimdAvailable(), true);
  withTier("wasm-simd", () => assert.equal(gemmTier(), "wasm-simd"));
  withTier("js", () => assert.equal(portableTier(), "js"));
  assert.throws(() => setPortableTier("fortran" as "js"), /unknown portable tier/);
});

Deno.test("wasm-simd gemm equals the JavaScript reference (relative 1e-12) for transposes, α, β, odd shapes", () => {
  // Shapes cover partial 4 × 4 tiles, several 256-deep k slices and several 64-row blocks.
  for (const [m, n, k] of [[33, 29, 17], [70, 131, 600], [129, 5, 257]]) {
    const a = rand(m * k + 3, m).subarray(3); // a view with a byte offset
    const b = rand(k * n, n);
    const c0 = rand(m * n, k);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [alpha, beta] of [[1, 0], [-0.7, 1], [2, -0.5]]) {
          const opts = { transA, transB, alpha, beta };
          const want = withTier("js", () => gemm(m, n, k, a, b, Float64Array.from(c0), opts));
          const got = withTier("wasm-simd", () => gemm(m, n, k, a, b, Float64Array.from(c0), opts));
          const e = relErr(got, want);
          assert.ok(e < 1e-12, `${m}×${n}×${k} tA=${transA} tB=${transB} α=${alpha} β=${beta}: ${e}`);
        }
      }
    }
  }
});

Deno.test("wasm-simd dsyrk writes one triangle of AᵀA or AAᵀ (relative 1e-12), the other untouched", () => {
  const [n, k] = [67, 301];
  const a = rand(n * k, 11);
  for (const trans of [false, true]) {
    const full = withTier(
      "js",
      () => gemm(n, n, k, a, a, undefined, trans ? { transA: true } : { transB: true }),
    );
    for (const uplo of ["upper", "lower"] as const) {
      const c = new Float64Array(n * n).fill(3);
      withTier("wasm-simd", () => dsyrk(n, k, a, c, { trans, beta: 0.5, alpha: 2, uplo }));
      let e = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const inTri = uplo === "upper" ? j >= i : j <= i;
          if (inTri) e = Math.max(e, Math.abs(c[i * n + j] - (2 * full[i * n + j] + 1.5)));
          else assert.equal(c[i * n + j], 3, `(${i}, ${j}) outside the ${uplo} triangle was written`);
        }
      }
      assert.ok(e / Math.max(...full.map(Math.abs)) < 1e-12, `trans=${trans} ${uplo}: ${e}`);
    }
  }
});

Deno.test("covariance through the wasm-simd tier equals the JavaScript kernel (relative 1e-12)", () => {
  const [n, d] = [1100, 70];
  const x = batch(n, d, rand(n * d, 12).map((v, i) => v + (i % d) * 0.1));
  const want = covariance(x, undefined, { backend: "js" });
  const got = withTier("wasm-simd", () => covariance(x, undefined, { block: 300 }));
  assert.ok(relErr(got, want) < 1e-12);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) assert.equal(got[i * d + j], got[j * d + i]);
});

Deno.test("the worker pool splits large products by column panels: the same bits as one thread", async () => {
  const [m, n, k] = [150, 203, 300]; // 9.1e6 multiply-adds, above PARALLEL_MIN_WORK
  const a = rand(m * k, 21);
  const b = rand(n * k, 22);
  const prev = setWasmThreads(1);
  try {
    const one = withTier("wasm-simd", () => gemm(m, n, k, a, b, undefined, { transB: true }));
    const syrkOne = withTier("wasm-simd", () => dsyrk(n, k, b, undefined, {}));
    setWasmThreads(3);
    for (let r = 0; r < 3; r++) {
      const many = withTier("wasm-simd", () => gemm(m, n, k, a, b, undefined, { transB: true }));
      assert.deepEqual(many, one, `repeat ${r}`);
      assert.deepEqual(withTier("wasm-simd", () => dsyrk(n, k, b, undefined, {})), syrkOne);
    }
    assert.throws(() => setWasmThreads(0), /positive integer/);
  } finally {
    setWasmThreads(prev);
  }
  // Let the idle pool shut down (its workers exit after 1 s without a product).
  await new Promise((r) => setTimeout(r, 1200));
});
