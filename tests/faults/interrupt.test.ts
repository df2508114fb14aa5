/**
 * Interruption: kill -9 at random points of a result write, a shipped-model export and a training run
 * loses nothing (a result and its figure appear together or not at all; the shipped folder is always
 * there; training resumes to the same weights); a torn resume checkpoint restarts that model with a
 * notice; temporary files of dead processes are swept. Random points are drawn from lib/rng.ts with a
 * fixed seed, so a failure replays.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "../../lib/rng.ts";
import { sweepStale } from "../../lib/sweep.ts";
import { writeFilesTogether } from "../../lib/results/io.ts";
import { findShipped } from "../../lib/training/shipped.ts";
import { readCheckpoint } from "../../lib/training/checkpoint.ts";
import { cacheKey } from "../../lib/training/cache.ts";
import { getTrainedModel } from "../../lib/training/model.ts";
import { createTrainState, disposeTrainState, saveTrainState } from "../../lib/training/train.ts";
import { checkOutWritable, startExperiment } from "../../experiments/_harness.ts";
import { testBackend } from "../training/_backend.ts";
import { captureStderr, deadPid, killDuring, shippedCopy } from "./_util.ts";
import { TRAIN_SPEC, trainData } from "./_spec.ts";

const N16 = "2db026b03e0deb84598f1c05dfcf8602fbf098e50fe077b729742474ca2d8618";
const rng = new Rng(20261201);

Deno.test("kill -9 during result writes: the JSON and its figure are always from the same round", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hg-kill-write-" });
  try {
    for (let k = 0; k < 3; k++) {
      await killDuring(["write", dir], Math.floor(rng.uniform() * 300));
      await sweepStale(dir);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, ["c1.json", "c1_fig.svg"], `kill ${k}: ${names.join(", ")}`);
      const round = JSON.parse(await Deno.readTextFile(join(dir, "c1.json"))).round;
      const fig = (await Deno.readTextFile(join(dir, "c1_fig.svg"))).trim();
      assert.equal(fig, `<svg>${round}</svg>`, `kill ${k}: figure and JSON from different rounds`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill -9 during a shipped-model export: the folder is there and intact afterwards", async () => {
  const root = await shippedCopy([N16]);
  const src = await shippedCopy([N16]);
  try {
    for (let k = 0; k < 3; k++) {
      await killDuring(["export", `${src}/${N16}`, root, N16], Math.floor(rng.uniform() * 200));
      assert.equal(await findShipped(root, N16), `${root}/${N16}`, `kill ${k}`);
      await sweepStale(root);
      const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
      assert.deepEqual(names, [N16, "INDEX.json"], `kill ${k}: ${names.join(", ")}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(src, { recursive: true });
  }
});

Deno.test("kill -9 during training: the rerun resumes and ends with the uninterrupted run's weights", async () => {
  await testBackend();
  const ref = await Deno.makeTempDir({ prefix: "hg-kill-ref-" });
  const root = await Deno.makeTempDir({ prefix: "hg-kill-train-" });
  try {
    const want = await getTrainedModel(TRAIN_SPEC, trainData, { root: ref, log: false });
    const out = await killDuring(["train", root], 500 + Math.floor(rng.uniform() * 1500));
    const m = await getTrainedModel(TRAIN_SPEC, trainData, { root, log: false, checkpointEvery: 1 });
    assert.equal(m.key, want.key);
    assert.deepEqual(m.snapshots, [6], out);
    const a = (await readCheckpoint(want.dir)).tensors;
    const b = (await readCheckpoint(m.dir)).tensors;
    b.forEach((t, i) => assert.deepEqual(t.data, a[i].data, t.name));
  } finally {
    await Deno.remove(ref, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a torn resume checkpoint restarts that model from step 0 with a notice naming it", async () => {
  await testBackend();
  const root = await Deno.makeTempDir({ prefix: "hg-torn-" });
  try {
    const key = cacheKey({ ...TRAIN_SPEC, snapshotSteps: [6] });
    const work = `${root}/${key}.partial`;
    const state = createTrainState(TRAIN_SPEC.net, TRAIN_SPEC.train);
    await saveTrainState(work, state);
    disposeTrainState(state);
    // Torn: a new weights.bin beside the old manifest (a kill between the checkpoint's two renames).
    const b = await Deno.readFile(`${work}/weights.bin`);
    await Deno.writeFile(`${work}/weights.bin`, b.subarray(0, b.length - 8));
    const { value, lines } = await captureStderr(() =>
      getTrainedModel(TRAIN_SPEC, trainData, { root, log: false })
    );
    assert.equal(value.trained, true);
    assert.equal(value.manifest.step, 12);
    assert.ok(
      lines.some((l) =>
        l.startsWith(`${work}/weights.bin: size`) &&
        l.endsWith("the resume checkpoint is damaged; restarting this model from step 0")
      ),
      lines.join("\n"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("stale temporary files of dead processes are swept when a claim starts; a live writer's are kept", async () => {
  const out = await Deno.makeTempDir({ prefix: "hg-sweep-" });
  try {
    const dir = join(out, "smoke", "mnist");
    await Deno.mkdir(dir, { recursive: true });
    const dead = await deadPid();
    const stale = [
      `.c10.json.${dead}.0123456789ab.tmp`,
      `.write-probe-${dead}.tmp`,
      `.write-probe-${dead}-0a1b2c3d.tmp`,
      `.c10_rmse.svg.${dead}.00aa00aa00aa.tmp`,
    ];
    for (const f of stale) await Deno.writeTextFile(join(dir, f), "x".repeat(1000));
    await Deno.mkdir(join(dir, `model.partial-${dead}`));
    const live = `.c10.json.${Deno.pid}.0123456789ab.tmp`;
    await Deno.writeTextFile(join(dir, live), "x");
    await startExperiment("C10", ["--profile", "smoke", "--out", out]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [live]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("claims checking one --out folder at once (reproduce's workers share a pid) do not trip over each other's probe", async () => {
  const out = await Deno.makeTempDir({ prefix: "hg-probe-" });
  try {
    await Promise.all(Array.from({ length: 16 }, () => checkOutWritable(out)));
    assert.deepEqual([...Deno.readDirSync(out)], []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a write killed after its commit journal is completed by the next sweep; before it, nothing appears", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hg-journal-" });
  try {
    await writeFilesTogether(dir, [{ name: "c2.svg", data: "old" }, { name: "c2.json", data: "old" }]);
    const dead = await deadPid();
    // Killed after the journal: temps and journal there, renames not done.
    await Deno.writeTextFile(join(dir, `.c2.svg.${dead}.aaaaaaaaaaaa.tmp`), "new");
    await Deno.writeTextFile(join(dir, `.c2.json.${dead}.bbbbbbbbbbbb.tmp`), "new");
    await Deno.writeTextFile(
      join(dir, `.c2.svg.${dead}.cccccccccccc.commit.json`),
      JSON.stringify({
        renames: [[`.c2.svg.${dead}.aaaaaaaaaaaa.tmp`, "c2.svg"], [
          `.c2.json.${dead}.bbbbbbbbbbbb.tmp`,
          "c2.json",
        ]],
      }),
    );
    // Killed before its journal: only a temp file, which is dropped.
    await Deno.writeTextFile(join(dir, `.c2.svg.${dead}.dddddddddddd.tmp`), "newer");
    await sweepStale(dir);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["c2.json", "c2.svg"]);
    assert.equal(await Deno.readTextFile(join(dir, "c2.svg")), "new");
    assert.equal(await Deno.readTextFile(join(dir, "c2.json")), "new");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
