/**
 * Helpers of the fault-injection tests: a frozen-version fixture, and running a task as a child process
 * (its exit code and stderr), as a user would.
 *
 * @module
 */
import { join } from "node:path";
import { freezeVersion, resultPath } from "../../lib/results/frozen.ts";
import { writeResult } from "../../lib/results/io.ts";
import { goodResult } from "../results/_fixture.ts";

/** Repository root (absolute). */
export const REPO: string = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** A temp folder with `results/v1` frozen from one fixture result (C10, ci, mnist) and its figure. */
export async function frozenFixture(): Promise<{ dir: string; root: string; file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "hg-faults-" });
  const r = goodResult();
  const p = resultPath(join(dir, "latest"), r.profile, r.dataset, r.claim);
  await writeResult(p, r);
  for (const f of r.figures) await Deno.writeTextFile(join(p, "..", f.path), `<svg>${f.path}</svg>`);
  const root = join(dir, "results");
  await freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" });
  return { dir, root, file: resultPath(join(root, "v1"), r.profile, r.dataset, r.claim) };
}

/** What a child process did. */
export interface Ran {
  /** Exit code. */
  code: number;
  /** Its stderr. */
  stderr: string;
  /** Its stdout. */
  stdout: string;
}

/**
 * Run `deno <args>` with the repository's config from `cwd` (default the repository), with `env` added;
 * resolves when it exits.
 */
export async function runDeno(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: opts.cwd ?? REPO,
    env: { HG_QUIET: "1", NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stderr: dec.decode(out.stderr), stdout: dec.decode(out.stdout) };
}
