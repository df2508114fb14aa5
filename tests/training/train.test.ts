import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import type { ImageSet } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import type { UNetConfig } from "../../lib/denoisers/unet.ts";
import { drawTrainingNoise, edmLossValue } from "../../lib/training/loss.ts";
import {
  batchIndices,
  createTrainState,
  disposeTrainState,
  learningRate,
  loadTrainState,
  saveTrainState,
  stateDenoiser,
  stateTensors,
  train,
  trainConfig,
  TrainingDivergedError,
  type TrainState,
} from "../../lib/training/train.ts";
import { readCheckpoint } from "../../lib/training/checkpoint.ts";
import { testBackend } from "./_backend.ts";

const NET: UNetConfig = { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 };
const cfg = (over: Record<string, unknown> = {}) =>
  trainConfig({ seed: 1, steps: 10, batchSize: 16, warmupImages: 320, ...over });

let _data: ImageSet | null = null;
/** 256 real MNIST training images, area-resized to 8×8. */
async function data(): Promise<ImageSet> {
  if (!_data) _data = resizeArea(firstN(await loadDataset("mnist", "train"), 256), 8);
  return _data;
}

/** All tensors of a state as one byte string per tensor (for bit-exact comparison). */
function bits(state: TrainState): Map<string, string> {
  return new Map(stateTensors(state).map((t) => [t.name, new Uint8Array(t.data.buffer).join(",")]));
}

Deno.test("batchIndices: each epoch is a permutation of the N images; N < B works", () => {
  const n = 10, B = 4;
  const seen: number[] = [];
  for (let s = 0; s < 5; s++) seen.push(...batchIndices(7, s, B, n));
  assert.deepEqual(seen.slice(0, 10).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(seen.slice(10, 20).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(seen.slice(0, 10), seen.slice(10, 20));
  assert.deepEqual(Array.from(batchIndices(7, 0, 8, 3)).slice(0, 3).sort(), [0, 1, 2]);
  assert.equal(learningRate(cfg(), 0), 2e-3 * 16 / 320);
  assert.equal(learningRate(cfg(), 19), 2e-3);
});

Deno.test("train: a smoke model on real MNIST 8×8 learns (fixed-noise loss of the last 20% of steps < 0.8 × the first 20%)", async () => {
  await testBackend();
  const set = await data();
  const d = set.d;
  const state = createTrainState(NET, cfg({ steps: 100 }));
  // A fixed evaluation: 64 training images, one fixed draw of σ and ε, evaluated after every step.
  const evalY = Float32Array.from(set.data.subarray(0, 64 * d));
  const draw = drawTrainingNoise(999, 0, 64, d);
  const shape = { height: 8, width: 8, channels: 1 };
  const D = stateDenoiser(state, "params");
  const evals: number[] = [edmLossValue(D, shape, evalY, draw)];
  await train(state, set, { log: false, onStep: () => void evals.push(edmLossValue(D, shape, evalY, draw)) });
  const k = Math.floor(evals.length / 5);
  const first = evals.slice(0, k).reduce((a, b) => a + b) / k;
  const last = evals.slice(-k).reduce((a, b) => a + b) / k;
  assert.ok(last < 0.8 * first, `fixed-noise loss: first 20% ${first}, last 20% ${last}`);
  disposeTrainState(state);
});

Deno.test("train: deterministic; a resumed run equals the uninterrupted one bit for bit; snapshot s = an s-step run", async () => {
  await testBackend();
  const set = await data();
  const k = 5;
  const c = cfg({ steps: 2 * k });
  // Uninterrupted, with a snapshot after step k.
  const a = createTrainState(NET, c);
  let snap: Map<string, string> | null = null;
  await train(a, set, { log: false, snapshotSteps: [k], onSnapshot: (s) => void (snap = bits(s)) });
  // Same again: bit-identical.
  const a2 = createTrainState(NET, c);
  await train(a2, set, { log: false });
  assert.deepEqual(bits(a2), bits(a));
  // Interrupted after k steps, saved, dropped, loaded, continued.
  const dir = await Deno.makeTempDir();
  const b = createTrainState(NET, c);
  await train(b, set, { log: false, untilStep: k });
  assert.equal(b.step, k);
  await saveTrainState(dir, b);
  disposeTrainState(b);
  const b2 = await loadTrainState(dir);
  assert.equal(b2.step, k);
  await train(b2, set, { log: false });
  assert.equal(b2.step, 2 * k);
  assert.equal(b2.imagesSeen, a.imagesSeen);
  assert.deepEqual(bits(b2), bits(a));
  // Nothing depends on the total number of steps: the snapshot at k equals a k-step run.
  const short = createTrainState(NET, cfg({ steps: k }));
  await train(short, set, { log: false });
  assert.deepEqual(bits(short), snap);
  // A different seed gives different weights.
  const other = createTrainState(NET, cfg({ steps: 2, seed: 2 }));
  await train(other, set, { log: false });
  assert.notDeepEqual(bits(other).get("params/convIn.w"), bits(a).get("params/convIn.w"));
  for (const s of [a, a2, b2, short, other]) disposeTrainState(s);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: NaN weights stop training naming the step, and the last good checkpoint stays", async () => {
  await testBackend();
  const set = await data();
  const dir = await Deno.makeTempDir();
  const poison = (s: TrainState) => s.params[3].assign(tf.fill(s.params[3].shape, Number.NaN));
  // (a) NaN appears after step 6 (between checkpoints at 5 and 10): step 7's loss is NaN.
  let state = createTrainState(NET, cfg({ steps: 20 }));
  await assert.rejects(
    train(state, set, {
      log: false,
      checkpointDir: dir,
      checkpointEvery: 5,
      onStep: (step, _loss, s) => void (step === 6 && poison(s)),
    }),
    (e) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.equal(e.step, 7);
      assert.match(e.message, /diverged at step 7: loss NaN \(not finite\); last checkpoint left in /);
      return true;
    },
  );
  let ck = await readCheckpoint(dir);
  assert.equal(ck.manifest.step, 5);
  assert.ok(ck.tensors.every((t) => t.data.every(Number.isFinite)));
  disposeTrainState(state);
  // (b) NaN appears right before a checkpoint is due: the checkpoint is not overwritten.
  state = createTrainState(NET, cfg({ steps: 20 }));
  await assert.rejects(
    train(state, set, {
      log: false,
      checkpointDir: dir,
      checkpointEvery: 4,
      onStep: (step, _loss, s) => void (step === 7 && poison(s)),
    }),
    /diverged at step 7: .*params\/.* is not finite after the update/,
  );
  ck = await readCheckpoint(dir);
  assert.equal(ck.manifest.step, 4);
  disposeTrainState(state);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("train: a loss 1e3 × above the early median (exploding learning rate) stops training", async () => {
  await testBackend();
  const set = await data();
  const state = createTrainState(NET, cfg({ steps: 30, lr: 1e4, warmupImages: 0 }));
  const losses: number[] = [];
  await assert.rejects(
    train(state, set, { log: false, divergenceWindow: 1, onStep: (_s, l) => void losses.push(l) }),
    (e) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.ok(e.step >= 1 && e.step === losses.length, `step ${e.step}, ${losses.length} good steps`);
      assert.ok(!Number.isFinite(e.loss) || e.loss > 1e3 * losses[0], `loss ${e.loss} vs first ${losses[0]}`);
      assert.match(e.message, new RegExp(`diverged at step ${e.step}`));
      return true;
    },
  );
  disposeTrainState(state);
});

Deno.test("train: tf.memory stays flat over 50 steps; bad data is rejected", async () => {
  await testBackend();
  const set = await data();
  const state = createTrainState(NET, cfg({ steps: 50 }));
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const lines: string[] = [];
  await train(state, set, {
    onStep: () => void counts.push(tf.memory().numTensors),
    log: (l) => lines.push(l),
    logEverySec: 1e9,
  });
  assert.equal(counts.length, 50);
  assert.ok(counts.every((c) => c === before), `tensor counts ${Math.min(...counts)}…${Math.max(...counts)}`);
  assert.equal(tf.memory().numTensors, before);
  // The last step always logs: step/total, running loss, images/s, ETA.
  assert.match(lines.at(-1)!, /^\[train\] step 50\/50 {2}loss \d+\.\d{4} {2}\d+ img\/s {2}ETA 0m00s$/);
  const wrong = { ...set, height: 7 };
  await assert.rejects(
    train(state, wrong as ImageSet, { log: false }),
    /is 7×8×1, the network expects 8×8×1/,
  );
  const nan = { ...set, data: set.data.slice() };
  nan.data[5 * set.d + 3] = Number.NaN;
  const s2 = createTrainState(NET, cfg({ steps: 60 }));
  await assert.rejects(train(s2, nan, { log: false }), /non-finite value at image 5/);
  disposeTrainState(state);
  disposeTrainState(s2);
});
