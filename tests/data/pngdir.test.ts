import assert from "node:assert/strict";
import { encode } from "fast-png";
import { loadPngDir } from "../../lib/data/pngdir.ts";

async function tempDir(files: Record<string, Parameters<typeof encode>[0]>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [name, img] of Object.entries(files)) await Deno.writeFile(`${dir}/${name}`, encode(img));
  return dir;
}

const rgba = (w: number, h: number, f: (i: number) => number) =>
  ({
    width: w,
    height: h,
    channels: 4,
    depth: 8,
    data: Uint8Array.from({ length: w * h * 4 }, (_, i) => f(i)),
  }) as const;

Deno.test("PNG dir: RGBA and RGB files read in name order, alpha dropped, scaled to [-1, 1]", async () => {
  const a = rgba(3, 2, (i) => (i * 13) % 256);
  const b = {
    width: 3,
    height: 2,
    channels: 3,
    depth: 8,
    data: Uint8Array.from({ length: 18 }, (_, i) => 255 - i),
  } as const;
  // Names chosen so that code-unit order (B < a < c) differs from case-insensitive order; notes.txt is ignored.
  const dir = await tempDir({ "c.png": b, "B.png": a, "a.PNG": b });
  await Deno.writeTextFile(`${dir}/notes.txt`, "not an image");
  const set = await loadPngDir(dir, { name: "mine" });
  assert.deepEqual([set.name, set.n, set.height, set.width, set.channels, set.d], ["mine", 3, 2, 3, 3, 18]);
  // Row 0 is B.png (RGBA): pixel p channel c is a.data[4p + c].
  for (let p = 0; p < 6; p++) {
    for (let c = 0; c < 3; c++) assert.equal(set.data[3 * p + c], a.data[4 * p + c] / 127.5 - 1);
  }
  // Rows 1 and 2 are a.PNG and c.png (RGB).
  for (const r of [1, 2]) {
    for (let i = 0; i < 18; i++) assert.equal(set.data[r * 18 + i], b.data[i] / 127.5 - 1);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PNG dir: 16-bit grey scales by 65535, grey can be read as RGB", async () => {
  const g16 = {
    width: 2,
    height: 2,
    channels: 1,
    depth: 16,
    data: Uint16Array.of(0, 65535, 32768, 1000),
  } as const;
  const dir = await tempDir({ "0.png": g16 });
  const grey = await loadPngDir(dir);
  assert.deepEqual([grey.channels, grey.d], [1, 4]);
  assert.deepEqual(Array.from(grey.data), Array.from(g16.data, (v) => v / 32767.5 - 1));
  assert.equal(grey.data[0], -1);
  assert.equal(grey.data[1], 1);
  const rgb = await loadPngDir(dir, { channels: 3 });
  assert.equal(rgb.channels, 3);
  assert.deepEqual(Array.from(rgb.data.subarray(3, 6)), [1, 1, 1]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PNG dir: palette images decode through their palette", async () => {
  const palette = [[255, 0, 0], [0, 0, 255]];
  const idx = { width: 2, height: 1, channels: 1, depth: 8, data: Uint8Array.of(1, 0), palette } as const;
  const dir = await tempDir({ "p.png": idx });
  const set = await loadPngDir(dir);
  assert.equal(set.channels, 3);
  assert.deepEqual(Array.from(set.data), [-1, -1, 1, 1, -1, -1]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PNG dir: a size mismatch names the file unless a size is requested (then area-resized)", async () => {
  const big = {
    width: 4,
    height: 4,
    channels: 1,
    depth: 8,
    data: Uint8Array.from({ length: 16 }, (_, i) => i * 10),
  } as const;
  const small = { width: 2, height: 2, channels: 1, depth: 8, data: Uint8Array.of(0, 50, 100, 150) } as const;
  const dir = await tempDir({ "a.png": small, "b.png": big });
  await assert.rejects(() => loadPngDir(dir), (e: Error) => {
    assert.ok(e.message.startsWith(`${dir}/b.png: is 4×4`), e.message);
    assert.match(e.message, /a\.png is 2×2/);
    return true;
  });
  const set = await loadPngDir(dir, { size: 2 });
  // b.png's 2×2 block averages: top-left block holds 0, 10, 40, 50 → mean 25.
  const blocks = [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]];
  blocks.forEach((blk, k) => {
    const mean = blk.reduce((s, i) => s + (i * 10) / 127.5 - 1, 0) / 4;
    assert.ok(Math.abs(set.data[4 + k] - mean) < 1e-14, `block ${k}`);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("PNG dir: channel mismatch, broken files and empty folders are errors naming the culprit", async () => {
  const grey = { width: 1, height: 1, channels: 1, depth: 8, data: Uint8Array.of(9) } as const;
  const rgb = { width: 1, height: 1, channels: 3, depth: 8, data: Uint8Array.of(1, 2, 3) } as const;
  const dir = await tempDir({ "1.png": rgb, "2.png": grey });
  assert.equal((await loadPngDir(dir, { channels: 3 })).n, 2);
  await assert.rejects(() => loadPngDir(dir), new RegExp(`^Error: ${dir}/2\\.png: has 1 colour channel`));
  await Deno.writeFile(`${dir}/3.png`, new TextEncoder().encode("not a png"));
  await assert.rejects(
    () => loadPngDir(dir, { channels: 3 }),
    new RegExp(`^Error: ${dir}/3\\.png: cannot decode PNG`),
  );
  // limit reads only the first files in name order, so the broken one is not reached.
  assert.equal((await loadPngDir(dir, { channels: 3, limit: 2 })).n, 2);
  const empty = await Deno.makeTempDir();
  await assert.rejects(() => loadPngDir(empty), new RegExp(`^Error: ${empty}: no \\.png files`));
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(empty, { recursive: true });
});
