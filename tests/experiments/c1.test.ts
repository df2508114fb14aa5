/**
 * C1 end to end at the `smoke` profile (8×8 images, tiny nets, 40 steps), in a temporary --out, model
 * cache and shipped-models folder: it writes a valid result whose metrics have one row per N, 10 σ and
 * 5 α², scores in [0, 1], D_G's centred score equal to 1 (eq. 11 is exact for an affine map fixing μ),
 * its criterion and its figures. The smoke verdict itself is not asserted: smoke nets are far too small
 * to show anything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { c1Table, CRITERION, PAPER_CRITERION, runC1 } from "../../experiments/c1_linearity.ts";
import { BAND_SIGMAS } from "../../experiments/bands.ts";
import { getProfile } from "../../experiments/profiles.ts";
import { readResult } from "../../lib/results/io.ts";
import { PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";
import { PAPER_ALPHA_SQUARED } from "../../lib/metrics/linearity.ts";
import { withEnv } from "./_env.ts";

Deno.test("C1 runs end to end at the smoke profile and records raw and centred linearity scores", async () => {
  const out = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  const shipped = await Deno.makeTempDir();
  try {
    const args = ["--profile", "smoke", "--dataset", "mnist", "--out", out];
    const r = await withEnv(
      { HG_CACHE_DIR: cache, HG_MODELS_DIR: shipped, HG_QUIET: "1" },
      () => runC1(args),
    );
    const dir = join(out, "smoke", "mnist");
    const back = await readResult(join(dir, "c1.json")); // validates the schema
    assert.deepEqual(back.metrics, r.metrics);
    assert.ok([true, false, "partial", "inconclusive"].includes(r.verdict.holds as boolean | string));
    assert.equal(r.verdict.criterion, CRITERION);
    assert.ok(r.paper.reported.includes(PAPER_CRITERION));
    assert.ok(r.verdict.summary.length > 40, "a summary in words");
    assert.ok(r.notes.some((n) => n.includes("background")), "the adaptation is explained");
    assert.ok(r.notes.some((n) => n.includes("N < d")), "the N < d caveat at 8×8");

    // Shapes: per N × σ × α², for D_θ and D_M; D_G at the largest N.
    const p = getProfile("smoke");
    const m = r.metrics as Record<string, number[][][] | number[][] | number[] | number>;
    const cube = (k: string) => m[k] as number[][][];
    for (const k of ["rawLs", "centredLs", "rawLsMultiDelta", "centredLsMultiDelta"]) {
      assert.equal(cube(k).length, p.c1.ns.length, k);
      for (const perSigma of cube(k)) {
        assert.equal(perSigma.length, PAPER_SIGMAS.length, k);
        for (const row of perSigma) {
          assert.equal(row.length, PAPER_ALPHA_SQUARED.length, k);
          for (const v of row) assert.ok(v >= 0 && v <= 1, `${k}: ${v} outside [0, 1]`);
        }
      }
    }
    for (const k of ["bandRaw", "bandCentred", "bandRawMultiDelta", "bandCentredMultiDelta"]) {
      assert.equal((m[k] as number[]).length, p.c1.ns.length, k);
    }
    assert.equal((m.minAlphaRawAtLargestN as number[]).length, BAND_SIGMAS.length);
    assert.ok(m.paperCriterionHolds === 0 || m.paperCriterionHolds === 1);

    // Independent fact: D_G is affine with D_G(μ) = μ, so its centred score is exactly 1 (up to rounding).
    const g = m.centredLsGaussianAtLargestN as number[][];
    assert.equal(g.length, PAPER_SIGMAS.length);
    for (const row of g) for (const v of row) assert.ok(Math.abs(v - 1) <= 1e-9, `D_G centred ${v}`);

    // Figures and the PAPER.md table (a header, a rule, one row per N).
    assert.ok(r.figures.length >= 3);
    for (const f of r.figures) assert.ok((await Deno.stat(join(dir, f.path))).size > 100, f.path);
    assert.equal(c1Table(r).split("\n").length, 2 + p.c1.ns.length);
  } finally {
    for (const d of [out, cache, shipped]) await Deno.remove(d, { recursive: true });
  }
});
