/** PAPER.md and README.md's results block are generated from the newest frozen version: fail when stale. */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  PAPER_FIGURES_DIR,
  renderPaperFiles,
  renderReadmeBlock,
  replaceReadmeBlock,
} from "../../experiments/paper.ts";
import { latestVersion, verifyManifest } from "../../lib/results/frozen.ts";

Deno.test("the newest frozen version is intact (manifest sha256s)", async () => {
  const m = await verifyManifest("results", latestVersion());
  assert.ok(m.files.length > 0);
});

Deno.test("PAPER.md and its labelled figures are up to date with the frozen results (run: deno task paper)", async () => {
  const version = latestVersion();
  const expected = await renderPaperFiles("results", version);
  assert.equal(await Deno.readTextFile("PAPER.md"), expected.markdown);
  assert.ok(expected.figures.length > 0, "the image grids are shown labelled");
  for (const f of expected.figures) {
    assert.ok(f.path.startsWith(join(PAPER_FIGURES_DIR, version)), `${f.path}: outside results/`);
    assert.equal(await Deno.readTextFile(f.path), f.content, `${f.path} is stale`);
    assert.match(f.content, /<text [^>]*>[^<]+<\/text>/, `${f.path}: has labels`);
  }
});

Deno.test("PAPER.md opens with the verdict table: one short line per claim, each linked to its result file", async () => {
  const paper = await Deno.readTextFile("PAPER.md");
  const head = paper.split("\n## ")[1];
  assert.ok(head.startsWith("Verdicts"), "the first section is the verdict table");
  const rows = head.split("\n").filter((l) => /^\| \[C\d+\]/.test(l));
  assert.ok(rows.length >= 10, `${rows.length} claim rows`);
  for (const row of rows) {
    assert.ok(row.length <= 260, `a short line: ${row}`);
    assert.match(row, /\]\(results\/v\d+\/[^)]+\.json\)/, `links its result file: ${row}`);
    assert.match(row, /\*\*(holds|does not hold|partly holds|inconclusive)\*\*/);
  }
  assert.ok(paper.split("\n").indexOf(rows.at(-1)!) < 40, "the table fits the first screen");
  for (const old of ["PAPER", "PILOT", "PLATFORM", "BEYOND"]) assert.ok(!paper.includes(`${old}-NOTES`));
});

Deno.test("README.md's results block is up to date (run: deno task paper)", async () => {
  const readme = await Deno.readTextFile("README.md");
  const block = await renderReadmeBlock("results", latestVersion());
  assert.equal(readme, replaceReadmeBlock(readme, block));
  assert.throws(() => replaceReadmeBlock("no markers here", block), /markers/);
});
