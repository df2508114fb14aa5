import assert from "node:assert/strict";
import { join } from "node:path";
import {
  parseJobs,
  planJobs,
  reproduce,
  SEED_JOB_GROUPS,
  verdictTable,
} from "../../experiments/reproduce.ts";
import { CLAIMS } from "../../experiments/claims.ts";
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

Deno.test("planJobs: unseeded claims alone, longest first; each seed group once per seed; every claim once per seed", () => {
  const unseeded = CLAIMS.filter((c) => !c.seeded).map((c) => c.id);
  const seeded = CLAIMS.filter((c) => c.seeded).map((c) => c.id);
  // Every seeded claim is in exactly one group, and C3 and C5 share a job with C2, whose fits they reuse.
  assert.deepEqual(SEED_JOB_GROUPS.flat().toSorted(), seeded.toSorted());
  assert.ok(SEED_JOB_GROUPS.some((g) => g[0] === "C2" && g.includes("C3") && g.includes("C5")));
  const jobs = planJobs(unseeded, seeded, 3, ["--profile", "full"]);
  assert.deepEqual(jobs.slice(0, 2).map((j) => j.claims), [["C11"], ["C10"]]);
  assert.equal(jobs.length, 2 + 3 * SEED_JOB_GROUPS.length);
  for (const k of [0, 1, 2]) {
    const ofSeed = jobs.filter((j) => j.args.join(" ") === `--profile full --seed-index ${k}`);
    assert.deepEqual(ofSeed.flatMap((j) => j.claims).toSorted(), seeded.toSorted(), `seed ${k}`);
  }
  // A subset keeps the group order; one seed adds no --seed-index; a claim in no group runs alone.
  assert.deepEqual(planJobs([], ["C5", "C2"], 1, []), [{ claims: ["C2", "C5"], args: [] }]);
  assert.deepEqual(planJobs([], ["C99"], 2, []).map((j) => j.args), [["--seed-index", "0"], [
    "--seed-index",
    "1",
  ]]);
});

Deno.test("a parallel run without OpenBLAS says so once, not once per worker", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "experiments/reproduce.ts",
        "--profile",
        "smoke",
        "--out",
        out,
        "--jobs",
        "2",
        "C6",
        "C10",
      ],
      env: { HG_BLAS_PATH: "/nonexistent/libopenblas.so.0" },
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    assert.match(stderr, /job\(s\) on 2 worker\(s\)/);
    const notices = stderr.split("\n").filter((l) => l.includes("native OpenBLAS unavailable"));
    assert.equal(notices.length, 1, stderr);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
