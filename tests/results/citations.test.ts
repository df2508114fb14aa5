/** lib/results/citations.ts: old note names become repository pages; compare accepts only that rewrite. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CITATION_PAGES, currentCitations } from "../../lib/results/citations.ts";
import { compareResults } from "../../lib/results/compare.ts";
import { readResult } from "../../lib/results/io.ts";
import { tolerancePolicy } from "../../experiments/tolerances.ts";

const OLD = (topic: string) => `${topic}-NOTES`;

Deno.test("currentCitations rewrites each old topic to its page and leaves other text alone", () => {
  for (const [topic, page] of Object.entries(CITATION_PAGES)) {
    assert.equal(currentCitations(`a (${OLD(topic)}) b; ${OLD(topic)}' c`), `a (${page}) b; ${page}' c`);
  }
  assert.equal(
    currentCitations("no citation, NOTES-like words stay: X-NOTESY"),
    "no citation, NOTES-like words stay: X-NOTESY",
  );
  assert.throws(() => currentCitations(`(${OLD("SECRET")})`), /no repository page.*SECRET-NOTES/);
});

Deno.test("a frozen result that cites an old note name equals its rewrite, and only its rewrite", async () => {
  // v2's results cited the notes by their old names (v2 is retired from the working tree: results/v2/RETIRED.json).
  // A frozen result of today with such a citation put back stands in for them.
  const path = join("results", "v4", "ci", "mnist", "c1.json");
  const frozen = await readResult(path);
  frozen.notes[0] += ` (${OLD("PILOT")})`;
  const now = JSON.parse(currentCitations(JSON.stringify(frozen)));
  assert.ok(!JSON.stringify(now).includes(OLD("PILOT")));
  const rows = compareResults(frozen, now, tolerancePolicy("C1"));
  assert.ok(rows.every((r) => r.ok), "rewritten citations compare equal");
  assert.ok(rows.some((r) => r.reason === "citation renamed"));
  const changed = structuredClone(now);
  changed.notes[0] = changed.notes[0].replace("docs/scale.md", "docs/other.md");
  const failed = compareResults(frozen, changed, tolerancePolicy("C1")).filter((r) => !r.ok);
  assert.deepEqual(failed.map((r) => r.path), ["notes[0]"]);
});
