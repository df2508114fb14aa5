import assert from "node:assert/strict";
import { CIFAR10_RECORD_BYTES, loadCifar10, parseCifar10 } from "../../lib/data/cifar10.ts";

/** The test's own pixel rule: value of channel c at row y, column x of record r. */
const value = (r: number, c: number, y: number, x: number) => (r * 11 + c * 97 + y * 7 + x * 3) % 256;

/** A CIFAR-10 binary batch written per the format: label byte, then R, G, B planes of 32×32, row-major. */
function batchBytes(labels: number[], first = 0): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  labels.forEach((label, i) => {
    const o = i * 3073;
    out[o] = label;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) out[o + 1 + c * 1024 + y * 32 + x] = value(first + i, c, y, x);
      }
    }
  });
  return out;
}

Deno.test("CIFAR-10: records written by the test decode to HWC in [-1, 1] with labels", async () => {
  assert.equal(CIFAR10_RECORD_BYTES, 3073);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/data_batch_1.bin`, batchBytes([3, 9, 0]));
  await Deno.writeFile(`${dir}/data_batch_2.bin`, batchBytes([6], 3));
  const set = await loadCifar10([`${dir}/data_batch_1.bin`, `${dir}/data_batch_2.bin`], "cifar10/mine");
  assert.equal(set.name, "cifar10/mine");
  assert.deepEqual([set.n, set.height, set.width, set.channels, set.d], [4, 32, 32, 3, 3072]);
  assert.deepEqual(Array.from(set.labels!), [3, 9, 0, 6]);
  for (let r = 0; r < 4; r++) {
    for (const [y, x] of [[0, 0], [0, 31], [17, 5], [31, 31]]) {
      for (let c = 0; c < 3; c++) {
        assert.equal(set.data[r * 3072 + (y * 32 + x) * 3 + c], value(r, c, y, x) / 127.5 - 1);
      }
    }
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of set.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  assert.ok(lo >= -1 && hi <= 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-10: bad lengths, bad labels and empty files are errors naming the file", () => {
  const good = batchBytes([1, 2]);
  assert.throws(
    () => parseCifar10(good.subarray(0, 3073 + 5), "x/data_batch_3.bin"),
    /^Error: x\/data_batch_3\.bin: length 3078 is not a multiple of 3073 .*1 whole records and 5 bytes left over/,
  );
  const badLabel = good.slice();
  badLabel[3073] = 12;
  assert.throws(() => parseCifar10(badLabel, "y.bin"), /^Error: y\.bin: record 1 has label 12, expected 0–9/);
  assert.throws(() => parseCifar10(new Uint8Array(0), "z.bin"), /^Error: z\.bin: empty file/);
});
