/**
 * C9 end to end at the `smoke` profile (8×8 images, tiny nets, 40 steps), in a temporary --out, model
 * cache and shipped-models folder: it writes a valid result with its criterion and figures, trains four
 * distinct models on two pairs of disjoint halves, and its metrics have one entry per pair. The smoke
 * verdict itself is not asserted: smoke nets are far too small to show anything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { c9Table, CRITERION, runC9 } from "../../experiments/c9_disjoint_halves.ts";
import { getProfile } from "../../experiments/profiles.ts";
import { readResult } from "../../lib/results/io.ts";
import { withEnv } from "./_env.ts";

Deno.test("C9 runs end to end at the smoke profile on four models of disjoint halves", async () => {
  const out = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  const shipped = await Deno.makeTempDir();
  try {
    const args = ["--profile", "smoke", "--dataset", "mnist", "--out", out];
    const r = await withEnv(
      { HG_CACHE_DIR: cache, HG_MODELS_DIR: shipped, HG_QUIET: "1" },
      () => runC9(args),
    );
    const p = getProfile("smoke").c9;

    // The written result validates and equals the returned one; criterion and summary recorded.
    const dir = join(out, "smoke", "mnist");
    const back = await readResult(join(dir, "c9.json"));
    assert.deepEqual(back.metrics, r.metrics);
    assert.ok([true, false, "partial", "inconclusive"].includes(r.verdict.holds as boolean | string));
    assert.equal(r.verdict.criterion, CRITERION);
    assert.ok(r.verdict.summary.length > 40);
    assert.ok(r.notes.some((n) => n.includes("35000")) && r.notes.some((n) => n.includes("N < d")));

    // Shapes: one entry per pair, k per-sample distances per pair.
    const m = r.metrics as Record<string, number[] | number[][]>;
    assert.deepEqual(m.ns, [p.nGeneralising, p.nMemorising]);
    for (const key of ["rSame", "rShuffled", "ratio", "rmseGaussianSamples", "rmseAToGA", "glA", "glAToB"]) {
      assert.equal(m[key].length, 2, key);
    }
    for (const key of ["perSampleSame", "perSampleShuffled", "perSampleGaussian"]) {
      assert.equal(m[key].length, 2, key);
      for (const row of m[key] as number[][]) assert.equal(row.length, p.count, key);
    }
    for (const x of m.rSame as number[]) assert.ok(x >= 0, `r_same ${x}`);
    for (const x of m.rShuffled as number[]) assert.ok(x > 0, `r_shuffled ${x}`);

    // Four distinct models, four cache entries, and each pair's halves are disjoint blocks.
    const models = r.config.models as { pair: string; n: number; start: number; end: number; key: string }[];
    assert.equal(models.length, 4);
    assert.equal(new Set(models.map((x) => x.key)).size, 4);
    // Cache entries are named by their 64-hex key (a work folder of an entry being written is not one).
    const entries = [...Deno.readDirSync(cache)].filter((e) =>
      e.isDirectory && /^[0-9a-f]{64}$/.test(e.name)
    );
    assert.equal(entries.length, 4, JSON.stringify([...Deno.readDirSync(cache)].map((e) => e.name)));
    for (const pair of ["generalising", "memorising"]) {
      const [a, b] = models.filter((x) => x.pair === pair);
      assert.equal(a.end - a.start, a.n);
      assert.equal(b.end - b.start, b.n);
      assert.ok(
        a.end <= b.start || b.end <= a.start,
        `${pair}: [${a.start}, ${a.end}) ∩ [${b.start}, ${b.end})`,
      );
    }

    // Figures exist; the PAPER.md table has a header, a rule and one row per pair.
    assert.ok(r.figures.length >= 2);
    assert.ok(r.figures.some((f) => f.kind === "png") && r.figures.some((f) => f.kind === "svg"));
    for (const f of r.figures) assert.ok((await Deno.stat(join(dir, f.path))).size > 100, f.path);
    assert.equal(c9Table(r).split("\n").length, 4);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(cache, { recursive: true });
    await Deno.remove(shipped, { recursive: true });
  }
});
