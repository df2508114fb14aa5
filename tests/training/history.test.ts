import assert from "node:assert/strict";
import { convergence, type HistoryPoint } from "../../lib/training/history.ts";

const point = (step: number, heldOutLoss: number): HistoryPoint => ({
  step,
  loss: 1,
  train: [],
  heldOut: [],
  heldOutLoss,
});

Deno.test("convergence: held-out loss changed < 1% over the last 20% of steps", () => {
  const flat = [100, 200, 300, 400, 500].map((s) => point(s, s < 400 ? 2 : 1.005 - s * 1e-5));
  const c = convergence(flat);
  assert.equal(c.from, 400);
  assert.equal(c.to, 500);
  assert.ok(c.converged, `change ${c.change}`);
  const rising = [100, 200, 300, 400, 500].map((s) => point(s, 0.5 + s / 1000));
  assert.equal(convergence(rising).converged, false);
  assert.ok(Math.abs(convergence(rising).change - 0.1) < 1e-12);
});

Deno.test("convergence: a history of fewer than two records has not converged", () => {
  assert.equal(convergence([]).converged, false);
  assert.equal(convergence([point(50, 1)]).converged, false);
});
