/**
 * Test helper: the snapshot test of claim `id` at the ci profile on MNIST — recompute it into
 * `out` and compare it with its frozen result in the newest version, within the claim's tolerance policy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { getClaim } from "../../experiments/claims.ts";
import { tolerancePolicy } from "../../experiments/tolerances.ts";
import { latestVersion, resultPath } from "../../lib/results/frozen.ts";
import { assertMatchesSnapshot } from "../../lib/results/compare.ts";

/** The snapshot test of claim `id`: its name and body (the test file registers it, so reports name that file). */
export function snapshotTest(id: string, out: string): [string, () => Promise<void>] {
  return [`${id} at the ci profile matches its frozen result`, async () => {
    const now = await getClaim(id).run(["--profile", "ci", "--dataset", "mnist", "--out", out]);
    const frozen = resultPath(join("results", latestVersion()), "ci", "mnist", id);
    const rows = await assertMatchesSnapshot(now, frozen, tolerancePolicy(id));
    assert.ok(rows.some((r) => r.path.startsWith("metrics.")), `${id}: the comparison covers the metrics`);
    assert.ok(rows.some((r) => r.path === "verdict.holds"), `${id}: and the verdict`);
  }];
}
