/**
 * C2, C3, C4 and C5 end to end at the `smoke` profile in a temporary --out, model cache and shipped-model
 * folder: each writes a valid result with its criterion and figures; the four claims share one D_L fit
 * of the distilled model; and the distillation helpers check their inputs. Smoke verdicts are not
 * asserted: smoke nets are far too small to show anything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CRITERION as C2_CRITERION, runC2 } from "../../experiments/c2_linear_distillation.ts";
import { CRITERION as C3_CRITERION, runC3 } from "../../experiments/c3_linear_gaussian.ts";
import { CRITERION as C4_CRITERION, meanRowRmse, runC4 } from "../../experiments/c4_sample_grids.ts";
import { CRITERION as C5_CRITERION, runC5 } from "../../experiments/c5_regimes.ts";
import { drawsFor, piecewiseLinearDenoiser } from "../../experiments/distill.ts";
import { getProfile } from "../../experiments/profiles.ts";
import { readResult } from "../../lib/results/io.ts";
import type { Result } from "../../lib/results/schema.ts";
import { batch } from "../../lib/types.ts";
import { withEnv } from "./_env.ts";

async function _checkWritten(out: string, r: Result, criterion: string): Promise<void> {
  const dir = join(out, "smoke", "mnist");
  const back = await readResult(join(dir, `${r.claim.toLowerCase()}.json`));
  assert.deepEqual(back.metrics, r.metrics);
  assert.equal(r.verdict.criterion, criterion);
  assert.ok(r.verdict.summary.length > 40);
  assert.ok(r.figures.length >= 1);
  for (const f of r.figures) assert.ok((await Deno.stat(join(dir, f.path))).size > 100, f.path);
}

Deno.test("C2, C3, C4 and C5 run end to end at the smoke profile and share the distilled model", async () => {
  const out = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  const models = await Deno.makeTempDir();
  try {
    const args = ["--profile", "smoke", "--dataset", "mnist", "--out", out];
    const [r2, r3, r4, r5] = await withEnv(
      { HG_CACHE_DIR: cache, HG_MODELS_DIR: models, HG_QUIET: "1" },
      async () => [await runC2(args), await runC3(args), await runC4(args), await runC5(args)],
    );
    await _checkWritten(out, r2, C2_CRITERION);
    await _checkWritten(out, r3, C3_CRITERION);
    await _checkWritten(out, r4, C4_CRITERION);
    await _checkWritten(out, r5, C5_CRITERION);
    const p = getProfile("smoke");
    const key = (r: Result) => (r.config.model as { key: string }).key;
    assert.equal(key(r2), key(r3));
    assert.equal(key(r2), key(r4));
    const m2 = r2.metrics as { sigmas: number[]; rmseLinearToNet: number[]; rmseMultiDeltaToNet: number[] };
    const m3 = r3.metrics as { rmseLinearToGaussian: number[]; nmseToWiener: number[]; alignment: number[] };
    const m5 = r5.metrics as {
      ns: number[];
      sigmas: number[];
      rmseLinearToGaussian: number[][];
      rho: number[];
    };
    assert.deepEqual(m2.sigmas, p.distill.sigmas);
    for (const v of [m2.rmseLinearToNet, m3.rmseLinearToGaussian, m3.nmseToWiener, m3.alignment]) {
      assert.equal(v.length, p.distill.sigmas.length);
      assert.ok(v.every((x) => Number.isFinite(x) && x >= 0));
    }
    assert.ok(m3.alignment.every((a) => a <= 1 + 1e-12));
    // C5's largest N is the distilled model: its held-out D_L is the same fit as C3's (one fit per
    // process), at C5's band levels.
    assert.equal(m5.ns.at(-1), p.distill.n);
    assert.deepEqual(
      m5.rmseLinearToGaussian.at(-1),
      m5.sigmas.map((s) => m3.rmseLinearToGaussian[p.distill.sigmas.indexOf(s)]),
    );
    assert.ok(m5.rho.every((x) => Number.isFinite(x) && x > 0));
    // At σ = 0.002 every denoiser is close to the identity on its inputs: D_L ≈ D_θ far below the threshold.
    assert.ok(m2.rmseLinearToNet.at(-1)! < 0.01, `${m2.rmseLinearToNet.at(-1)}`);
    const m4 = r4.metrics as { rmseSameNoise: number[]; rmseShuffledNoise: number[]; ratio: number[] };
    assert.equal(m4.ratio.length, 3);
    m4.ratio.forEach((r, i) =>
      assert.ok(Math.abs(r - m4.rmseSameNoise[i] / m4.rmseShuffledNoise[i]) < 1e-12)
    );
  } finally {
    for (const d of [out, cache, models]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("distillation helpers: draws cover the samples; D_L is defined only at its fitted σ", async () => {
  assert.equal(drawsFor(16, 4096), 256);
  assert.equal(drawsFor(1000, 4096), 5);
  assert.equal(drawsFor(8192, 4096), 1);
  assert.throws(() => drawsFor(16, 0), /samples must be an integer ≥ 1/);
  const twice = (x: ReturnType<typeof batch>) => batch(x.n, x.d, x.data.map((v) => 2 * v));
  const D = piecewiseLinearDenoiser([
    { sigma: 1, W: new Float64Array(1), b: new Float64Array(1), denoiser: twice, draws: 1 },
  ]);
  assert.deepEqual(Array.from((await D(batch(1, 2, new Float64Array([1, 2])), 1)).data), [2, 4]);
  assert.throws(() => D(batch(1, 2), 0.5), /no D_L at σ = 0.5 \(fitted at 1\)/);
});

Deno.test("meanRowRmse pairs row i with row i + shift", () => {
  const a = batch(2, 2, new Float64Array([0, 0, 1, 1]));
  const b = batch(2, 2, new Float64Array([0, 0, 3, 3]));
  assert.equal(meanRowRmse(a, b), 1); // (0 + 2) / 2
  assert.equal(meanRowRmse(a, b, 1), (3 + 1) / 2);
  assert.throws(() => meanRowRmse(a, batch(1, 2)), /differ/);
});
