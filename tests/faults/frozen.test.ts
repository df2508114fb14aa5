/**
 * Frozen versions are write-protected by the code: no claim writes under results/v*, freeze makes only
 * well-formed new versions, and cite, verify and paper check the manifest first and read only the files
 * it lists (an unlisted or altered file is an error naming it).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { citation } from "../../experiments/cite.ts";
import { renderPaper } from "../../experiments/paper.ts";
import { verify } from "../../experiments/verify.ts";
import { runC10 } from "../../experiments/c10_theorem1.ts";
import {
  freezeVersion,
  FrozenError,
  listVersions,
  MissingFrozenResultError,
  verifyManifest,
} from "../../lib/results/frozen.ts";
import { writeResult } from "../../lib/results/io.ts";
import { writeFigure } from "../../lib/results/figures.ts";
import { goodResult } from "../results/_fixture.ts";
import { frozenFixture, REPO, runDeno } from "./_util.ts";

Deno.test("a claim refuses --out inside a frozen version before computing, and changes nothing there", async () => {
  const { dir, root, file } = await frozenFixture();
  try {
    const before = await Deno.readTextFile(file);
    for (const out of [join(root, "v1"), join(root, "v7")]) {
      await assert.rejects(
        () => runC10(["--profile", "smoke", "--out", out]),
        (e: Error) =>
          e instanceof FrozenError && e.message.includes("refusing to write inside the frozen version"),
      );
    }
    // Lower down too: writeResult and writeFigure refuse any path inside a frozen version.
    await assert.rejects(() => writeResult(file, goodResult()), FrozenError);
    await assert.rejects(() => writeFigure(join(root, "v1", "ci", "mnist", "x.svg"), "<svg/>"), FrozenError);
    assert.equal(await Deno.readTextFile(file), before);
    await verifyManifest(root, "v1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("freeze creates only well-formed new versions (v02 and v0 are refused)", async () => {
  const { dir, root } = await frozenFixture();
  try {
    for (const v of ["v02", "v0", "V3", "v3.1"]) {
      await assert.rejects(
        () => freezeVersion(join(dir, "latest"), v, { root, artifactVersion: "0" }),
        /version must be v followed by a positive integer/,
      );
    }
    // A stray folder such as results/v02 is not a version: cite/verify/paper never take it for one.
    await Deno.mkdir(join(root, "v02"));
    assert.deepEqual(listVersions(root), ["v1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file added to a frozen version is named by verifyManifest, cite, paper and verify", async () => {
  const { dir, root } = await frozenFixture();
  try {
    const extra = join(root, "v1", "smoke", "mnist", "c10.json");
    await Deno.mkdir(join(extra, ".."), { recursive: true });
    await Deno.writeTextFile(extra, "{}");
    const named = (e: Error) => e instanceof FrozenError && e.message.startsWith(`${extra}: not listed in`);
    await assert.rejects(() => verifyManifest(root, "v1"), named);
    await assert.rejects(() => citation("C10", { root, profile: "smoke" }), named);
    await assert.rejects(() => renderPaper(root, "v1"), named);
    await assert.rejects(() => verify(["C10", "--profile", "smoke"], { root }), named);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("paper refuses an edited frozen file, naming it, instead of printing the manifest's hash beside it", async () => {
  const { dir, root, file } = await frozenFixture();
  try {
    await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace("0.01", "0.02"));
    await assert.rejects(
      () => renderPaper(root, "v1"),
      (e: Error) => e.message.startsWith(`${file}: sha256`) && /altered frozen file/.test(e.message),
    );
    await assert.rejects(() => citation("C10", { root, profile: "ci" }), /altered frozen file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a damaged manifest is named", async () => {
  const { dir, root } = await frozenFixture();
  try {
    const m = join(root, "v1", "MANIFEST.json");
    await Deno.writeTextFile(m, '{"version": "v1", "files": [{"path": "../x", "sha256": "00"}]}');
    await assert.rejects(() => verifyManifest(root, "v1"), new RegExp(`^FrozenError: ${m}: files\\[0\\]`));
    await Deno.remove(m);
    await assert.rejects(
      () => verifyManifest(root, "v1"),
      (e: Error) => e.message.includes(`${m}: cannot read`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verify: a missing frozen result exits 2 before any computation; --version without a value is named", async () => {
  const { dir, root } = await frozenFixture();
  try {
    await assert.rejects(
      () => verify(["C10", "--profile", "smoke"], { root }),
      (e: Error) =>
        e instanceof MissingFrozenResultError && /smoke\/mnist\/c10\.json: no frozen result/.test(e.message),
    );
    const run = await runDeno(
      [
        "run",
        "-A",
        "--config",
        `${REPO}/deno.json`,
        `${REPO}/experiments/verify.ts`,
        "C10",
        "--profile",
        "smoke",
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^verify: .*smoke\/mnist\/c10\.json: no frozen result for C10/m);
    for (const args of [["C10", "--version"], ["--version", "--profile", "smoke"]]) {
      await assert.rejects(() => verify(args, { root }), /--version needs a value/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
