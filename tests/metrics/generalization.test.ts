import assert from "node:assert/strict";
import { generalizationScore } from "../../lib/metrics/generalization.ts";
import { batch } from "../../lib/types.ts";
import { noiseRows, Rng } from "../../lib/rng.ts";

const d = 10;
const train = batch(300, d, noiseRows(1, 0, 300, d));

Deno.test("generalization score of the training set itself is 0, each image its own neighbour", () => {
  const r = generalizationScore(train, train);
  assert.equal(r.score, 0);
  for (let i = 0; i < train.n; i++) assert.equal(r.nearest[i], i);
});

Deno.test("GL: nearest neighbours match a naive search; small perturbations keep their source", () => {
  const rng = new Rng(9);
  const q = 37;
  const src = Int32Array.from({ length: q }, () => rng.int(train.n));
  const query = new Float64Array(q * d);
  for (let i = 0; i < q; i++) {
    for (let k = 0; k < d; k++) query[i * d + k] = train.data[src[i] * d + k] + 0.01 * rng.normal();
  }
  const qb = batch(q, d, query);
  let want = 0;
  for (const chunk of [7, 64, 4096]) {
    const g = generalizationScore(qb, train, { chunk });
    want = 0;
    for (let i = 0; i < q; i++) {
      let best = Infinity;
      let arg = -1;
      for (let j = 0; j < train.n; j++) {
        let t = 0;
        for (let k = 0; k < d; k++) t += (query[i * d + k] - train.data[j * d + k]) ** 2;
        if (t < best) [best, arg] = [t, j];
      }
      assert.equal(g.nearest[i], arg);
      assert.equal(g.nearest[i], src[i]);
      // GL is the mean of ‖x − NN(x)‖/‖x‖.
      const rel = Math.sqrt(best) / Math.hypot(...query.subarray(i * d, i * d + d));
      assert.ok(Math.abs(g.perSample[i] - rel) < 1e-14);
      want += rel / q;
    }
    assert.ok(Math.abs(g.score - want) < 1e-14);
  }
  assert.ok(want > 0 && want < 0.05);
});

Deno.test("generalization score rejects mismatched or degenerate input", () => {
  assert.throws(() => generalizationScore(batch(1, 3, new Float64Array([1, 2, 3])), train), /d = 3/);
  assert.throws(() => generalizationScore(batch(1, d), train), /all zeros/);
  assert.throws(() => generalizationScore(train, batch(0, d)));
});
