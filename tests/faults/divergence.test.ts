/**
 * Divergence that starts at once is caught: an absolute loss bound and the step-0 loss as reference stop
 * an explosion at step 1, naming the step; a verdict refuses to judge non-finite or absurd metrics.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import {
  createTrainState,
  disposeTrainState,
  DIVERGENCE_MAX_LOSS,
  train,
  trainConfig,
  TrainingDivergedError,
} from "../../lib/training/train.ts";
import { checkMetricsSane, RMSE_BOUND } from "../../lib/results/sanity.ts";
import { finishExperiment, startExperiment } from "../../experiments/_harness.ts";
import { testBackend } from "../training/_backend.ts";
import { goodResult } from "../results/_fixture.ts";

const NET = { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 };

Deno.test("train: learning rate 1e4 explodes at step 1 and stops there, naming the step (default window)", async () => {
  await testBackend();
  const set = resizeArea(firstN(await loadDataset("mnist", "train"), 64), 8);
  const state = createTrainState(
    NET,
    trainConfig({ seed: 1, steps: 30, batchSize: 16, lr: 1e4, warmupImages: 0 }),
  );
  const losses: number[] = [];
  await assert.rejects(
    train(state, set, { log: false, onStep: (_s, l) => void losses.push(l) }),
    (e) => {
      assert.ok(e instanceof TrainingDivergedError, String(e));
      assert.equal(e.step, 1, e.message);
      assert.equal(state.step, 1, "the bad update was not applied");
      assert.match(
        e.message,
        /^training diverged at step 1: loss \S+ \((> 1000 × the step-0 loss|> the absolute bound)/,
      );
      return true;
    },
  );
  disposeTrainState(state);
});

Deno.test("train: a loss above the absolute bound stops training even with no reference yet", async () => {
  await testBackend();
  const set = resizeArea(firstN(await loadDataset("mnist", "train"), 64), 8);
  const state = createTrainState(NET, trainConfig({ seed: 1, steps: 3, batchSize: 16 }));
  await assert.rejects(
    train(state, set, { log: false, maxLoss: 0.5 }),
    /diverged at step 0: loss \S+ \(> the absolute bound 0.5 of the EDM loss\)/,
  );
  disposeTrainState(state);
  assert.equal(DIVERGENCE_MAX_LOSS, 1e5);
});

Deno.test("a verdict refuses to judge an absurd RMSE or a non-finite metric, and writes nothing", async () => {
  assert.deepEqual(checkMetricsSane({ rmseToGaussian: [0.1, 0.3], nmse: 3000 }), []);
  assert.deepEqual(checkMetricsSane({ x: { rmseToGaussian: [0.1, 18400] } }), [
    `metrics.x.rmseToGaussian[1] = 18400 is above the bound ${RMSE_BOUND} for an RMSE per pixel (pixels lie in [-1, 1])`,
  ]);
  assert.match(checkMetricsSane({ gl: [Number.NaN] })[0], /^metrics\.gl\[0\] = NaN is not finite$/);
  const out = await Deno.makeTempDir();
  try {
    const ctx = await startExperiment("C6", ["--profile", "smoke", "--out", out]);
    const r = goodResult();
    await assert.rejects(
      () =>
        finishExperiment(ctx, {
          title: r.title,
          config: r.config,
          seeds: r.seeds,
          metrics: { rmseToGaussian: [0.2, 18400] },
          paper: r.paper,
          verdict: r.verdict,
        }, [{ name: "c6.svg", content: "<svg/>", caption: "x" }]),
      /^Error: C6 \(smoke, mnist\): refusing to judge: metrics\.rmseToGaussian\[1\] = 18400 is above the bound 10/,
    );
    assert.deepEqual([...Deno.readDirSync(join(out, "smoke", "mnist"))], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
