/**
 * C6, C7, C8 and C11 end to end at the `smoke` profile (8×8 images, tiny nets, 40 steps), in a temporary
 * --out and a temporary model cache: each writes a valid result with its verdict fields and figures, the
 * three claims train three models between them (C6: N = 8, 32 at C = 4; C7 adds C = 2 at N = 8; C8
 * reads the (8, 4) run's snapshots; C11 reads all of them), and a shared model gives the same numbers in
 * every claim.
 * The smoke verdicts themselves are not asserted: smoke nets are far too small to show anything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { c6Table, CRITERION as C6_CRITERION, runC6 } from "../../experiments/c6_dataset_size.ts";
import { c7Table, CRITERION as C7_CRITERION, runC7 } from "../../experiments/c7_capacity.ts";
import { c8Table, CRITERION as C8_CRITERION, runC8 } from "../../experiments/c8_training_time.ts";
import { c11Metrics, c11Table, runC11 } from "../../experiments/c11_closed_form.ts";
import { getProfile } from "../../experiments/profiles.ts";
import { readResult } from "../../lib/results/io.ts";
import type { Result } from "../../lib/results/schema.ts";
import { PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";
import { withEnv } from "./_env.ts";

async function _checkWritten(out: string, r: Result, criterion: string): Promise<void> {
  const dir = join(out, "smoke", "mnist");
  const back = await readResult(join(dir, `${r.claim.toLowerCase()}.json`)); // validates the schema
  assert.deepEqual(back.metrics, r.metrics);
  assert.ok(
    [true, false, "partial", "inconclusive"].includes(r.verdict.holds as boolean | string),
    `${r.claim} holds`,
  );
  assert.equal(r.verdict.criterion, criterion);
  assert.ok(r.verdict.summary.length > 40, `${r.claim}: a summary in words`);
  assert.ok(r.paper.reported.length > 0 && r.notes.some((n) => n.includes("0.6")), `${r.claim}: GL note`);
  assert.ok(r.figures.length >= 4);
  for (const f of r.figures) assert.ok((await Deno.stat(join(dir, f.path))).size > 100, f.path);
}

Deno.test("C6, C7 and C8 run end to end at the smoke profile and share their zoo models", async () => {
  const out = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  try {
    const args = ["--profile", "smoke", "--dataset", "mnist", "--out", out];
    const [r6, r7, r8, r11] = await withEnv({ HG_CACHE_DIR: cache, HG_QUIET: "1" }, async () => [
      await runC6(args),
      await runC7(args),
      await runC8(args),
      await runC11(args),
    ]);
    await _checkWritten(out, r6, C6_CRITERION);
    await _checkWritten(out, r7, C7_CRITERION);
    await _checkWritten(out, r8, C8_CRITERION);
    const p = getProfile("smoke");

    // Shapes: one row of 10 σ per N, per C, per snapshot.
    const m6 = r6.metrics as {
      rmseToGaussian: number[][];
      rmseGaussianToMultiDelta: number[][];
      glRef: number[];
    };
    const m7 = r7.metrics as { rmseToGaussian: number[][]; rmseToMultiDelta: number[][]; gl: number[] };
    const m8 = r8.metrics as {
      steps: number[];
      rmseToGaussian: number[][];
      rmseToMultiDelta: number[][];
      gl: number[];
    };
    assert.equal(m6.rmseToGaussian.length, p.c6.ns.length);
    assert.equal(m7.rmseToGaussian.length, p.c7.capacities.length);
    for (const row of [...m6.rmseToGaussian, ...m7.rmseToGaussian, ...m8.rmseToGaussian]) {
      assert.equal(row.length, PAPER_SIGMAS.length);
    }
    // C8: the zoo's snapshots before the run's last step, then the last step.
    assert.deepEqual(m8.steps, [...p.zoo.snapshotSteps.filter((s) => s < p.c8.steps), p.c8.steps]);

    // Independent fact: at σ = 80 both references are ≈ the training mean, so D_G and D_M nearly agree
    // (docs/scale.md: within ~0.006 for σ ≥ 21), far closer than at σ = 1.5.
    for (const gap of m6.rmseGaussianToMultiDelta) {
      assert.ok(gap[0] < 0.02 && gap[0] < gap[5] / 5, `gap ${gap}`);
    }
    // Real held-out images are not training images: GL_ref is well above 0.
    for (const g of m6.glRef) assert.ok(g > 0.1, `GL_ref ${g}`);

    // Sharing: three models per training seed in the cache (C11 reads every seed's), and one model gives
    // one set of numbers in every claim.
    const entries = [...Deno.readDirSync(cache)].filter((e) => e.isDirectory).map((e) => e.name);
    assert.equal(entries.length, 3 * p.zoo.seeds.length, entries.join(", "));
    const keys6 = r6.config.models as { n: number; key: string }[];
    const keys7 = r7.config.models as { baseChannels: number; key: string }[];
    const key8 = (r8.config.model as { key: string }).key;
    const shared6 = keys6.findIndex((k) => k.n === p.c7.n);
    const shared7 = keys7.findIndex((k) => k.baseChannels === p.c6.baseChannels);
    assert.equal(keys6[shared6].key, keys7[shared7].key);
    assert.equal(key8, keys7[shared7].key);
    assert.deepEqual(m7.rmseToGaussian[shared7], m6.rmseToGaussian[shared6]);
    assert.deepEqual(m8.rmseToGaussian.at(-1), m7.rmseToGaussian[shared7]);
    assert.deepEqual(m8.rmseToMultiDelta.at(-1), m7.rmseToMultiDelta[shared7]);
    assert.equal(m8.gl.at(-1), m7.gl[shared7]);

    // C11 reads the same models (no new entry in the cache above) and measures each at every σ.
    const m11 = c11Metrics(r11);
    const back11 = await readResult(join(out, "smoke", "mnist", "c11.json"));
    assert.deepEqual(back11.metrics, r11.metrics);
    const keys11 = r11.config.models as { n: number; baseChannels: number; keys: string[] }[];
    assert.equal(
      keys11.find((k) => k.n === p.c6.ns[0] && k.baseChannels === p.c6.baseChannels)!.keys[0],
      keys6[0].key,
    );
    const denoisers = r11.config.denoisers as string[];
    assert.equal(m11.r2Mean.length, keys11.length);
    for (const r of m11.r2Mean) {
      assert.equal(r.length, denoisers.length);
      for (const row of r) assert.equal(row.length, PAPER_SIGMAS.length);
    }
    // Independent fact inside the pipeline: with K ≥ N every mixture component is one image, so GMM-10 at
    // N = 8 is D_M and explains D_θ exactly as much.
    const i8 = m11.modelN.indexOf(8);
    const [jG, jM] = [denoisers.indexOf("GMM-10"), denoisers.indexOf("D_M")];
    for (const [k, v] of m11.r2Mean[i8][jG].entries()) {
      assert.ok(Math.abs(v - m11.r2Mean[i8][jM][k]) <= 1e-9 * Math.max(1, Math.abs(v)), `σ index ${k}`);
    }
    for (const f of r11.figures) assert.ok((await Deno.stat(join(out, "smoke", "mnist", f.path))).size > 100);
    assert.equal(c11Table(r11).split("\n").length, 2 + m11.modelN.length);

    // PAPER.md tables: a header, a rule and one row per N, C or snapshot.
    assert.equal(c6Table(r6).split("\n").length, 2 + p.c6.ns.length);
    assert.equal(c7Table(r7).split("\n").length, 2 + p.c7.capacities.length);
    assert.equal(c8Table(r8).split("\n").length, 2 + m8.steps.length);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});
