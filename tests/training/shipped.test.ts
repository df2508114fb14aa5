/**
 * Shipped denoisers (lib/training/shipped.ts): the shipped form keeps only the EMA weights and gives the
 * same D_θ bit for bit; getTrainedModel prefers a shipped entry (without loading data) unless asked to
 * retrain; a damaged shipped checkpoint fails naming its file. The last test runs on a temp copy of a
 * real shipped model from models/ when there is one.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ImageSet } from "../../lib/types.ts";
import { batch } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import { cacheKey } from "../../lib/training/cache.ts";
import { CheckpointError, readCheckpoint } from "../../lib/training/checkpoint.ts";
import { getTrainedModel, loadDenoiser, type ModelSpec, snapshotDir } from "../../lib/training/model.ts";
import { defaultShippedRoot, exportShipped, findShipped } from "../../lib/training/shipped.ts";
import { trainConfig } from "../../lib/training/train.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "./_backend.ts";

const spec: ModelSpec = {
  data: { dataset: "mnist", split: "train", resolution: 8, subset: { rule: "first", n: 64 } },
  net: { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 },
  train: trainConfig({ seed: 5, steps: 4, batchSize: 16, warmupImages: 32 }),
  snapshotSteps: [2],
};
let loads = 0;
async function loadData(): Promise<ImageSet> {
  loads++;
  return resizeArea(firstN(await loadDataset("mnist", "train"), 64), 8);
}

Deno.test("exportShipped keeps the EMA weights only, and the shipped D_θ equals the cached one bit for bit", async () => {
  await testBackend();
  const cache = await Deno.makeTempDir();
  const shipped = await Deno.makeTempDir();
  try {
    const m = await getTrainedModel(spec, loadData, { root: cache, log: false });
    const bytes = await exportShipped(m.dir, shipped, m.key, ["snapshots/step-00000002"]);
    const { manifest, tensors } = await readCheckpoint(`${shipped}/${m.key}`);
    assert.ok(tensors.length > 0 && tensors.every((t) => t.name.startsWith("ema/")));
    assert.equal(manifest.step, 4);
    const full = await readCheckpoint(m.dir);
    assert.equal(
      manifest.weightsBytes * 4,
      full.manifest.weightsBytes,
      "params, EMA and Adam's m, v: 4 copies",
    );
    assert.equal(bytes, 2 * manifest.weightsBytes, "final and one snapshot");
    assert.equal(await findShipped(shipped, m.key), `${shipped}/${m.key}`);
    assert.equal(await findShipped(shipped, "0".repeat(64)), null);

    const x = batch(3, 64, new Rng(2).normals(3 * 64));
    for (
      const [a, b] of [[m.dir, `${shipped}/${m.key}`], [
        snapshotDir(m.dir, 2),
        snapshotDir(`${shipped}/${m.key}`, 2),
      ]]
    ) {
      const la = await loadDenoiser(a);
      const lb = await loadDenoiser(b);
      assert.deepEqual((await lb.denoiser(x, 0.5)).data, (await la.denoiser(x, 0.5)).data);
      la.dispose();
      lb.dispose();
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
    await Deno.remove(shipped, { recursive: true });
  }
});

Deno.test("getTrainedModel prefers a shipped entry without loading data, and --retrain ignores it", async () => {
  await testBackend();
  const cache = await Deno.makeTempDir();
  const shipped = await Deno.makeTempDir();
  try {
    const trained = await getTrainedModel(spec, loadData, { root: cache, log: false });
    await exportShipped(trained.dir, shipped, trained.key, ["snapshots/step-00000002"]);
    await Deno.remove(cache, { recursive: true });
    await Deno.mkdir(cache);
    const before = loads;
    const m = await getTrainedModel(spec, loadData, { root: cache, log: false, shippedRoot: shipped });
    assert.deepEqual([m.shipped, m.trained, m.dir, loads], [true, false, `${shipped}/${m.key}`, before]);
    assert.deepEqual(m.snapshots, [2]);
    assert.equal(m.key, cacheKey({ ...spec, snapshotSteps: [2] }));
    const r = await getTrainedModel(spec, loadData, {
      root: cache,
      log: false,
      shippedRoot: shipped,
      retrain: true,
    });
    assert.deepEqual([r.shipped, r.trained, loads], [undefined, true, before + 1]);
    // Retraining reproduces the shipped EMA weights exactly (same machine, same kernels).
    const a = (await readCheckpoint(`${shipped}/${m.key}`)).tensors;
    const b = (await readCheckpoint(r.dir)).tensors.filter((t) => t.name.startsWith("ema/"));
    assert.deepEqual(b.map((t) => t.name), a.map((t) => t.name));
    b.forEach((t, i) => assert.deepEqual(t.data, a[i].data, t.name));
  } finally {
    await Deno.remove(cache, { recursive: true });
    await Deno.remove(shipped, { recursive: true });
  }
});

Deno.test("a corrupted copy of a shipped checkpoint fails to load, naming the file", async () => {
  await testBackend();
  const root = defaultShippedRoot();
  let source: string | null = null;
  try {
    for (const e of Deno.readDirSync(root)) {
      if (e.isDirectory && /^[0-9a-f]{64}$/.test(e.name)) source = `${root}/${e.name}`;
    }
  } catch {
    // No models/ folder: fall back to a freshly exported one below.
  }
  const tmp = await Deno.makeTempDir();
  try {
    if (source === null) {
      const m = await getTrainedModel(spec, loadData, { root: `${tmp}/cache`, log: false });
      await exportShipped(m.dir, `${tmp}/shipped`, m.key);
      source = `${tmp}/shipped/${m.key}`;
    }
    const copy = `${tmp}/copy`;
    await Deno.mkdir(copy);
    for (const f of ["manifest.json", "weights.bin", "key.json"]) {
      await Deno.copyFile(`${source}/${f}`, `${copy}/${f}`);
    }
    const ok = await loadDenoiser(copy);
    ok.dispose();
    const bytes = await Deno.readFile(`${copy}/weights.bin`);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    await Deno.writeFile(`${copy}/weights.bin`, bytes);
    await assert.rejects(() => loadDenoiser(copy), (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.ok(e.message.includes(`${copy}/weights.bin`) && e.message.includes("sha256"), e.message);
      return true;
    });
    await Deno.writeFile(`${copy}/weights.bin`, bytes.subarray(0, bytes.length - 4));
    await assert.rejects(() => loadDenoiser(copy), /weights\.bin: size .*truncated/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("models/: INDEX.json and the shipped folders agree, and every entry's key is its spec's cache key", async () => {
  const root = defaultShippedRoot();
  let index: { key: string; snapshots: number[]; bytes: number }[];
  try {
    index = JSON.parse(await Deno.readTextFile(`${root}/INDEX.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return; // nothing shipped (e.g. a trimmed checkout)
    throw e;
  }
  const dirs = [...Deno.readDirSync(root)].filter((e) => e.isDirectory).map((e) => e.name).sort();
  assert.deepEqual(dirs, index.map((e) => e.key).sort(), "every shipped folder is indexed, and only those");
  for (const e of index) {
    const desc = JSON.parse(await Deno.readTextFile(`${root}/${e.key}/key.json`));
    assert.equal(cacheKey(desc.spec), e.key, `${e.key}: key.json's spec hashes to its folder name`);
    let bytes = (await readCheckpoint(`${root}/${e.key}`)).manifest.weightsBytes;
    for (const s of e.snapshots) {
      bytes += (await readCheckpoint(snapshotDir(`${root}/${e.key}`, s))).manifest.weightsBytes;
    }
    assert.equal(bytes, e.bytes, `${e.key}: INDEX.json's size`);
    // Its snapshots and the sha256 of each weights file, as INDEX.json records them.
    assert.equal(await findShipped(root, e.key), `${root}/${e.key}`);
  }
});
