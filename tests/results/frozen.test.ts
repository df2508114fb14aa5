/** Tests of lib/results/frozen.ts: freezing never overwrites, and the manifest detects altered files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findResultFiles,
  freezeVersion,
  latestVersion,
  listVersions,
  resultPath,
  verifyManifest,
} from "../../lib/results/frozen.ts";
import { writeResult } from "../../lib/results/io.ts";
import { goodResult } from "./_fixture.ts";

async function _latest(dir: string) {
  const r = goodResult();
  const p = resultPath(join(dir, "latest"), r.profile, r.dataset, r.claim);
  await writeResult(p, r);
  for (const f of r.figures) await Deno.writeTextFile(join(p, "..", f.path), `<svg>${f.path}</svg>`);
  return p;
}

Deno.test("freeze copies results and figures into a new version with a manifest", async () => {
  const dir = await Deno.makeTempDir();
  await _latest(dir);
  const root = join(dir, "results");
  assert.deepEqual(listVersions(root), []);
  assert.throws(() => latestVersion(root), /no frozen result version/);
  const m = await freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" });
  assert.deepEqual(listVersions(root), ["v1"]);
  assert.equal(latestVersion(root), "v1");
  assert.equal(m.files.length, 1 + goodResult().figures.length);
  assert.equal(findResultFiles(join(root, "v1")).length, 1);
  await verifyManifest(root, "v1");
  // No staging folder is left behind.
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["v1"]);
});

Deno.test("a frozen version is never overwritten", async () => {
  const dir = await Deno.makeTempDir();
  await _latest(dir);
  const root = join(dir, "results");
  await freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" });
  await assert.rejects(
    () => freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" }),
    /v1 exists; frozen versions are never overwritten/,
  );
  await assert.rejects(
    () => freezeVersion(join(dir, "latest"), "one", { root, artifactVersion: "0" }),
    /v1, v2/,
  );
});

Deno.test("an altered frozen file is detected and named", async () => {
  const dir = await Deno.makeTempDir();
  await _latest(dir);
  const root = join(dir, "results");
  const m = await freezeVersion(join(dir, "latest"), "v2", { root, artifactVersion: "0.0.0" });
  const victim = join(root, "v2", m.files[0].path);
  await Deno.writeTextFile(victim, (await Deno.readTextFile(victim)) + " ");
  await assert.rejects(() => verifyManifest(root, "v2"), (e: Error) => e.message.includes(victim));
});

Deno.test("freeze refuses an empty source", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "latest"));
  await assert.rejects(
    () => freezeVersion(join(dir, "latest"), "v1", { root: join(dir, "r"), artifactVersion: "0" }),
    /no results under/,
  );
});
