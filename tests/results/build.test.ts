import assert from "node:assert/strict";
import { buildResult } from "../../lib/results/build.ts";
import { ResultValidationError } from "../../lib/results/schema.ts";
import { FIXTURE_CONFIG_HASH, goodResult } from "./_fixture.ts";

Deno.test("buildResult fills id, configHash, artifactVersion and volatile, and validates", () => {
  const g = goodResult();
  const startedAt = Date.now() - 2500;
  const r = buildResult({
    claim: "C10",
    title: g.title,
    profile: "ci",
    dataset: "mnist",
    config: { n: 1000, sigmas: [80, 0.002], dim: 784 },
    seeds: g.seeds,
    metrics: g.metrics,
    paper: g.paper,
    verdict: g.verdict,
  }, { provenance: g.provenance, startedAt, hostname: "box", artifactVersion: "0.1.0" });
  assert.equal(r.id, "C10/ci/mnist");
  assert.equal(r.configHash, FIXTURE_CONFIG_HASH);
  assert.equal(r.artifactVersion, "0.1.0");
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.figures, []);
  assert.ok(r.volatile.wallSeconds >= 2.5 && r.volatile.wallSeconds < 60, `${r.volatile.wallSeconds}`);
  assert.ok(Math.abs(Date.parse(r.volatile.createdAt) - Date.now()) < 60_000);
  assert.equal(r.volatile.hostname, "box");
});

Deno.test("buildResult refuses an invalid input, naming the result", () => {
  const g = goodResult();
  assert.throws(
    () =>
      buildResult({
        claim: "C2",
        title: "t",
        profile: "ci",
        dataset: "mnist",
        config: {},
        seeds: {},
        metrics: { rmse: [NaN] },
        paper: g.paper,
        verdict: g.verdict,
      }, { provenance: g.provenance, startedAt: Date.now() }),
    (e: Error) =>
      e instanceof ResultValidationError &&
      /buildResult\(C2\/ci\/mnist\).*metrics\.rmse\[0\]/s.test(e.message),
  );
});
