/**
 * Snapshot test of C10 (Theorem 1) at the `ci` profile: recompute the claim and compare it with the frozen
 * result of the newest version in results/.
 *
 * Tolerance: experiments/tolerances.ts (`metrics` within rtol 1e-6, atol 1e-9 for C10; `config`, `seeds`,
 * the verdict and all texts exactly; provenance shown, never failed on; `volatile` skipped by the schema).
 * The computation is deterministic float64 on one machine; a different OpenBLAS build, CPU or thread count
 * may change the summation order of the GEMMs in the last bits, which the stochastic fits carry forward
 * without amplifying (a convex quadratic). `UPDATE_SNAPSHOTS=1` rewrites the frozen file explicitly.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runC10 } from "../../experiments/c10_theorem1.ts";
import { latestVersion, resultPath } from "../../lib/results/frozen.ts";
import { assertMatchesSnapshot, compareResults } from "../../lib/results/compare.ts";
import { readResult } from "../../lib/results/io.ts";
import { tolerancePolicy } from "../../experiments/tolerances.ts";

const C10_POLICY = tolerancePolicy("C10");

Deno.test("C10 at the ci profile matches its frozen result", async () => {
  const out = await Deno.makeTempDir();
  const now = await runC10(["--profile", "ci", "--dataset", "mnist", "--out", out]);
  const frozen = resultPath(join("results", latestVersion()), "ci", "mnist", "C10");
  const rows = await assertMatchesSnapshot(now, frozen, C10_POLICY);
  assert.ok(rows.some((r) => r.path.startsWith("metrics.lsRmse")), "the comparison covers the metrics");
  assert.equal(now.verdict.holds, true, now.verdict.summary);
});

Deno.test("a perturbed C10 number beyond tolerance fails, naming the field", async () => {
  const frozen = await readResult(resultPath(join("results", latestVersion()), "ci", "mnist", "C10"));
  const now = structuredClone(frozen);
  const ls = now.metrics.lsRmse as number[][];
  ls[3][1] *= 1 + 1e-4;
  const bad = compareResults(frozen, now, C10_POLICY).filter((r) => !r.ok);
  assert.deepEqual(bad.map((r) => r.path), ["metrics.lsRmse[3][1]"]);
  const tiny = structuredClone(frozen);
  (tiny.metrics.lsRmse as number[][])[3][1] *= 1 + 1e-8;
  assert.ok(compareResults(frozen, tiny, C10_POLICY).every((r) => r.ok));
});
