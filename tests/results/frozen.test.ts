/** Tests of lib/results/frozen.ts: freezing never overwrites, and the manifest detects altered files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findResultFiles,
  freezeVersion,
  latestVersion,
  listedResultFiles,
  listVersions,
  resultPath,
  RETIRED_NAME,
  RetiredVersionError,
  retireVersion,
  verifyManifest,
  verifyRetired,
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

async function _git(cwd: string, ...args: string[]): Promise<string> {
  const env = {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@t",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@t",
  };
  const o = await new Deno.Command("git", { args, cwd, env, stdout: "piped", stderr: "piped" }).output();
  assert.ok(o.success, `git ${args.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
  return new TextDecoder().decode(o.stdout).trim();
}

/** A git repository with results/v1 frozen and committed; returns [repo, results root, commit]. */
async function _committedVersion(): Promise<[string, string, string]> {
  const dir = await Deno.makeTempDir();
  await _latest(dir);
  const root = join(dir, "results");
  await freezeVersion(join(dir, "latest"), "v1", { root, artifactVersion: "0.0.0" });
  await _git(dir, "init", "-q");
  await _git(dir, "add", "results");
  await _git(dir, "commit", "-qm", "freeze v1");
  return [dir, root, await _git(dir, "rev-parse", "HEAD")];
}

Deno.test("a retired version keeps its manifest; its files stay in git history, checked against it", async () => {
  const [dir, root, commit] = await _committedVersion();
  const before = await verifyManifest(root, "v1");
  const r = await retireVersion(root, "v1", { commit, reason: "superseded", retiredIn: "0.0.1" });
  assert.equal(r.commit, commit);
  // Only the manifest (unchanged) and the record remain.
  assert.deepEqual([...Deno.readDirSync(join(root, "v1"))].map((e) => e.name).sort(), [
    "MANIFEST.json",
    RETIRED_NAME,
  ]);
  const m = await verifyManifest(root, "v1");
  assert.deepEqual(m.files, before.files);
  assert.equal(m.retired?.reason, "superseded");
  assert.deepEqual(await verifyRetired(root, "v1"), r);
  // Reading a retired result says where the files are and how to restore them.
  assert.throws(
    () => listedResultFiles(root, m),
    (e: Error) =>
      e instanceof RetiredVersionError && e.message.includes(commit) && e.message.includes("git archive"),
  );
  // A file put back into the retired folder is named.
  await Deno.writeTextFile(join(root, "v1", "extra.json"), "{}");
  await assert.rejects(() => verifyManifest(root, "v1"), /extra\.json: a file in the retired version v1/);
  Deno.removeSync(join(root, "v1", "extra.json"));
  // A record pointing at a commit whose bytes differ from the manifest is caught, naming the file.
  const f = before.files[0].path;
  await Deno.mkdir(join(root, "v1", f, ".."), { recursive: true });
  await _git(dir, "commit", "-qam", "retire v1");
  await _git(dir, "checkout", "-q", commit, "--", join("results", "v1", f));
  await Deno.writeTextFile(join(root, "v1", f), (await Deno.readTextFile(join(root, "v1", f))) + " ");
  await _git(dir, "add", "-f", join("results", "v1", f));
  await _git(dir, "commit", "-qm", "an altered copy");
  const altered = await _git(dir, "rev-parse", "HEAD");
  Deno.removeSync(join(root, "v1", f));
  await Deno.writeTextFile(join(root, "v1", RETIRED_NAME), JSON.stringify({ ...r, commit: altered }));
  await assert.rejects(
    () => verifyRetired(root, "v1"),
    new RegExp(`${f.replace(".", "\\.")} has sha256 [0-9a-f]+, not`),
  );
  // A commit the clone lacks is named, with the remedy.
  await Deno.writeTextFile(join(root, "v1", RETIRED_NAME), JSON.stringify({ ...r, commit: "0".repeat(40) }));
  await assert.rejects(
    () => verifyRetired(root, "v1"),
    (e: Error) =>
      e instanceof RetiredVersionError && e.message.includes("0".repeat(40)) &&
      e.message.includes("--unshallow"),
  );
  // A damaged record is named.
  await Deno.writeTextFile(join(root, "v1", RETIRED_NAME), "{");
  await assert.rejects(() => verifyManifest(root, "v1"), /RETIRED\.json: not valid JSON/);
});

Deno.test("retiring refuses a commit whose tree does not hold the version, and changes nothing", async () => {
  const [dir, root] = await _committedVersion();
  await Deno.writeTextFile(join(dir, "other.txt"), "x");
  await _git(dir, "rm", "-rqf", "results");
  await _git(dir, "add", "other.txt");
  await _git(dir, "commit", "-qm", "no results");
  const empty = await _git(dir, "rev-parse", "HEAD");
  await _git(dir, "checkout", "-q", "HEAD~1", "--", "results");
  await assert.rejects(
    () => retireVersion(root, "v1", { commit: empty, reason: "x", retiredIn: "0" }),
    /results\/v1 \(git commit [0-9a-f]+\): .* is listed in the manifest but missing/,
  );
  await verifyManifest(root, "v1"); // still whole, and not retired
  assert.ok(!(await verifyManifest(root, "v1")).retired);
});
