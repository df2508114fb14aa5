/**
 * Shipped and cached models are checked against what names them: models/INDEX.json fixes each shipped
 * model's snapshots and the sha256 of each weights file, the cache key fixes key.json and the configs; a
 * missing snapshot, a missing key.json, a foreign file or a missing folder is an error naming it (for the
 * cache: a retrain that names the cause); an export killed between its renames is put back.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ImageSet } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import { findShipped } from "../../lib/training/shipped.ts";
import { ModelIntegrityError } from "../../lib/training/integrity.ts";
import { getTrainedModel, type ModelSpec } from "../../lib/training/model.ts";
import { trainConfig } from "../../lib/training/train.ts";
import { testBackend } from "../training/_backend.ts";
import { captureStderr, deadPid, REPO, shippedCopy } from "./_util.ts";

/** ci MNIST, training seed 7110: the C8 model (N = 64, C = 16, snapshots), N = 16 at C = 8 and N = 64 at C = 4. */
const C8 = "16422ff9e9b1db4b026518c0a40468764f643d3b35b5ad09cea3456f36143358";
const N16 = "2db026b03e0deb84598f1c05dfcf8602fbf098e50fe077b729742474ca2d8618";
const N64 = "0569021c1255a332772c4d4a8934fcebb4be97049c954a7119a6c115a8d26445";

const named = (file: string, what: RegExp) => (e: Error) =>
  e instanceof ModelIntegrityError && e.message.startsWith(`${file}: `) && what.test(e.message);

Deno.test("shipped: intact models pass; a deleted C8 snapshot is named", async () => {
  const root = await shippedCopy([C8, N16]);
  try {
    assert.equal(await findShipped(root, C8), `${root}/${C8}`);
    assert.equal(await findShipped(root, N16), `${root}/${N16}`);
    await Deno.remove(`${root}/${C8}/snapshots/step-00000350`, { recursive: true });
    await assert.rejects(
      () => findShipped(root, C8),
      named(`${root}/${C8}/snapshots/step-00000350/manifest.json`, /missing/),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("shipped: a deleted key.json is named, not a silent retrain", async () => {
  const root = await shippedCopy([N16]);
  try {
    await Deno.remove(`${root}/${N16}/key.json`);
    await assert.rejects(() => findShipped(root, N16), named(`${root}/${N16}/key.json`, /missing/));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("shipped: another model's weights and manifest copied in are named as foreign", async () => {
  const root = await shippedCopy([N16, N64]);
  try {
    await Deno.copyFile(`${root}/${N64}/weights.bin`, `${root}/${N16}/weights.bin`);
    await assert.rejects(
      () => findShipped(root, N16),
      named(`${root}/${N16}/weights.bin`, /is not .*INDEX\.json's .*altered or foreign/),
    );
    await Deno.copyFile(`${root}/${N64}/manifest.json`, `${root}/${N16}/manifest.json`);
    await assert.rejects(
      () => findShipped(root, N16),
      named(`${root}/${N16}/manifest.json`, /not .*key\.json's \(a foreign checkpoint\)/),
    );
    // A foreign snapshot folder the index does not list.
    await Deno.mkdir(`${root}/${N16}/snapshots/step-00000001`, { recursive: true });
    await Deno.copyFile(`${root}/${N64}/weights.bin`, `${root}/${N16}/snapshots/step-00000001/weights.bin`);
    await Deno.copyFile(`${REPO}/models/${N16}/manifest.json`, `${root}/${N16}/manifest.json`);
    await Deno.copyFile(`${REPO}/models/${N16}/weights.bin`, `${root}/${N16}/weights.bin`);
    await assert.rejects(
      () => findShipped(root, N16),
      named(`${root}/${N16}/snapshots/step-00000001/weights.bin`, /not listed in .*INDEX\.json/),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("shipped: a listed folder that is missing, and a folder the index does not list, are named", async () => {
  const root = await shippedCopy([N16, N64]);
  try {
    await Deno.remove(`${root}/${N16}`, { recursive: true });
    await assert.rejects(
      () => findShipped(root, N16),
      named(`${root}/${N16}`, /listed in .*INDEX\.json.*but missing/),
    );
    const index = JSON.parse(await Deno.readTextFile(`${root}/INDEX.json`)) as { key: string }[];
    await Deno.writeTextFile(`${root}/INDEX.json`, JSON.stringify(index.filter((e) => e.key !== N64)));
    await assert.rejects(() => findShipped(root, N64), named(`${root}/${N64}`, /does not list/));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("shipped: an export killed between its two renames is put back on the next load", async () => {
  const root = await shippedCopy([N16]);
  try {
    // What replaceDir leaves when killed after moving the old copy aside: no folder, a .old-<pid>- copy.
    await Deno.rename(`${root}/${N16}`, `${root}/${N16}.old-${await deadPid()}-0badc0de`);
    const { value, lines } = await captureStderr(() => findShipped(root, N16));
    assert.equal(value, `${root}/${N16}`);
    assert.ok(lines.some((l) => l.startsWith(`${root}/${N16}: put back from`)), lines.join("\n"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const spec: ModelSpec = {
  data: { dataset: "mnist", split: "train", resolution: 8, subset: { rule: "first", n: 32 } },
  net: { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 },
  train: trainConfig({ seed: 9, steps: 3, batchSize: 8, warmupImages: 16 }),
  snapshotSteps: [2],
};
let loads = 0;
async function loadData(): Promise<ImageSet> {
  loads++;
  return resizeArea(firstN(await loadDataset("mnist", "train"), 32), 8);
}

Deno.test("cache: a missing key.json, a missing snapshot or a foreign weights file retrains that model, naming the cause", async () => {
  await testBackend();
  const root = await Deno.makeTempDir({ prefix: "hg-cache-" });
  try {
    const m = await getTrainedModel(spec, loadData, { root, log: false });
    const cases: [string, () => Promise<void>, RegExp][] = [
      [`${m.dir}/key.json`, () => Deno.remove(`${m.dir}/key.json`), /missing.*retraining/],
      [
        `${m.dir}/snapshots/step-00000002/manifest.json`,
        () => Deno.remove(`${m.dir}/snapshots/step-00000002`, { recursive: true }),
        /missing.*retraining/,
      ],
      [
        `${m.dir}/weights.bin`,
        async () => {
          const b = await Deno.readFile(`${m.dir}/weights.bin`);
          b[100] ^= 1;
          await Deno.writeFile(`${m.dir}/weights.bin`, b);
        },
        /sha256 .* is not .*key\.json's .*retraining/,
      ],
    ];
    for (const [file, damage, why] of cases) {
      await damage();
      const before = loads;
      const { value, lines } = await captureStderr(() =>
        getTrainedModel(spec, loadData, { root, log: false })
      );
      assert.equal(value.trained, true, file);
      assert.equal(loads, before + 1);
      assert.ok(lines.some((l) => l.includes(file) && why.test(l)), `${file}\n${lines.join("\n")}`);
      assert.deepEqual(value.snapshots, [2]);
    }
    const again = await getTrainedModel(spec, loadData, { root, log: false });
    assert.equal(again.trained, false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
