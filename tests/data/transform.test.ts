import assert from "node:assert/strict";
import type { ImageSet } from "../../lib/types.ts";
import { Rng } from "../../lib/rng.ts";
import {
  areaWeights,
  disjointHalves,
  firstN,
  heldOut,
  resizeArea,
  seededSubset,
  sourceIndices,
} from "../../lib/data/transform.ts";

function randomSet(n: number, h: number, w: number, c: number, seed = 1): ImageSet {
  const rng = new Rng(seed);
  const d = h * w * c;
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.uniform() - 1;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { name: "toy/train", n, d, data, height: h, width: w, channels: c, labels };
}

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

Deno.test("areaWeights: hand-computed box overlaps for 2→3 (upsampling) and 3→2", () => {
  // 2→3: outputs cover [0, 2/3), [2/3, 4/3), [4/3, 2) of the source.
  const up = areaWeights(2, 3);
  assert.deepEqual(Array.from(up.offsets), [0, 1, 3, 4]);
  assert.deepEqual(Array.from(up.index), [0, 0, 1, 1]);
  assert.deepEqual(Array.from(up.weight), [1, 0.5, 0.5, 1]);
  // 3→2: outputs cover [0, 1.5) and [1.5, 3).
  const down = areaWeights(3, 2);
  assert.deepEqual(Array.from(down.index), [0, 1, 1, 2]);
  const expected = [2 / 3, 1 / 3, 1 / 3, 2 / 3];
  down.weight.forEach((w, i) => assert.ok(Math.abs(w - expected[i]) < 1e-15));
  assert.throws(() => areaWeights(0, 3), RangeError);
});

Deno.test("resizeArea: preserves each image's mean (1e-12) for 28→14, 7, 16, 8, 32 and non-square, grey and RGB", () => {
  for (const c of [1, 3]) {
    const set = randomSet(4, 28, 28, c, 10 + c);
    for (const size of [14, 7, 16, 8, 32, 28, { height: 10, width: 20 }]) {
      const out = resizeArea(set, size);
      const s = typeof size === "number" ? { height: size, width: size } : size;
      assert.deepEqual([out.n, out.height, out.width, out.channels, out.d], [
        4,
        s.height,
        s.width,
        c,
        s.height * s.width * c,
      ]);
      for (let i = 0; i < set.n; i++) {
        const a = mean(set.data.subarray(i * set.d, (i + 1) * set.d));
        const b = mean(out.data.subarray(i * out.d, (i + 1) * out.d));
        assert.ok(Math.abs(a - b) < 1e-12, `c=${c} size=${JSON.stringify(size)} image ${i}: ${a} vs ${b}`);
      }
      assert.deepEqual(out.labels, set.labels);
    }
  }
});

Deno.test("resizeArea: 28→14 equals 2×2 block averages, 28→7 4×4 block averages, 28→28 is the identity", () => {
  const set = randomSet(3, 28, 28, 3, 5);
  for (const f of [2, 4]) {
    const out = resizeArea(set, 28 / f);
    const S = 28 / f;
    for (let i = 0; i < set.n; i++) {
      for (let Y = 0; Y < S; Y++) {
        for (let X = 0; X < S; X++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let dy = 0; dy < f; dy++) {
              for (let dx = 0; dx < f; dx++) {
                s += set.data[i * set.d + ((Y * f + dy) * 28 + X * f + dx) * 3 + c];
              }
            }
            const got = out.data[i * out.d + (Y * S + X) * 3 + c];
            assert.ok(Math.abs(got - s / (f * f)) < 1e-15, `f=${f} (${Y},${X},${c})`);
          }
        }
      }
    }
  }
  assert.deepEqual(resizeArea(set, 28).data, set.data);
});

Deno.test("resizeArea: fractional 28→16 matches a direct 2-D area integral", () => {
  const set = randomSet(1, 28, 28, 1, 8);
  const out = resizeArea(set, 16);
  const s = 28 / 16;
  const overlap = (a0: number, a1: number, b0: number, b1: number) =>
    Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
  for (let Y = 0; Y < 16; Y++) {
    for (let X = 0; X < 16; X++) {
      let acc = 0;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          acc += overlap(Y * s, (Y + 1) * s, y, y + 1) * overlap(X * s, (X + 1) * s, x, x + 1) *
            set.data[y * 28 + x];
        }
      }
      assert.ok(Math.abs(out.data[Y * 16 + X] - acc / (s * s)) < 1e-13);
    }
  }
});

Deno.test("seededSubset: deterministic in the seed, different across seeds, distinct, nested, rows match indices", () => {
  const set = randomSet(500, 4, 4, 1);
  const a = seededSubset(set, 50, 7);
  const b = seededSubset(set, 50, 7);
  const c = seededSubset(set, 50, 8);
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.indices, c.indices);
  assert.equal(new Set(a.indices).size, 50);
  for (let k = 0; k < a.n; k++) {
    const i = a.indices![k];
    assert.deepEqual(a.data.subarray(k * 16, (k + 1) * 16), set.data.subarray(i * 16, (i + 1) * 16));
    assert.equal(a.labels![k], set.labels![i]);
  }
  // Nested: a smaller subset with the same seed is a prefix.
  assert.deepEqual(seededSubset(set, 20, 7).indices, a.indices!.subarray(0, 20));
  // Subsets of subsets record indices into the original set.
  const aa = seededSubset(a, 10, 3);
  for (let k = 0; k < aa.n; k++) {
    const i = aa.indices![k];
    assert.ok(a.indices!.includes(i));
    assert.deepEqual(aa.data.subarray(k * 16, (k + 1) * 16), set.data.subarray(i * 16, (i + 1) * 16));
  }
  assert.throws(() => seededSubset(set, 501, 1), /cannot take 501 images from toy\/train, which has 500/);
});

Deno.test("firstN copies the first rows and records 0…n−1", () => {
  const set = randomSet(10, 2, 2, 1);
  const f = firstN(set, 3);
  assert.deepEqual(Array.from(f.indices!), [0, 1, 2]);
  assert.deepEqual(f.data, set.data.subarray(0, 12));
  f.data[0] = 99;
  assert.notEqual(set.data[0], 99);
});

Deno.test("disjointHalves: two disjoint sets of nEach, deterministic; heldOut avoids the training subset", () => {
  const set = randomSet(300, 2, 2, 1);
  const [A, B] = disjointHalves(set, 120, 42);
  assert.equal(A.n, 120);
  assert.equal(B.n, 120);
  const inA = new Set(A.indices);
  assert.equal(inA.size, 120);
  assert.ok(Array.from(B.indices!).every((i) => !inA.has(i)));
  assert.deepEqual(disjointHalves(set, 120, 42)[1].indices, B.indices);
  assert.notDeepEqual(disjointHalves(set, 120, 43)[0].indices, A.indices);
  assert.throws(() => disjointHalves(set, 151, 1), RangeError);

  const train = seededSubset(set, 200, 1);
  const probe = heldOut(set, 100, train, 2);
  const inTrain = new Set(train.indices);
  assert.equal(probe.n, 100);
  assert.ok(Array.from(probe.indices!).every((i) => !inTrain.has(i)));
  assert.equal(new Set(probe.indices).size, 100);
  assert.deepEqual(heldOut(set, 100, train, 2).indices, probe.indices);
  assert.throws(() => heldOut(set, 101, train, 2), /only 100 are not excluded/);
  // Excluding by index list; and from a resized pool (same source name) still compares source indices.
  const small = resizeArea(firstN(set, 10), 1);
  const p2 = heldOut(small, 7, [0, 1, 2], 5);
  assert.ok(Array.from(p2.indices!).every((i) => i >= 3 && i < 10));
  assert.deepEqual(sourceIndices(small), Int32Array.from({ length: 10 }, (_, i) => i));
  assert.throws(() => heldOut(set, 1, { ...train, name: "other/train" }, 1), /comes from other\/train/);
});
