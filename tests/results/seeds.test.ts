import assert from "node:assert/strict";
import { claimMetricsOf, meanTree, sdTree, seedMetrics } from "../../lib/results/seeds.ts";
import { combineVerdicts, verdictCell, verdictWord } from "../../lib/results/verdict.ts";

Deno.test("seed metrics: elementwise mean, sample sd, min and max over trees of one shape", () => {
  const m = seedMetrics([{ a: [1, 2], b: { c: 3 } }, { a: [3, 4], b: { c: 5 } }, { a: [5, 6], b: { c: 7 } }]);
  assert.deepEqual(m.mean, { a: [3, 4], b: { c: 5 } });
  assert.deepEqual(m.sd, { a: [2, 2], b: { c: 2 } });
  assert.deepEqual(m.min, { a: [1, 2], b: { c: 3 } });
  assert.deepEqual(m.max, { a: [5, 6], b: { c: 7 } });
  assert.equal(m.perSeed.length, 3);
});

Deno.test("a leaf that is null in any seed is null; one seed has no sd", () => {
  assert.deepEqual(meanTree([{ x: 1 }, { x: null }]), { x: null });
  assert.deepEqual(sdTree([{ x: 1 }]), { x: null });
});

Deno.test("trees of different shapes are an error naming the place", () => {
  assert.throws(() => meanTree([{ a: [1, 2] }, { a: [1] }]), /at a: arrays of unequal length/);
  assert.throws(() => meanTree([{ a: 1 }, { b: 1 }]), /differ in shape at a/);
});

Deno.test("verdicts over seeds: the common verdict, else inconclusive", () => {
  assert.equal(combineVerdicts([true, true, true]), true);
  assert.equal(combineVerdicts([false, false]), false);
  assert.equal(combineVerdicts(["partial", "partial"]), "partial");
  assert.equal(combineVerdicts([true, "partial", true]), "inconclusive");
  assert.equal(combineVerdicts([true, false]), "inconclusive");
  assert.throws(() => combineVerdicts([]), /no verdicts/);
  assert.equal(verdictWord(false), "does not hold");
  assert.equal(verdictCell("inconclusive"), "inconclusive");
});

Deno.test("claim metrics: a seeded result's seed mean, a plain one's own, another claim's an error", () => {
  type M = { ratio: number; ns: number[] };
  const seeded = {
    claim: "C9",
    id: "C9/ci/mnist",
    metrics: seedMetrics([{ ratio: 0.2, ns: [4] }, { ratio: 0.4, ns: [4] }]),
  };
  const m = claimMetricsOf<M>(seeded, "C9");
  assert.ok(Math.abs(m.ratio - 0.3) < 1e-12);
  assert.deepEqual(m.ns, [4]);
  const plain = { claim: "C10", metrics: { ratio: 0.5, ns: [1, 2] } };
  assert.deepEqual(claimMetricsOf<M>(plain, "C10"), { ratio: 0.5, ns: [1, 2] });
  assert.throws(() => claimMetricsOf<M>(seeded, "C8"), /C9\/ci\/mnist is a C9 result, not C8/);
  assert.throws(() => claimMetricsOf<M>(plain, "C8"), /is a C10 result, not C8/);
});
