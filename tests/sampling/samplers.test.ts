import assert from "node:assert/strict";
import { eulerSampler, heunSampler, initialLatents, integrateODE } from "../../lib/sampling/samplers.ts";
import { edmSchedule } from "../../lib/sampling/schedule.ts";
import { batch, type Denoiser, rows } from "../../lib/types.ts";
import { G3, maxAbsDiff, refDenoiser, refTrajectory } from "./_gaussian_ref.ts";

const DG = refDenoiser(G3);

Deno.test("samplers: batches of 3 and of 7 give exactly the same samples", async () => {
  // A non-linear row-wise denoiser, so that any mixing of rows would show.
  const nonlinear: Denoiser = (x, s) => {
    const g = DG(x, s) as ReturnType<typeof batch>;
    return batch(x.n, x.d, g.data.map((v) => Math.tanh(v)));
  };
  const spec = { seed: 11, count: 10, d: 3 };
  const schedule = edmSchedule(12);
  for (const sampler of [eulerSampler, heunSampler]) {
    const a = await sampler(nonlinear, spec, { schedule, batchSize: 3 });
    const b = await sampler(nonlinear, spec, { schedule, batchSize: 7 });
    const c = await sampler(nonlinear, spec, { schedule });
    assert.deepEqual(a.data, b.data);
    assert.deepEqual(a.data, c.data);
  }
  // A sample does not depend on which call draws it: samples 6..9 alone equal rows 6..9.
  const all = await heunSampler(nonlinear, spec, { schedule, batchSize: 4 });
  const tail = await heunSampler(nonlinear, { seed: 11, count: 4, d: 3, start: 6 }, { schedule });
  assert.deepEqual(tail.data, rows(all, 6, 10).data);
});

Deno.test("heunSampler on D_G of a 3-D Gaussian converges to the closed-form PF-ODE solution at 2nd order", async () => {
  const eps = initialLatents({ seed: 5, count: 16, d: 3 });
  const xT = batch(eps.n, eps.d, eps.data.map((v) => 80 * v));
  // Ending at σ_min (no final zero): compare with the closed form at σ_min.
  const exact = refTrajectory(G3, xT, 80, 0.002);
  const err = async (sampler: typeof heunSampler, n: number) =>
    maxAbsDiff(
      (await sampler(DG, eps, { schedule: edmSchedule(n, { appendZero: false }) })).data,
      exact.data,
    );
  const h128 = await err(heunSampler, 128);
  const h256 = await err(heunSampler, 256);
  assert.ok(h256 < 1e-3, `Heun error at 256 steps ${h256}`);
  const rH = h128 / h256;
  assert.ok(rH > 3.5 && rH < 4.5, `halving the step should divide Heun's error by ~4, got ${rH}`);
  // Euler converges at first order: halving the step halves the error.
  const e128 = await err(eulerSampler, 128);
  const rE = e128 / (await err(eulerSampler, 256));
  assert.ok(rE > 1.8 && rE < 2.2, `Euler ratio ${rE}`);
  assert.ok(h128 < e128 / 10);
  // With the EDM final Euler step to σ = 0: compare with the closed form at 0.
  const heun0 = await heunSampler(DG, eps, { schedule: edmSchedule(256) });
  const exact0 = refTrajectory(G3, xT, 80, 0);
  assert.ok(
    maxAbsDiff(heun0.data, exact0.data) < 1e-3,
    `Heun→0 error ${maxAbsDiff(heun0.data, exact0.data)}`,
  );
});

Deno.test("samplers: x_T = σ_0·ε from a latent batch, equal to the seeded spec; progress reported", async () => {
  const spec = { seed: 3, count: 5, d: 3 };
  const eps = initialLatents(spec);
  const schedule = edmSchedule(4);
  const calls: number[] = [];
  const a = await eulerSampler(DG, spec, { schedule, batchSize: 2, onProgress: (p) => calls.push(p.step) });
  const b = await eulerSampler(DG, eps, { schedule });
  assert.deepEqual(a.data, b.data);
  assert.deepEqual(calls, [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]); // 3 chunks × 4 steps
  // One Euler step from σ_0 straight to 0 returns D(x_T; σ_0).
  const oneStep = await eulerSampler(DG, eps, { schedule: [80, 0] });
  const xT = batch(eps.n, eps.d, eps.data.map((v) => 80 * v));
  assert.ok(maxAbsDiff(oneStep.data, (DG(xT, 80) as ReturnType<typeof batch>).data) < 1e-12);
});

Deno.test("integrateODE: does not modify its input; rejects bad schedules and bad denoisers", async () => {
  const x = batch(2, 3, new Float64Array([1, 2, 3, 4, 5, 6]));
  const copy = Float64Array.from(x.data);
  await integrateODE(DG, x, [2, 1, 0]);
  assert.deepEqual(x.data, copy);
  await assert.rejects(() => integrateODE(DG, x, [1, 2]), /decreasing/);
  const bad: Denoiser = (y) => batch(y.n, 2);
  await assert.rejects(() => integrateODE(bad, x, [1, 0]), /denoiser returned/);
  await assert.rejects(() => heunSampler(DG, { seed: 1, count: 1, d: 3 }, { batchSize: 0 }), /batchSize/);
});
