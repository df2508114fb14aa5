import assert from "node:assert/strict";
import { CheckpointError, readCheckpoint, writeCheckpoint } from "../../lib/training/checkpoint.ts";
import type { NamedArray } from "../../lib/denoisers/unet.ts";
import { Rng } from "../../lib/rng.ts";

function sample(): NamedArray[] {
  const rng = new Rng(4);
  const a = Float32Array.from(rng.normals(24));
  // Values that a lossy round trip would change: −0, subnormals, extremes, ±Inf, NaN.
  const b = new Float32Array([-0, 1.4e-45, 3.4028234e38, -Infinity, Infinity, NaN, 1 / 3]);
  return [
    { name: "params/a", shape: [2, 3, 4], data: a },
    { name: "ema/b", shape: [7], data: b },
    { name: "adam.m/c", shape: [1, 1], data: new Float32Array([0.1]) },
  ];
}

const bytes = (t: NamedArray) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

Deno.test("checkpoint: round-trips bit-exactly, with the documented manifest and no temp files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tensors = sample();
    const m = await writeCheckpoint(dir, {
      config: { net: { c: 4 } },
      step: 12,
      imagesSeen: 768,
      seed: 5,
      extra: { earlyLosses: [1.5, 0.1 + 0.2] },
      tensors,
    });
    const { manifest, tensors: back } = await readCheckpoint(dir);
    assert.deepEqual(manifest, m);
    assert.equal(manifest.format, "hidden-gaussian-checkpoint/1");
    assert.deepEqual(manifest.rng, { seed: 5, step: 12 });
    assert.deepEqual(manifest.extra, { earlyLosses: [1.5, 0.1 + 0.2] });
    assert.deepEqual(manifest.tensors.map((t) => [t.name, t.offset, t.length]), [
      ["params/a", 0, 24],
      ["ema/b", 96, 7],
      ["adam.m/c", 124, 1],
    ]);
    assert.equal(manifest.weightsBytes, 128);
    back.forEach((t, i) => {
      assert.equal(t.name, tensors[i].name);
      assert.deepEqual(t.shape, tensors[i].shape);
      assert.deepEqual(bytes(t), bytes(tensors[i]));
    });
    // Little-endian float32 on disk, independently of the host: byte 0 of 1/3 is 0xab.
    const raw = await Deno.readFile(`${dir}/weights.bin`);
    assert.deepEqual(Array.from(raw.subarray(120, 124)), [0xab, 0xaa, 0xaa, 0x3e]);
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(files, ["manifest.json", "weights.bin"]);
    // Overwriting in place works and leaves the new content.
    tensors[0].data[0] = 42;
    await writeCheckpoint(dir, { config: {}, step: 13, imagesSeen: 832, seed: 5, tensors });
    assert.equal((await readCheckpoint(dir)).tensors[0].data[0], 42);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: a truncated, altered or missing weights file and a bad manifest are named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeCheckpoint(dir, { config: {}, step: 1, imagesSeen: 1, seed: 1, tensors: sample() });
    const path = `${dir}/weights.bin`;
    const good = await Deno.readFile(path);

    await Deno.writeFile(path, good.subarray(0, good.length - 4));
    await assert.rejects(readCheckpoint(dir), (e) => {
      assert.ok(e instanceof CheckpointError);
      assert.equal(e.file, path);
      assert.match(e.message, /weights\.bin: size 124 bytes, the manifest says 128/);
      return true;
    });

    const altered = good.slice();
    altered[5] ^= 1;
    await Deno.writeFile(path, altered);
    await assert.rejects(readCheckpoint(dir), /weights\.bin: sha256 [0-9a-f]{64} does not match/);

    await Deno.remove(path);
    await assert.rejects(readCheckpoint(dir), /weights\.bin: cannot read/);

    await Deno.writeFile(path, good);
    await readCheckpoint(dir); // restored: fine again
    await Deno.writeTextFile(`${dir}/manifest.json`, '{"format": "something-else"}');
    await assert.rejects(readCheckpoint(dir), /manifest\.json: format is "something-else"/);
    await Deno.writeTextFile(`${dir}/manifest.json`, "{trunc");
    await assert.rejects(readCheckpoint(dir), /manifest\.json: not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
