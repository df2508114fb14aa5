/** PAPER.md and README.md's results block are generated from the newest frozen version: fail when stale. */
import assert from "node:assert/strict";
import { renderPaper, renderReadmeBlock, replaceReadmeBlock } from "../../experiments/paper.ts";
import { latestVersion, verifyManifest } from "../../lib/results/frozen.ts";

Deno.test("the newest frozen version is intact (manifest sha256s)", async () => {
  const m = await verifyManifest("results", latestVersion());
  assert.ok(m.files.length > 0);
});

Deno.test("PAPER.md is up to date with the frozen results (run: deno task paper)", async () => {
  const expected = await renderPaper("results", latestVersion());
  assert.equal(await Deno.readTextFile("PAPER.md"), expected);
});

Deno.test("README.md's results block is up to date (run: deno task paper)", async () => {
  const readme = await Deno.readTextFile("README.md");
  const block = await renderReadmeBlock("results", latestVersion());
  assert.equal(readme, replaceReadmeBlock(readme, block));
  assert.throws(() => replaceReadmeBlock("no markers here", block), /markers/);
});
