/** `deno task verify` recomputes a claim and fails, naming the field, when a frozen number is off. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { verify } from "../../experiments/verify.ts";
import { runC10 } from "../../experiments/c10_theorem1.ts";
import { freezeVersion, resultPath } from "../../lib/results/frozen.ts";
import { readResult, writeResult } from "../../lib/results/io.ts";

Deno.test("verify passes on an untouched frozen result and fails on a perturbed one, naming the field", async () => {
  const dir = await Deno.makeTempDir();
  const latest = join(dir, "latest");
  await runC10(["--profile", "smoke", "--out", latest]);
  const root = join(dir, "results");
  await freezeVersion(latest, "v1", { root, artifactVersion: "test" });

  const ok = await verify(["C10", "--profile", "smoke"], { root });
  assert.equal(ok.length, 1);
  assert.deepEqual(ok[0].failures, []);

  // A second version whose frozen value is perturbed by 1e-3 relative (far beyond rtol 1e-6).
  const path = resultPath(latest, "smoke", "mnist", "C10");
  const r = await readResult(path);
  (r.metrics.lsRmse as number[][])[2][1] *= 1.001;
  await writeResult(path, r);
  await freezeVersion(latest, "v2", { root, artifactVersion: "test" });
  const bad = await verify(["C10", "--profile", "smoke", "--version", "v2"], { root });
  assert.deepEqual(bad[0].failures, ["metrics.lsRmse[2][1]"]);
  assert.match(bad[0].table, /metrics\.lsRmse\[2\]\[1\]/);
});
