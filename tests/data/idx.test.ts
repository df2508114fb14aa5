import assert from "node:assert/strict";
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, idxValues, parseIdx, readIdxFile } from "../../lib/data/idx.ts";

/** IDX bytes written by hand: 0, 0, type, ndims, big-endian uint32 dims, then the payload. */
function idxBytes(type: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((v, i) => {
    out[4 + 4 * i] = (v >>> 24) & 255;
    out[5 + 4 * i] = (v >>> 16) & 255;
    out[6 + 4 * i] = (v >>> 8) & 255;
    out[7 + 4 * i] = v & 255;
  });
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

Deno.test("IDX: images file written to disk round-trips (dims, values, magic 2051)", async () => {
  const dims = [3, 5, 4];
  const pixels = Uint8Array.from({ length: 60 }, (_, i) => (i * 37) % 256);
  const dir = await Deno.makeTempDir();
  const path = `${dir}/tiny-images-idx3-ubyte`;
  await Deno.writeFile(path, idxBytes(0x08, dims, pixels));
  const idx = await readIdxFile(path, IDX_MAGIC_IMAGES);
  assert.equal(idx.magic, 2051);
  assert.equal(idx.type, "ubyte");
  assert.deepEqual(idx.dims, dims);
  assert.deepEqual(Array.from(idx.data), Array.from(pixels));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("IDX: dims are big-endian (a label count of 70000 = 0x00011170)", () => {
  const labels = new Uint8Array(70000).fill(7);
  const bytes = idxBytes(0x08, [70000], labels);
  assert.deepEqual(Array.from(bytes.subarray(4, 8)), [0x00, 0x01, 0x11, 0x70]);
  const idx = parseIdx(bytes, "labels", IDX_MAGIC_LABELS);
  assert.deepEqual(idx.dims, [70000]);
  assert.equal(idx.data[69999], 7);
});

Deno.test("IDX: general type byte — big-endian int16 and float64 decode", () => {
  // int16 values 258 (0x0102) and -2 (0xfffe).
  const shorts = parseIdx(idxBytes(0x0b, [2], Uint8Array.of(0x01, 0x02, 0xff, 0xfe)), "shorts");
  assert.equal(shorts.type, "short");
  assert.deepEqual(Array.from(idxValues(shorts)), [258, -2]);
  // float64 1.5 is 0x3FF8000000000000.
  const dbl = parseIdx(idxBytes(0x0e, [1], Uint8Array.of(0x3f, 0xf8, 0, 0, 0, 0, 0, 0)), "doubles");
  assert.deepEqual(Array.from(idxValues(dbl)), [1.5]);
  const sbyte = parseIdx(idxBytes(0x09, [1], Uint8Array.of(0xff)), "sbytes");
  assert.deepEqual(Array.from(idxValues(sbyte)), [-1]);
});

Deno.test("IDX: truncated file error names the file and the sizes", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/train-images-idx3-ubyte`;
  // Header claims 60000×28×28 but only 1000 data bytes follow.
  await Deno.writeFile(path, idxBytes(0x08, [60000, 28, 28], new Uint8Array(1000)));
  await assert.rejects(
    () => readIdxFile(path, IDX_MAGIC_IMAGES),
    (e: Error) => {
      assert.equal(
        e.message,
        `${path}: truncated: header says 60000×28×28 = 47040000 bytes of data, file has 1000`,
      );
      return true;
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("IDX: wrong magic, extra bytes, short header and missing file are errors naming the file", async () => {
  const name = "/data/t10k-labels-idx1-ubyte";
  // A labels file where images are expected.
  assert.throws(
    () => parseIdx(idxBytes(0x08, [2], new Uint8Array(2)), name, IDX_MAGIC_IMAGES),
    (e: Error) => {
      assert.ok(e.message.startsWith(`${name}: wrong magic number 2049`), e.message);
      assert.match(e.message, /expected 2051/);
      return true;
    },
  );
  // Nonzero first bytes (a gzip header).
  assert.throws(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0), name), /wrong magic number .*gzip/);
  // Unknown type byte 0x07.
  assert.throws(() => parseIdx(idxBytes(0x07, [1], new Uint8Array(1)), name), /unknown IDX type byte 0x7/);
  // More data than the header says.
  assert.throws(
    () => parseIdx(idxBytes(0x08, [4], new Uint8Array(6)), name),
    new RegExp(`^Error: ${name}: size mismatch: header says 4 = 4 bytes of data, file has 6 \\(2 extra\\)`),
  );
  // Header shorter than its dims.
  assert.throws(
    () => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0), name),
    /truncated: header of 3 dims needs 16 bytes/,
  );
  assert.throws(() => parseIdx(Uint8Array.of(0, 0), name), new RegExp(`^Error: ${name}: truncated`));
  await assert.rejects(
    () => readIdxFile("/nonexistent/x-idx1-ubyte"),
    /^Error: \/nonexistent\/x-idx1-ubyte: cannot read/,
  );
});
