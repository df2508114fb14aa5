import assert from "node:assert/strict";
import { meanTree, sdTree, seedMetrics } from "../../lib/results/seeds.ts";
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
