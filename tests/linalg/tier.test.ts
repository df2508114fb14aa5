import assert from "node:assert/strict";
import { loadBlas } from "../../lib/linalg/blas.ts";
import { eigh, eighSolversUsed } from "../../lib/linalg/eigh.ts";
import { setPortableTier } from "../../lib/linalg/gemm.ts";
import { describeLinalg } from "../../lib/linalg/tier.ts";

Deno.test("describeLinalg names the library, the tier of large products and the eigensolvers that ran", () => {
  loadBlas("off");
  try {
    assert.match(describeLinalg(), /^none; gemm: wasm-simd (fma|strict) \(\d+ threads?\); eigh: /);
    eigh(Float64Array.from([2, 1, 1, 2]), 2, "ml-matrix");
    assert.ok(eighSolversUsed().includes("ml-matrix"));
    assert.match(describeLinalg(), /eigh: (lapack, )?ml-matrix$/);
    setPortableTier("js");
    assert.match(describeLinalg(), /^none; gemm: js; eigh: /);
  } finally {
    setPortableTier("wasm-simd");
    loadBlas("auto");
  }
  if (loadBlas("auto").name === "openblas") {
    assert.match(describeLinalg(), /^openblas: .*; gemm: openblas; eigh: /);
  }
});
