/**
 * Snapshot tests of claims C6–C9 and C11 at the `ci` profile on MNIST (C1–C5: snapshots.test.ts): each
 * claim is recomputed from the shipped denoisers (models/) and compared with its frozen result in the newest
 * version under results/. C11, beyond the paper, is compared once the newest version has frozen it (the test
 * is skipped, and says so, before that).
 *
 * Tolerance policy (experiments/tolerances.ts, README "Tolerance policy"): `config`, `seeds`, `paper`,
 * `verdict`, `notes` and figure lists exactly; every number under `metrics` within the claim's stated
 * rtol/atol; provenance shown, never failed on; `volatile` (times, host) skipped by the schema.
 * `UPDATE_SNAPSHOTS=1` rewrites a frozen file that differs and reports what changed (then refreeze:
 * `deno task freeze`).
 *
 * The claims run in one process and share the zoo's data and models.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { getClaim } from "../../experiments/claims.ts";
import { tolerancePolicy } from "../../experiments/tolerances.ts";
import { latestVersion, resultPath } from "../../lib/results/frozen.ts";
import { assertMatchesSnapshot, compareResults } from "../../lib/results/compare.ts";
import { readResult } from "../../lib/results/io.ts";

import { snapshotTest } from "./_snapshot.ts";

const out = await Deno.makeTempDir({ prefix: "hg-snapshots-" });

for (const id of ["C6", "C7", "C8", "C9"]) Deno.test(...snapshotTest(id, out));

// C11 goes beyond the paper; it is compared once a frozen version holds its ci result (from v3 on).
const c11Frozen = resultPath(join("results", latestVersion()), "ci", "mnist", "C11");
const c11Missing = await Deno.stat(c11Frozen).then(() => false, () => true);
Deno.test({
  name: "C11 at the ci profile matches its frozen result",
  ignore: c11Missing,
  fn: async () => {
    const now = await getClaim("C11").run(["--profile", "ci", "--dataset", "mnist", "--out", out]);
    const rows = await assertMatchesSnapshot(now, c11Frozen, tolerancePolicy("C11"));
    assert.ok(rows.some((r) => r.path.startsWith("metrics.r2Mean")), "C11: the comparison covers r²");
    assert.ok(rows.some((r) => r.path.startsWith("metrics.patchLS")), "C11: and the calibrated patch sides");
  },
});

Deno.test("a network claim's frozen number perturbed beyond its tolerance fails, naming the field", async () => {
  const frozen = await readResult(resultPath(join("results", latestVersion()), "ci", "mnist", "C6"));
  const policy = tolerancePolicy("C6");
  // A result over several seeds holds its seed mean under metrics.mean.
  const seeded = "mean" in frozen.metrics;
  const table = (r: typeof frozen) =>
    ((seeded ? r.metrics.mean as Record<string, unknown> : r.metrics).rmseToGaussian) as number[][];
  const bad = structuredClone(frozen);
  table(bad)[2][5] *= 1 + 1e-3;
  const failed = compareResults(frozen, bad, policy).filter((r) => !r.ok);
  assert.deepEqual(failed.map((r) => r.path), [`metrics.${seeded ? "mean." : ""}rmseToGaussian[2][5]`]);
  const tiny = structuredClone(frozen);
  table(tiny)[2][5] *= 1 + 1e-6;
  assert.ok(compareResults(frozen, tiny, policy).every((r) => r.ok));
  const flipped = structuredClone(frozen);
  flipped.verdict.holds = flipped.verdict.holds === true ? false : true;
  assert.deepEqual(compareResults(frozen, flipped, policy).filter((r) => !r.ok).map((r) => r.path), [
    "verdict.holds",
  ]);
});

Deno.test("snapshot scratch folder is removed", async () => {
  await Deno.remove(out, { recursive: true });
});
