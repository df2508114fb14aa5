/**
 * Least privilege: no deno.json task runs with -A; a claim runs (smoke profile) under exactly its task's
 * permissions with the network denied, and a write outside them is refused up front, naming the folder.
 *
 * @module
 */
import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { REPO, runDeno } from "./_util.ts";

const TASKS = denoJson.tasks as Record<string, string>;

/** The permission flags of a task's command line. */
function flags(task: string): string[] {
  return TASKS[task].split(/\s+/).filter((t) => t.startsWith("--allow-") || t.startsWith("--deny-"));
}

Deno.test("no deno.json task uses -A or --allow-all, and claims never get the network", () => {
  for (const [name, cmd] of Object.entries(TASKS)) {
    assert.ok(!/(^|\s)(-A|--allow-all)(\s|$)/.test(cmd), `task ${name}: ${cmd}`);
    assert.ok(!cmd.includes("--allow-net"), `task ${name} asks for the network`);
  }
  assert.deepEqual(flags("cite"), ["--allow-read=results", "--allow-env=HG_QUIET,HG_DEBUG"]);
});

Deno.test("C10 (smoke) runs under its task's permissions with the network denied; --out elsewhere is refused", async () => {
  const perms = [...flags("c10"), "--deny-net"];
  const run = await runDeno(["run", ...perms, "experiments/c10_theorem1.ts", "--profile", "smoke"], {
    cwd: REPO,
  });
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(await Deno.readTextFile(`${REPO}/results/latest/smoke/mnist/c10.json`));
  assert.match(r.provenance.gitCommit, /^([0-9a-f]{40}|unknown)$/);
  assert.match(r.provenance.datasetSha256, /^[0-9a-f]{64}$/);
  const tmp = await Deno.makeTempDir();
  try {
    const out = await runDeno([
      "run",
      ...perms,
      "experiments/c10_theorem1.ts",
      "--profile",
      "smoke",
      "--out",
      tmp,
    ]);
    assert.equal(out.code, 1);
    assert.ok(
      out.stderr.trim().startsWith(`c10: --out: cannot write results to ${tmp}/smoke/mnist: `),
      out.stderr,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
