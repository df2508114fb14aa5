import assert from "node:assert/strict";
import type { ImageSet } from "../../lib/types.ts";
import { batch } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import { asDenoiser } from "../../lib/denoisers/edm.ts";
import { cacheKey } from "../../lib/training/cache.ts";
import { getTrainedModel, loadDenoiser, type ModelSpec, snapshotDir } from "../../lib/training/model.ts";
import {
  createTrainState,
  disposeTrainState,
  saveTrainState,
  stateDenoiser,
  train,
  trainConfig,
} from "../../lib/training/train.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "./_backend.ts";

const spec: ModelSpec = {
  data: { dataset: "mnist", split: "train", resolution: 8, subset: { rule: "first", n: 128 } },
  net: { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 },
  train: trainConfig({ seed: 3, steps: 6, batchSize: 16, warmupImages: 64 }),
  snapshotSteps: [3],
};
let loads = 0;
let _set: ImageSet | null = null;
async function loadData(): Promise<ImageSet> {
  loads++;
  if (!_set) _set = resizeArea(firstN(await loadDataset("mnist", "train"), 128), 8);
  return _set;
}

Deno.test("getTrainedModel: trains once, then hits; the loaded D_θ equals the in-memory model's, bit for bit", async () => {
  await testBackend();
  const root = await Deno.makeTempDir();
  try {
    const m = await getTrainedModel(spec, loadData, { root, log: false, checkpointEvery: 2 });
    assert.equal(m.trained, true);
    assert.equal(m.manifest.step, 6);
    assert.deepEqual(m.snapshots, [3]);
    const again = await getTrainedModel(spec, loadData, { root, log: false });
    assert.deepEqual([again.trained, again.dir, loads], [false, m.dir, 1]);

    // The same training in memory.
    const state = createTrainState(spec.net, spec.train);
    await train(state, await loadData(), { log: false });
    const x = batch(5, 64, new Rng(1).normals(5 * 64));
    const ref = asDenoiser(stateDenoiser(state, "ema"), { height: 8, width: 8, channels: 1 });
    const loaded = await loadDenoiser(m.dir);
    assert.equal(loaded.step, 6);
    for (const sigma of [0.05, 1.5]) {
      assert.deepEqual((await loaded.denoiser(x, sigma)).data, (await ref(x, sigma)).data);
    }
    // Raw weights differ from the EMA weights; the snapshot is the 3-step model.
    const raw = await loadDenoiser(m.dir, { weights: "params" });
    assert.notDeepEqual((await raw.denoiser(x, 1.5)).data, (await loaded.denoiser(x, 1.5)).data);
    const snap = await loadDenoiser(snapshotDir(m.dir, 3));
    assert.equal(snap.step, 3);
    for (const l of [loaded, raw, snap]) l.dispose();
    disposeTrainState(state);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getTrainedModel: an interrupted run resumes from its work directory and ends with the same weights", async () => {
  await testBackend();
  const root = await Deno.makeTempDir();
  const root2 = await Deno.makeTempDir();
  try {
    // Interrupted: 4 of 6 steps done, checkpoint in <key>.partial (snapshot 3 already written).
    const key = cacheKey({ ...spec, snapshotSteps: [3] });
    const work = `${root}/${key}.partial`;
    const s = createTrainState(spec.net, spec.train);
    await train(s, await loadData(), {
      log: false,
      untilStep: 4,
      snapshotSteps: [3],
      onSnapshot: async (st) => void await saveTrainState(snapshotDir(work, st.step), st),
    });
    await saveTrainState(work, s);
    disposeTrainState(s);
    const lines: string[] = [];
    const resumed = await getTrainedModel(spec, loadData, {
      root,
      log: (l) => lines.push(l),
      logEverySec: 0,
    });
    assert.deepEqual(lines.map((l) => l.match(/step (\d+)\//)![1]), ["5", "6"]);
    const fresh = await getTrainedModel(spec, loadData, { root: root2, log: false });
    assert.equal(resumed.manifest.sha256, fresh.manifest.sha256);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(root2, { recursive: true });
  }
});
