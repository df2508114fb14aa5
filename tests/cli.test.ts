/** Tests of lib/cli.ts: defaults, parsing and clear errors. */
import assert from "node:assert/strict";
import { parseCommon } from "../lib/cli.ts";

Deno.test("defaults: full profile, mnist, wasm, BLAS auto", () => {
  const o = parseCommon([]);
  assert.equal(o.profile, "full");
  assert.equal(o.dataset, "mnist");
  assert.equal(o.backend, "wasm");
  assert.equal(o.blas, "auto");
  assert.equal(o.dnnl, "auto");
  assert.equal(o.retrain, false);
  assert.deepEqual(o.positionals, []);
});

Deno.test("options and positionals are parsed", () => {
  const o = parseCommon([
    "C10",
    "--profile",
    "ci",
    "--dataset",
    "fashion-mnist",
    "--blas",
    "off",
    "--dnnl",
    "off",
    "--retrain",
  ]);
  assert.equal(o.profile, "ci");
  assert.equal(o.dataset, "fashion-mnist");
  assert.equal(o.blas, "off");
  assert.equal(o.dnnl, "off");
  assert.equal(o.retrain, true);
  assert.deepEqual(o.positionals, ["C10"]);
});

Deno.test("bad values and unknown options are errors that name them", () => {
  assert.throws(() => parseCommon(["--backend", "webgl"]), /--backend webgl/);
  assert.throws(() => parseCommon(["--blas", "mkl"]), /--blas mkl/);
  assert.throws(() => parseCommon(["--dnnl", "on"]), /--dnnl on: choose one of auto, off/);
  assert.throws(() => parseCommon(["--speed", "fast"]), /speed/);
});
