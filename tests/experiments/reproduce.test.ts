import assert from "node:assert/strict";
import { join } from "node:path";
import { parseJobs, reproduce, verdictTable } from "../../experiments/reproduce.ts";
import { tolerancePolicy } from "../../experiments/tolerances.ts";
import { compareResults } from "../../lib/results/compare.ts";
import { readResult } from "../../lib/results/io.ts";

Deno.test("reproduce on two workers gives the sequential results (within the tolerance policy), seeds combined", async () => {
  const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const args = (
      out: string,
      jobs: string,
    ) => ["--profile", "smoke", "--out", out, "--jobs", jobs, "C6", "C10"];
    const seq = await reproduce(args(a, "1"));
    const par = await reproduce(args(b, "2"));
    assert.deepEqual(par.map((r) => r.claim), ["C6", "C10"]);
    for (const [k, r] of par.entries()) {
      const failed = compareResults(seq[k], r, tolerancePolicy(r.claim)).filter((x) => !x.ok);
      assert.deepEqual(failed.map((x) => x.path), [], r.claim);
    }
    // C6 trains, so it ran once per smoke seed on the workers and was combined like runSeeded does.
    const c6 = await readResult(join(b, "smoke", "mnist", "c6.json"));
    assert.equal((c6.metrics.perSeed as unknown[]).length, 2);
    await readResult(join(b, "smoke", "mnist", "seed-1", "c6.json"));
    const table = verdictTable(par).split("\n");
    assert.equal(table.filter((l) => /^\| C\d+ /.test(l)).length, 2, "one line per claim");
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("--jobs takes an integer ≥ 1 and is removed from the claims' arguments", () => {
  assert.deepEqual(parseJobs(["--jobs", "3", "--profile", "ci"]), { jobs: 3, rest: ["--profile", "ci"] });
  assert.equal(parseJobs(["--jobs=1"]).jobs, 1);
  assert.throws(() => parseJobs(["--jobs", "0"]), /--jobs 0: expected an integer ≥ 1/);
});
