import assert from "node:assert/strict";
import { join } from "node:path";
import { formatResult, readResult, sha256File, writeFileAtomic, writeResult } from "../../lib/results/io.ts";
import { ResultValidationError } from "../../lib/results/schema.ts";
import { goodResult, tempDir } from "./_fixture.ts";

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("writeFileAtomic creates folders, writes exactly, leaves no temporary file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, "a", "b", "out.txt");
    await writeFileAtomic(path, "héllo\n");
    assert.deepEqual(await Deno.readFile(path), new TextEncoder().encode("héllo\n"));
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await listing(join(dir, "a", "b")), ["out.txt"]);
  } finally {
    await cleanup();
  }
});

Deno.test("writeFileAtomic: a failed write names the file, removes its temp file, keeps the target", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // The target is a non-empty folder, so the final rename fails after the temp file was written.
    const path = join(dir, "target");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep"), "x");
    await assert.rejects(() => writeFileAtomic(path, "data"), (e: Error) => e.message.includes(path));
    assert.deepEqual(await listing(dir), ["target"]);
    assert.equal(await Deno.readTextFile(join(path, "keep")), "x");
  } finally {
    await cleanup();
  }
});

Deno.test("a temp file left by a crash does not corrupt the target, and later writes succeed", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, "c10.json");
    const r = goodResult();
    const hash = await writeResult(path, r);
    // What a crash between write and rename leaves: a half-written temporary beside the target.
    const stale = join(dir, ".c10.json.4242.0a0b0c0d0e0f.tmp");
    await Deno.writeTextFile(stale, formatResult(r).slice(0, 100));
    assert.deepEqual(await readResult(path), r);
    assert.equal(await sha256File(path), hash);
    r.metrics.maxAbsDiff = 2e-12;
    await writeResult(path, r);
    assert.equal((await readResult(path)).metrics.maxAbsDiff, 2e-12);
    assert.deepEqual(await listing(dir), [".c10.json.4242.0a0b0c0d0e0f.tmp", "c10.json"]);
  } finally {
    await cleanup();
  }
});

Deno.test("a writer killed mid-way leaves the target whole (old or new, never a mix)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, "big.txt");
    const size = 8 << 20;
    await Deno.writeTextFile(path, "A".repeat(size));
    const script = join(dir, "writer.ts");
    const io = new URL("../../lib/results/io.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(io)};\n` +
        `const s = ${size};\nconsole.log("go");\n` +
        `for (let i = 0; ; i++) await writeFileAtomic(${
          JSON.stringify(path)
        }, (i % 2 ? "A" : "B").repeat(s));\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read", "--allow-write", script],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // the writer has started its loop
    await new Promise((res) => setTimeout(res, 300));
    child.kill("SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel();
    await child.status;
    const text = await Deno.readTextFile(path);
    assert.equal(text.length, size);
    assert.ok(/^(A+|B+)$/.test(text), "target holds a mix of two versions");
  } finally {
    await cleanup();
  }
});

Deno.test("writeResult refuses an invalid result and writes nothing", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const r = goodResult();
    r.verdict.criterion = "";
    await assert.rejects(() => writeResult(join(dir, "bad.json"), r), ResultValidationError);
    assert.deepEqual(await listing(dir), []);
  } finally {
    await cleanup();
  }
});

Deno.test("formatResult: 2-space indent, trailing newline, schema order, sorted free-form keys, round trip", () => {
  const r = goodResult();
  const text = formatResult(r);
  assert.ok(text.endsWith("}\n") && !text.endsWith("\n\n"));
  assert.deepEqual(JSON.parse(text), r);
  assert.match(text, /^\{\n {2}"schemaVersion": 1,\n {2}"id": "C10\/ci\/mnist",\n/);
  // config keys sorted, whatever the insertion order.
  assert.ok(text.indexOf('"dim"') < text.indexOf('"n"') && text.indexOf('"n"') < text.indexOf('"sigmas"'));
  const top = Object.keys(JSON.parse(text));
  assert.deepEqual(top.slice(0, 3), ["schemaVersion", "id", "claim"]);
  assert.equal(top.at(-1), "volatile");
  // The same result built in another key order is stored as the same bytes.
  const shuffled = Object.fromEntries(Object.entries(goodResult()).reverse()) as typeof r;
  shuffled.config = { dim: 784, sigmas: [80, 0.002], n: 1000 };
  assert.equal(formatResult(shuffled), text);
});

Deno.test("formatResult packs long numeric arrays within 110 columns and keeps every value", () => {
  const r = goodResult();
  r.metrics.eigenvalues = Array.from({ length: 300 }, (_, i) => 1 / (i + 1));
  r.metrics.grid = [[1, 2], [3, 4]];
  const text = formatResult(r);
  for (const line of text.split("\n")) assert.ok(line.length <= 110, `line too long: ${line}`);
  assert.ok(text.split("\n").length < 200, "numbers should share lines (300 values)");
  assert.deepEqual(JSON.parse(text).metrics.eigenvalues, r.metrics.eigenvalues);
  assert.match(text, /"grid": \[\n\s+\[1, 2\],\n\s+\[3, 4\]\n\s+\]/);
});

Deno.test("readResult names the file on missing, non-JSON and invalid input", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assert.rejects(() => readResult(join(dir, "none.json")), /cannot read .*none\.json/);
    await Deno.writeTextFile(join(dir, "broken.json"), '{"schemaVersion": 1,');
    await assert.rejects(() => readResult(join(dir, "broken.json")), /broken\.json is not valid JSON/);
    const r = goodResult() as unknown as Record<string, unknown>;
    delete r.verdict;
    await Deno.writeTextFile(join(dir, "invalid.json"), JSON.stringify(r));
    await assert.rejects(() => readResult(join(dir, "invalid.json")), /invalid\.json: .*verdict: missing/s);
  } finally {
    await cleanup();
  }
});

Deno.test("sha256File matches sha256sum", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, "f");
    await Deno.writeTextFile(path, "abc");
    assert.equal(await sha256File(path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  } finally {
    await cleanup();
  }
});
