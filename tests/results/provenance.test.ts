import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACT_VERSION, collectProvenance } from "../../lib/results/provenance.ts";
import { tempDir } from "./_fixture.ts";

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("collectProvenance outside any repository gives 'unknown' commit and dirtiness", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const p = await collectProvenance({ backend: "cpu", blas: "none", cwd: dir });
    assert.equal(p.gitCommit, "unknown");
    assert.equal(p.gitDirty, "unknown");
    assert.equal(p.deno, Deno.version.deno);
    assert.equal(p.v8, Deno.version.v8);
    assert.equal(p.typescript, Deno.version.typescript);
    assert.equal(p.tfjs, "4.22.0"); // the version deno.json pins
    assert.equal(p.backend, "cpu");
    assert.equal(p.blas, "none");
    assert.equal(p.os, Deno.build.os);
    assert.equal(p.arch, Deno.build.arch);
  } finally {
    await cleanup();
  }
});

Deno.test("collectProvenance reads the commit and notices uncommitted changes", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await git(dir, "init", "-q");
    // A repository with no commit yet: still unknown, not an error.
    assert.equal(
      (await collectProvenance({ backend: "wasm", blas: "openblas", cwd: dir })).gitCommit,
      "unknown",
    );
    await Deno.writeTextFile(join(dir, "a.txt"), "1");
    await git(dir, "add", "a.txt");
    await git(dir, "commit", "-q", "-m", "first");
    const head = await git(dir, "log", "-1", "--format=%H");
    const clean = await collectProvenance({ backend: "wasm", blas: "openblas", cwd: dir });
    assert.equal(clean.gitCommit, head);
    assert.equal(clean.gitDirty, false);
    await Deno.writeTextFile(join(dir, "a.txt"), "2");
    assert.equal((await collectProvenance({ backend: "wasm", blas: "openblas", cwd: dir })).gitDirty, true);
  } finally {
    await cleanup();
  }
});

Deno.test("collectProvenance rejects an empty backend or blas name", async () => {
  await assert.rejects(() => collectProvenance({ backend: "", blas: "none" }), /"backend"/);
  await assert.rejects(() => collectProvenance({ backend: "cpu", blas: " " }), /"blas"/);
});

Deno.test("ARTIFACT_VERSION is deno.json's version", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assert.equal(ARTIFACT_VERSION, denoJson.version);
  assert.match(ARTIFACT_VERSION, /^\d+\.\d+\.\d+/);
});
