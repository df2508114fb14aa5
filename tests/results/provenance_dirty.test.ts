/**
 * Provenance's git dirtiness: a changed tracked file makes a tree dirty; an untracked file does not
 * (as `git describe --dirty`), so results written while other outputs appear stay attributable.
 *
 * @module
 */
import assert from "node:assert/strict";
import { collectProvenance } from "../../lib/results/provenance.ts";

async function _git(cwd: string, ...args: string[]): Promise<void> {
  const r = await new Deno.Command("git", { args, cwd, stdout: "null", stderr: "null" }).output();
  assert.ok(r.success, `git ${args.join(" ")}`);
}

Deno.test("gitDirty: a modified tracked file counts, an untracked file does not", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await _git(dir, "init", "-q");
    await Deno.writeTextFile(`${dir}/a.txt`, "1");
    await _git(dir, "add", "a.txt");
    await _git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a");
    const p = (o = {}) => collectProvenance({ backend: "none", blas: "none", cwd: dir, ...o });
    assert.equal((await p()).gitDirty, false);
    await Deno.writeTextFile(`${dir}/new.txt`, "untracked");
    assert.equal((await p()).gitDirty, false);
    await Deno.writeTextFile(`${dir}/a.txt`, "2");
    assert.equal((await p()).gitDirty, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
