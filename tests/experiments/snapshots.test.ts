/**
 * Snapshot tests of claims C1–C5 at the `ci` profile on MNIST: each claim is recomputed from the shipped
 * denoisers (models/) and compared with its frozen result in the newest version under results/.
 * (C6–C9 and C11 are in snapshots_zoo.test.ts, two files of similar length;
 * C10 has its own file, tests/experiments/c10.test.ts.)
 *
 * Tolerance policy (experiments/tolerances.ts, README "Tolerance policy"): `config`, `seeds`, `paper`,
 * `verdict`, `notes` and figure lists exactly; every number under `metrics` within the claim's stated
 * rtol/atol; provenance shown, never failed on; `volatile` (times, host) skipped by the schema.
 * `UPDATE_SNAPSHOTS=1` rewrites a frozen file that differs and reports what changed (then refreeze:
 * `deno task freeze`).
 *
 * The claims run in one process, so C2–C5 share their D_L fits.
 *
 * @module
 */

import { snapshotTest } from "./_snapshot.ts";

const out = await Deno.makeTempDir({ prefix: "hg-snapshots-" });

for (const id of ["C1", "C2", "C3", "C4", "C5"]) Deno.test(...snapshotTest(id, out));

Deno.test("snapshot scratch folder is removed", async () => {
  await Deno.remove(out, { recursive: true });
});
