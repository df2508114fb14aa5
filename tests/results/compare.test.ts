import assert from "node:assert/strict";
import { AssertionError } from "node:assert";
import { join } from "node:path";
import {
  assertMatchesSnapshot,
  type ComparePolicy,
  compareResults,
  formatComparison,
} from "../../lib/results/compare.ts";
import { formatResult, readResult, writeResult } from "../../lib/results/io.ts";
import { goodResult, tempDir } from "./_fixture.ts";

const POLICY: ComparePolicy = { rtol: 1e-3, atol: 0 };
const failures = (rows: ReturnType<typeof compareResults>) => rows.filter((r) => !r.ok);

Deno.test("identical results compare clean; every metric leaf gets a row", () => {
  const rows = compareResults(goodResult(), goodResult(), POLICY);
  assert.deepEqual(failures(rows), []);
  const paths = rows.map((r) => r.path);
  for (
    const p of [
      "metrics.rmse[0]",
      "metrics.rmse[3]",
      'metrics.nmse["80"]',
      "metrics.maxAbsDiff",
      "verdict.holds",
    ]
  ) {
    assert.ok(paths.includes(p), `no row for ${p}`);
  }
});

Deno.test("a number beyond rtol fails, one within passes (|now − frozen| ≤ atol + rtol·|frozen|)", () => {
  const now = goodResult();
  (now.metrics.rmse as number[])[3] = 0.04 * (1 + 0.9e-3); // within 1e-3 relative
  assert.deepEqual(failures(compareResults(goodResult(), now, POLICY)), []);
  (now.metrics.rmse as number[])[3] = 0.04 * (1 + 1.1e-3); // beyond
  const bad = failures(compareResults(goodResult(), now, POLICY));
  assert.equal(bad.length, 1);
  assert.equal(bad[0].path, "metrics.rmse[3]");
  assert.equal(bad[0].frozen, 0.04);
  assert.ok(Math.abs(bad[0].diff! - 0.04 * 1.1e-3) < 1e-15);
  assert.ok(Math.abs(bad[0].tol! - 0.04e-3) < 1e-15);
});

Deno.test("atol covers values near zero where rtol cannot", () => {
  const now = goodResult();
  now.metrics.maxAbsDiff = 3e-12;
  assert.equal(failures(compareResults(goodResult(), now, POLICY)).length, 1);
  assert.deepEqual(failures(compareResults(goodResult(), now, { rtol: 1e-3, atol: 1e-11 })), []);
});

Deno.test("per-path overrides: prefix match on whole segments, wildcards, most specific wins", () => {
  const now = goodResult();
  (now.metrics.rmse as number[])[1] = 0.021; // 5 % off
  now.metrics.maxAbsDiff = 1.6e-12; // ~7 % off
  const loose: ComparePolicy = { rtol: 1e-3, atol: 0, paths: { "metrics.rmse": { rtol: 0.1, atol: 0 } } };
  assert.deepEqual(failures(compareResults(goodResult(), now, loose)).map((r) => r.path), [
    "metrics.maxAbsDiff",
  ]);
  // "metrics.rmse" must not cover "metrics.rmseLow".
  const f = goodResult(), n = goodResult();
  f.metrics.rmseLow = 1;
  n.metrics.rmseLow = 1.05;
  assert.deepEqual(failures(compareResults(f, n, loose)).map((r) => r.path), ["metrics.rmseLow"]);
  // A more specific exact rule beats the broader loose one; [*] matches any index.
  const mixed: ComparePolicy = {
    rtol: 1e-3,
    atol: 0,
    paths: {
      "metrics.rmse": { rtol: 0.1, atol: 0 },
      "metrics.rmse[1]": "exact",
      "metrics.*": { rtol: 0.2, atol: 0 },
    },
  };
  assert.deepEqual(failures(compareResults(goodResult(), now, mixed)).map((r) => r.path), [
    "metrics.rmse[1]",
  ]);
  const wild: ComparePolicy = { rtol: 0, atol: 0, paths: { "metrics.rmse[*]": { rtol: 0.1, atol: 0 } } };
  assert.deepEqual(failures(compareResults(goodResult(), now, wild)).map((r) => r.path), [
    "metrics.maxAbsDiff",
  ]);
  // Quoted keys in patterns.
  const q = goodResult();
  (q.metrics.nmse as Record<string, number>)["80"] = 0.15;
  const quoted: ComparePolicy = { rtol: 0, atol: 0, paths: { 'metrics.nmse["80"]': { rtol: 0, atol: 0.1 } } };
  assert.deepEqual(failures(compareResults(goodResult(), q, quoted)), []);
});

Deno.test("only metrics take tolerances: numbers elsewhere (config, seeds, paper.values) are exact", () => {
  const now = goodResult();
  now.seeds.data = 7.000001;
  (now.paper.values as Record<string, number>).maxAbsDiff = 1e-300;
  const bad = failures(compareResults(goodResult(), now, { rtol: 1, atol: 1 }));
  assert.deepEqual(bad.map((r) => r.path), ["seeds.data", "paper.values.maxAbsDiff"]);
  assert.ok(bad.every((r) => r.tol === 0));
  assert.throws(
    () =>
      compareResults(goodResult(), now, { rtol: 0, atol: 0, paths: { "config.n": { rtol: 1, atol: 0 } } }),
    /outside the sections compared with tolerance \(metrics\)/,
  );
});

Deno.test("a bad policy is refused", () => {
  assert.throws(() => compareResults(goodResult(), goodResult(), { rtol: -1, atol: 0 }), /rtol/);
  assert.throws(
    () => compareResults(goodResult(), goodResult(), { rtol: 0, atol: 0, paths: { "metrics..x": "exact" } }),
    /cannot parse path "metrics\.\.x"/,
  );
});

Deno.test("missing and extra keys, array lengths and types fail", () => {
  const now = goodResult();
  delete now.metrics.maxAbsDiff;
  now.metrics.added = 1;
  (now.metrics.rmse as number[]).push(0.05);
  (now.metrics.nmse as Record<string, unknown>)["0.002"] = 0.3; // null → number
  const bad = failures(compareResults(goodResult(), now, POLICY));
  const byPath = Object.fromEntries(bad.map((r) => [r.path, r.reason]));
  assert.equal(byPath["metrics.maxAbsDiff"], "missing in now");
  assert.equal(byPath["metrics.added"], "extra in now");
  assert.equal(byPath["metrics.rmse"], "length 4 ≠ 5");
  assert.equal(byPath["metrics.rmse[4]"], "extra in now");
  assert.equal(byPath['metrics.nmse["0.002"]'], "type null ≠ number");
  assert.equal(bad.length, 5);
});

Deno.test("volatile is never compared; provenance and artifactVersion differences are shown but pass", () => {
  const now = goodResult();
  now.volatile = { createdAt: "2031-01-01T00:00:00.000Z", wallSeconds: 999, hostname: "elsewhere" };
  now.provenance.gitCommit = "f".repeat(40);
  now.provenance.backend = "wasm";
  now.artifactVersion = "0.2.0";
  const rows = compareResults(goodResult(), now, POLICY);
  assert.deepEqual(failures(rows), []);
  assert.ok(!rows.some((r) => r.path.startsWith("volatile")));
  const info = rows.filter((r) => r.info && r.reason).map((r) => r.path).sort();
  assert.deepEqual(info, ["artifactVersion", "provenance.backend", "provenance.gitCommit"]);
  assert.match(formatComparison(rows), /3 informational difference/);
});

Deno.test("verdict mismatch fails, and strings are exact", () => {
  const now = goodResult();
  now.verdict.holds = "partial";
  let bad = failures(compareResults(goodResult(), now, { rtol: 1, atol: 1 }));
  assert.deepEqual(bad.map((r) => r.path), ["verdict.holds"]);
  const n2 = goodResult();
  n2.notes = ["MNIST instead of FFHQ."];
  bad = failures(compareResults(goodResult(), n2, POLICY));
  assert.deepEqual(bad.map((r) => r.path), ["notes[0]"]);
});

Deno.test("formatComparison prints a side-by-side table with failures marked", () => {
  const now = goodResult();
  (now.metrics.rmse as number[])[3] = 0.05;
  const rows = compareResults(goodResult(), now, POLICY);
  const all = formatComparison(rows);
  const lines = all.split("\n");
  assert.match(lines[0], /^path\s+frozen\s+now\s+\|diff\|\s+tol\s+status$/);
  const failLine = lines.find((l) => l.startsWith("metrics.rmse[3]"))!;
  assert.match(failLine, /0\.04\s+0\.05\s+1\.00e-2\s+4\.00e-5\s+FAIL \(beyond tolerance\)/);
  assert.match(lines.at(-1)!, new RegExp(`^${rows.length} compared: 1 failed$`));
  const onlyF = formatComparison(rows, { only: "failures" }).split("\n");
  assert.equal(onlyF.length, 4); // header, rule, one row, summary
  // Long strings that differ late are shown around their first difference.
  const n2 = goodResult();
  n2.verdict.summary = "max difference 1.5e-12 over all ten noise levels, well below 1e-6; claim holds";
  const f2 = goodResult();
  f2.verdict.summary = "max difference 1.5e-12 over all ten noise levels, well below 1e-5; claim holds";
  const line = formatComparison(compareResults(f2, n2, POLICY), { only: "failures" }).split("\n")[2];
  assert.match(line, /below 1e-5.*below 1e-6/);
});

Deno.test("assertMatchesSnapshot: missing file throws; update creates; match keeps bytes; drift throws then updates", async () => {
  const { dir, cleanup } = await tempDir();
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  try {
    const path = join(dir, "v1", "C10.json");
    await assert.rejects(
      () => assertMatchesSnapshot(goodResult(), path, POLICY, { update: false }),
      (e: Error) => e instanceof AssertionError && /no frozen result/.test(e.message),
    );
    await assertMatchesSnapshot(goodResult(), path, POLICY, { update: true, log });
    assert.match(logs.pop()!, /created/);
    assert.deepEqual(await readResult(path), goodResult());

    // Within tolerance and with different volatile fields: passes, and even with update the bytes stay.
    const close = goodResult();
    (close.metrics.rmse as number[])[0] = 0.01 * (1 + 1e-4);
    close.volatile.createdAt = "2030-01-01T00:00:00.000Z";
    const before = await Deno.readTextFile(path);
    await assertMatchesSnapshot(close, path, POLICY, { update: true, log });
    assert.equal(await Deno.readTextFile(path), before);
    assert.deepEqual(logs, []);

    // Beyond tolerance: fails listing the row, without update.
    const drift = goodResult();
    (drift.metrics.rmse as number[])[2] = 0.031;
    await assert.rejects(
      () => assertMatchesSnapshot(drift, path, POLICY, { update: false }),
      (e: Error) =>
        e instanceof AssertionError &&
        /C10\.json.*1 place.*metrics\.rmse\[2\]\s+0\.03\s+0\.031/s.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), before);
    // With update: rewritten atomically, change logged, and now it matches.
    await assertMatchesSnapshot(drift, path, POLICY, { update: true, log });
    assert.match(logs.pop()!, /updated, 1 change.*metrics\.rmse\[2\]/s);
    assert.equal(await Deno.readTextFile(path), formatResult(drift));
    await assertMatchesSnapshot(drift, path, POLICY, { update: false });
    const names: string[] = [];
    for await (const e of Deno.readDir(join(dir, "v1"))) names.push(e.name);
    assert.deepEqual(names, ["C10.json"]);
  } finally {
    await cleanup();
  }
});

Deno.test("assertMatchesSnapshot reads UPDATE_SNAPSHOTS when update is not given", async () => {
  const { dir, cleanup } = await tempDir();
  const old = Deno.env.get("UPDATE_SNAPSHOTS");
  try {
    const path = join(dir, "C10.json");
    await writeResult(path, goodResult());
    const drift = goodResult();
    drift.verdict.holds = false;
    Deno.env.delete("UPDATE_SNAPSHOTS");
    await assert.rejects(() => assertMatchesSnapshot(drift, path, POLICY), AssertionError);
    Deno.env.set("UPDATE_SNAPSHOTS", "1");
    await assertMatchesSnapshot(drift, path, POLICY, { log: () => {} });
    assert.equal((await readResult(path)).verdict.holds, false);
  } finally {
    if (old === undefined) Deno.env.delete("UPDATE_SNAPSHOTS");
    else Deno.env.set("UPDATE_SNAPSHOTS", old);
    await cleanup();
  }
});
