import assert from "node:assert/strict";
import { bytesToUnit, imageSetFromBytes, unitToBytes, wordsToUnit } from "../../lib/data/pixels.ts";

Deno.test("pixels: 0 ↦ −1, 255 ↦ 1, 8-bit round trip is exact; 16-bit ends map to ±1", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const u = bytesToUnit(all);
  assert.equal(u[0], -1);
  assert.equal(u[255], 1);
  assert.ok(Math.abs(u[128] - 0.5 / 127.5) < 1e-15); // 128 sits half a step above the midpoint 127.5
  assert.deepEqual(unitToBytes(u), all);
  assert.deepEqual(Array.from(unitToBytes([-3, 2, NaN])), [0, 255, 0]);
  assert.deepEqual(Array.from(wordsToUnit([0, 65535])), [-1, 1]);
});

Deno.test("imageSetFromBytes: checks lengths and labels", () => {
  const set = imageSetFromBytes({
    name: "t",
    n: 2,
    height: 1,
    width: 2,
    channels: 1,
    bytes: [0, 255, 255, 0],
  });
  assert.deepEqual(Array.from(set.data), [-1, 1, 1, -1]);
  assert.equal(set.d, 2);
  assert.throws(
    () => imageSetFromBytes({ name: "t", n: 2, height: 1, width: 2, channels: 1, bytes: [0, 1, 2] }),
    /imageSetFromBytes\(t\): 3 pixel values, expected 2×1×2×1 = 4/,
  );
  assert.throws(
    () =>
      imageSetFromBytes({
        name: "t",
        n: 1,
        height: 1,
        width: 1,
        channels: 1,
        bytes: [0],
        labels: Uint8Array.of(1, 2),
      }),
    /2 labels for 1 images/,
  );
});
