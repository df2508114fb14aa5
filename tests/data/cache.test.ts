import assert from "node:assert/strict";
import { cachedBytes, sha256Hex } from "../../lib/data/cache.ts";

async function subtleHex(bytes: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("sha256Hex agrees with WebCrypto and the FIPS 180-2 test vector for 'abc'", async () => {
  const abc = new TextEncoder().encode("abc");
  assert.equal(sha256Hex(abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const blob = Uint8Array.from({ length: 100000 }, (_, i) => (i * 7919) & 255);
  assert.equal(sha256Hex(blob), await subtleHex(blob));
});

Deno.test("cachedBytes: built, then hit; rebuilt when a source changes or the cache is damaged", async () => {
  const dir = await Deno.makeTempDir();
  const src = [`${dir}/a.json`, `${dir}/b.json`];
  await Deno.writeTextFile(src[0], "[1,2,3]");
  await Deno.writeTextFile(src[1], "[4]");
  let builds = 0;
  const opts = {
    path: `${dir}/cache/derived.bin`,
    sources: src,
    build: (bytes: Uint8Array[]) => {
      builds++;
      const nums = bytes.flatMap((b) => JSON.parse(new TextDecoder().decode(b)) as number[]);
      return { payload: Uint8Array.from(nums), meta: { count: nums.length } };
    },
  };
  const first = await cachedBytes(opts);
  assert.equal(first.status, "built");
  assert.deepEqual(Array.from(first.payload), [1, 2, 3, 4]);
  assert.equal(first.sources[0].sha256, await subtleHex(await Deno.readFile(src[0])));

  const second = await cachedBytes(opts);
  assert.equal(second.status, "hit");
  assert.equal(builds, 1);
  assert.deepEqual(Array.from(second.payload), [1, 2, 3, 4]);
  assert.deepEqual(second.meta, { count: 4 });
  // The file starts with the magic and records the source hashes.
  const file = await Deno.readFile(opts.path);
  assert.equal(new TextDecoder().decode(file.subarray(0, 8)), "HGCACHE1");
  assert.ok(new TextDecoder().decode(file).includes(first.sources[1].sha256));

  // A changed source rebuilds.
  await Deno.writeTextFile(src[1], "[5]");
  const third = await cachedBytes(opts);
  assert.equal(third.status, "rebuilt");
  assert.match(third.reason!, /source hash/);
  assert.deepEqual(Array.from(third.payload), [1, 2, 3, 5]);
  assert.equal((await cachedBytes(opts)).status, "hit");

  // A flipped payload byte rebuilds (payload hash), so does a truncated or foreign file.
  const damaged = await Deno.readFile(opts.path);
  damaged[damaged.length - 1] ^= 1;
  await Deno.writeFile(opts.path, damaged);
  const fourth = await cachedBytes(opts);
  assert.equal(fourth.status, "rebuilt");
  assert.match(fourth.reason!, /payload hash/);
  assert.deepEqual(Array.from(fourth.payload), [1, 2, 3, 5]);
  await Deno.writeFile(opts.path, damaged.subarray(0, 10));
  assert.equal((await cachedBytes(opts)).status, "rebuilt");
  await Deno.writeTextFile(opts.path, "hello, not a cache");
  assert.equal((await cachedBytes(opts)).status, "rebuilt");
  assert.equal(builds, 5);

  // No temporary files are left behind.
  const names = [];
  for await (const e of Deno.readDir(`${dir}/cache`)) names.push(e.name);
  assert.deepEqual(names, ["derived.bin"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cachedBytes: a missing source is an error naming it", async () => {
  await assert.rejects(
    () =>
      cachedBytes({
        path: "/tmp/never.bin",
        sources: ["/nonexistent/0.json"],
        build: () => ({ payload: new Uint8Array() }),
      }),
    /^Error: \/nonexistent\/0\.json: cannot read/,
  );
});
