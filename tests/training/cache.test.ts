import assert from "node:assert/strict";
import { cacheKey, getOrTrain, isLockStale, MODEL_CODE_VERSION, specJson } from "../../lib/training/cache.ts";

Deno.test("specJson / cacheKey: key order does not matter, every value does, bad values are named", () => {
  assert.equal(specJson({ b: [1, { d: 2, c: "x" }], a: true }), '{"a":true,"b":[1,{"c":"x","d":2}]}');
  assert.equal(specJson({ i: new Int32Array([3, 1]) }), '{"i":[3,1]}');
  assert.equal(cacheKey({ x: 1, y: { p: 2, q: 3 } }), cacheKey({ y: { q: 3, p: 2 }, x: 1 }));
  assert.notEqual(cacheKey({ x: 1 }), cacheKey({ x: 1.0000001 }));
  assert.notEqual(cacheKey({ x: [1, 2] }), cacheKey({ x: [2, 1] }));
  assert.match(cacheKey({}), /^[0-9a-f]{64}$/);
  assert.throws(() => specJson({ a: { b: Number.NaN } }), /spec\.a\.b is NaN/);
  assert.throws(() => specJson({ f: () => 1 }), /spec\.f is a function/);
  assert.equal(typeof MODEL_CODE_VERSION, "number");
});

Deno.test("getOrTrain: miss trains once, hit loads, retrain replaces, a failed run leaves no entry or lock", async () => {
  const root = await Deno.makeTempDir();
  try {
    let calls = 0;
    const fn = async (dir: string) => {
      calls++;
      await Deno.writeTextFile(`${dir}/w.txt`, `run ${calls}`);
    };
    const a = await getOrTrain({ m: 1 }, fn, { root });
    assert.equal(a.trained, true);
    assert.equal(a.dir, `${root}/${cacheKey({ m: 1 })}`);
    assert.equal(await Deno.readTextFile(`${a.dir}/w.txt`), "run 1");
    const key = JSON.parse(await Deno.readTextFile(`${a.dir}/key.json`));
    assert.deepEqual(key.spec, { m: 1 });
    const b = await getOrTrain({ m: 1 }, fn, { root });
    assert.deepEqual([b.trained, b.dir, calls], [false, a.dir, 1]);
    const c = await getOrTrain({ m: 1 }, fn, { root, retrain: true });
    assert.deepEqual([c.trained, calls], [true, 2]);
    assert.equal(await Deno.readTextFile(`${a.dir}/w.txt`), "run 2");
    await assert.rejects(getOrTrain({ m: 2 }, () => Promise.reject(new Error("boom")), { root }), /boom/);
    const names = [...Deno.readDirSync(root)].map((e) => e.name);
    assert.ok(!names.some((n) => n.endsWith(".lock")), names.join(" "));
    assert.ok(!names.includes(cacheKey({ m: 2 })));
    // The failed run's work directory is kept for a resume; the next call trains.
    const d = await getOrTrain({ m: 2 }, fn, { root });
    assert.equal(d.trained, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getOrTrain: two concurrent callers in one process, only one trains", async () => {
  const root = await Deno.makeTempDir();
  try {
    let calls = 0;
    const fn = async (dir: string) => {
      calls++;
      await new Promise((r) => setTimeout(r, 200));
      await Deno.writeTextFile(`${dir}/w.txt`, "x");
    };
    const [a, b] = await Promise.all([
      getOrTrain({ m: 1 }, fn, { root, pollMs: 20 }),
      getOrTrain({ m: 1 }, fn, { root, pollMs: 20 }),
    ]);
    assert.equal(calls, 1);
    assert.equal(a.dir, b.dir);
    assert.deepEqual([a.trained, b.trained].sort(), [false, true]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getOrTrain: two processes at once, only one trains and both get the entry", async () => {
  const root = await Deno.makeTempDir();
  try {
    const log = `${root}/log.txt`;
    const worker = new URL("./_cache_worker.ts", import.meta.url).pathname;
    const spawn = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-check", worker, root, log, "1500"],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const outs = await Promise.all([spawn(), spawn()]);
    const entries = outs.map((o) => {
      assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
      return JSON.parse(new TextDecoder().decode(o.stdout).trim().split("\n").at(-1)!);
    });
    assert.equal((await Deno.readTextFile(log)).trim().split("\n").length, 1);
    assert.deepEqual(entries.map((e) => e.trained).sort(), [false, true]);
    assert.equal(entries[0].dir, entries[1].dir);
    assert.match(await Deno.readTextFile(`${entries[0].dir}/weights.txt`), /^by \d+$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("getOrTrain: a stale lock (dead process; or, unverifiable, untouched too long) is taken over", async () => {
  const root = await Deno.makeTempDir();
  try {
    const lock = `${root}/${cacheKey({ m: 3 })}.lock`;
    // A process id that does not exist (above Linux's pid_max limit of 2^22).
    const host = (() => {
      try {
        return Deno.hostname();
      } catch {
        return "unknown";
      }
    })();
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 2 ** 22 + 17, host, started: "x" }));
    if (Deno.build.os === "linux") assert.equal(await isLockStale(lock, 60_000), true);
    // Our own live pid on this host is never stale, even when the lock is old.
    await Deno.writeTextFile(lock, JSON.stringify({ pid: Deno.pid, host, started: "x" }));
    const old = new Date(Date.now() - 120_000);
    await Deno.utime(lock, old, old);
    if (Deno.build.os === "linux") assert.equal(await isLockStale(lock, 60_000), false);
    // A lock from another host (its pid cannot be checked) is judged by its age.
    await Deno.writeTextFile(lock, JSON.stringify({ pid: Deno.pid, host: `not-${host}`, started: "x" }));
    assert.equal(await isLockStale(lock, 60_000), false);
    await Deno.utime(lock, old, old);
    assert.equal(await isLockStale(lock, 60_000), true);
    // An empty lock (being written) likewise.
    await Deno.writeTextFile(lock, "");
    assert.equal(await isLockStale(lock, 60_000), false);
    await Deno.utime(lock, old, old);
    assert.equal(await isLockStale(lock, 60_000), true);
    const e = await getOrTrain({ m: 3 }, async (dir) => await Deno.writeTextFile(`${dir}/w`, "1"), {
      root,
      staleMs: 60_000,
      pollMs: 10,
    });
    assert.equal(e.trained, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
