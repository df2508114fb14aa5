import assert from "node:assert/strict";
import { assertSchedule, edmSchedule, PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";

Deno.test("edmSchedule(10) reproduces the paper's printed 10-level grid to its printed precision", () => {
  const s = edmSchedule(10);
  assert.equal(s.length, 11);
  assert.equal(s[10], 0);
  for (let i = 0; i < 10; i++) {
    const printed = PAPER_SIGMAS[i];
    // Half a unit of the last printed digit: decimals in the printed string.
    const decimals = (String(printed).split(".")[1] ?? "").length;
    const halfUlp = 0.5 * 10 ** -decimals;
    assert.ok(Math.abs(s[i] - printed) <= halfUlp + 1e-12, `level ${i}: ${s[i]} vs printed ${printed}`);
  }
});

Deno.test("edmSchedule: endpoints, monotone, and ρ = 1 is a linear grid", () => {
  const s = edmSchedule(18);
  assert.ok(Math.abs(s[0] - 80) < 1e-12);
  assert.ok(Math.abs(s[17] - 0.002) < 1e-12);
  assert.equal(s[18], 0);
  assertSchedule(s);
  const lin = edmSchedule(5, { sigmaMax: 4, sigmaMin: 1, rho: 1, appendZero: false });
  assert.deepEqual(Array.from(lin), [4, 3.25, 2.5, 1.75, 1]);
});

Deno.test("edmSchedule and assertSchedule reject bad input", () => {
  assert.throws(() => edmSchedule(0), /n must be/);
  assert.throws(() => edmSchedule(5, { sigmaMin: 100 }), /sigmaMin/);
  assert.throws(() => assertSchedule([1, 2]), /decreasing/);
  assert.throws(() => assertSchedule([1]), /at least 2/);
  assert.throws(() => assertSchedule([1, -0.5]), /level 1/);
});
