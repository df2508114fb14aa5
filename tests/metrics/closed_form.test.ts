/** C11's comparison helpers: r² and its uncentred variant, the patch calibration, the per-σ rule, the seed spread, the labelled grid. */
import assert from "node:assert/strict";
import {
  calibrate,
  explainedVariance,
  meanAndSpread,
  nearestLevelRule,
  uncentredExplainedVariance,
} from "../../lib/metrics/closed_form.ts";
import { labelledGridSvg } from "../../lib/results/labelled_grid.ts";
import { batch } from "../../lib/types.ts";

const t = batch(3, 2, Float64Array.from([1, 0, 3, 2, 5, 4])); // column means 3 and 2

Deno.test("r²: 1 for a perfect estimate, 0 for the target's mean, worked by hand otherwise", () => {
  assert.equal(explainedVariance(t, t), 1);
  const mean = batch(3, 2, Float64Array.from([3, 2, 3, 2, 3, 2]));
  assert.equal(explainedVariance(t, mean), 0);
  // Residual 1 on one coordinate; total variance 2·(4 + 0 + 4) = 16 → r² = 1 − 1/16.
  const off = batch(3, 2, Float64Array.from([1, 0, 3, 2, 5, 5]));
  assert.equal(explainedVariance(t, off), 1 - 1 / 16);
  // Uncentred: Σ‖t‖² = 1 + 9 + 4 + 25 + 16 = 55.
  assert.equal(uncentredExplainedVariance(t, off), 1 - 1 / 55);
  assert.throws(() => explainedVariance(t, batch(2, 2)), /differ/);
});

Deno.test("calibration picks the candidate with the lowest squared error (first on ties)", () => {
  const near = batch(3, 2, t.data.map((v) => v + 0.1));
  const far = batch(3, 2, t.data.map((v) => v - 1));
  assert.equal(calibrate([far, near, far], t), 1);
  assert.equal(calibrate([near, near], t), 0);
  assert.throws(() => calibrate([], t), /no candidates/);
});

Deno.test("the per-σ rule takes the grid level nearest in log σ; mean and spread over seeds", () => {
  const rule = nearestLevelRule([80, 1.5, 0.002], [15, 7, 3]);
  assert.equal(rule(100), 15);
  assert.equal(rule(11), 15); // log-midpoint of 80 and 1.5 is ≈ 10.95
  assert.equal(rule(10.9), 7);
  assert.equal(rule(0), 3);
  assert.deepEqual(meanAndSpread([2]), { mean: 2, spread: 0 });
  assert.deepEqual(meanAndSpread([1, 3]), { mean: 2, spread: Math.SQRT2 });
});

Deno.test("the labelled grid is an SVG with one label per row and the images embedded", () => {
  const a = batch(2, 4, new Float64Array(8).fill(-1));
  const svg = labelledGridSvg([a, a], ["D_θ", "D<G>"], { height: 2, width: 2, channels: 1, title: "t" });
  assert.match(svg, /^<svg /);
  assert.match(svg, />D_θ<\/text>/);
  assert.match(svg, />D&lt;G&gt;<\/text>/);
  assert.match(svg, /data:image\/png;base64,iVBOR/);
  assert.throws(
    () => labelledGridSvg([a], ["x", "y"], { height: 2, width: 2, channels: 1, title: "t" }),
    /labels/,
  );
});
