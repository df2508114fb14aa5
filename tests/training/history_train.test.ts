import assert from "node:assert/strict";
import type { ImageSet } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, imageRange, resizeArea } from "../../lib/data/transform.ts";
import type { UNetConfig } from "../../lib/denoisers/unet.ts";
import {
  createTrainState,
  disposeTrainState,
  loadTrainState,
  saveTrainState,
  stateTensors,
  train,
  trainConfig,
  type TrainState,
} from "../../lib/training/train.ts";
import { historyMonitor, type HistorySettings } from "../../lib/training/history.ts";
import { testBackend } from "./_backend.ts";

const NET: UNetConfig = { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 };
const CFG = trainConfig({ seed: 3, steps: 30, batchSize: 16, warmupImages: 160 });
const SETTINGS: HistorySettings = {
  every: 10,
  sigmas: [4.066, 0.47],
  nTrain: 16,
  nHeldOut: 16,
  heldOutSource: "test split, images 0…15",
  seed: 5,
};

async function sets(): Promise<[ImageSet, ImageSet]> {
  const train = resizeArea(firstN(await loadDataset("mnist", "train"), 64), 8);
  const held = resizeArea(imageRange(await loadDataset("mnist", "test"), 0, 16), 8);
  return [train, held];
}

function monitor(train: ImageSet, held: ImageSet) {
  return {
    every: SETTINGS.every,
    measure: historyMonitor(
      { height: 8, width: 8, channels: 1, sigmaData: CFG.sigmaData },
      Float32Array.from(train.data),
      Float32Array.from(held.data),
      SETTINGS,
    ),
  };
}

const bits = (s: TrainState) => stateTensors(s).map((t) => new Uint8Array(t.data.buffer).join(",")).join(";");

Deno.test("the training history does not change the weights, and survives a checkpoint and resume", async () => {
  await testBackend();
  const [data, held] = await sets();
  const plain = createTrainState(NET, CFG);
  await train(plain, data, { log: false });
  const watched = createTrainState(NET, CFG);
  await train(watched, data, { log: false, monitor: monitor(data, held) });
  assert.equal(bits(watched), bits(plain), "weights with and without the monitor");
  assert.deepEqual(watched.history.map((h) => h.step), [10, 20, 30]);
  assert.ok(watched.history.every((h) => h.heldOut.length === 2 && Number.isFinite(h.heldOutLoss)));

  const dir = await Deno.makeTempDir({ prefix: "hg-history-" });
  try {
    const first = createTrainState(NET, CFG);
    await train(first, data, { log: false, untilStep: 15, monitor: monitor(data, held) });
    await saveTrainState(dir, first);
    const resumed = await loadTrainState(dir);
    await train(resumed, data, { log: false, monitor: monitor(data, held) });
    assert.deepEqual(resumed.history, watched.history, "history of a resumed run");
    assert.equal(bits(resumed), bits(watched));
    disposeTrainState(first);
    disposeTrainState(resumed);
  } finally {
    await Deno.remove(dir, { recursive: true });
    disposeTrainState(plain);
    disposeTrainState(watched);
  }
});

Deno.test("a stop rule ends the run at the first record from minSteps where the rule holds; without a monitor it is an error", async () => {
  await testBackend();
  const [data, held] = await sets();
  // Tolerance 10 (1000%): met at the first record ≥ minSteps, so a 30-step cap stops at 20.
  const loose = trainConfig({ ...CFG, converge: { window: 0.5, tolerance: 10, minSteps: 20 } });
  const stopped = createTrainState(NET, loose);
  const report = await train(stopped, data, { log: false, monitor: monitor(data, held) });
  assert.equal(report.finalStep, 20);
  assert.deepEqual(stopped.history.map((h) => h.step), [10, 20]);
  // Its weights are those of step 20 of the same run without the rule (the rule only stops it).
  const plain = createTrainState(NET, CFG);
  await train(plain, data, { log: false, untilStep: 20 });
  assert.equal(bits(stopped), bits(plain));
  // A resume of the stopped run does nothing more.
  const again = await train(stopped, data, { log: false, monitor: monitor(data, held) });
  assert.equal(again.steps, 0);
  // Tolerance 1e-12: never met, the run goes to its cap.
  const strict = createTrainState(
    NET,
    trainConfig({ ...CFG, converge: { window: 0.5, tolerance: 1e-12, minSteps: 10 } }),
  );
  assert.equal((await train(strict, data, { log: false, monitor: monitor(data, held) })).finalStep, 30);
  const noMonitor = createTrainState(NET, loose);
  await assert.rejects(() => train(noMonitor, data, { log: false }), /needs a history monitor/);
  assert.throws(
    () => trainConfig({ ...CFG, converge: { window: 0.2, tolerance: 0.01, minSteps: 31 } }),
    /minSteps/,
  );
  for (const s of [stopped, plain, strict, noMonitor]) disposeTrainState(s);
});
