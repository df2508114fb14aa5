import assert from "node:assert/strict";
import { gaussianTeleportSampler } from "../../lib/sampling/hybrid.ts";
import { heunSampler, initialLatents, integrateODE } from "../../lib/sampling/samplers.ts";
import { edmSchedule } from "../../lib/sampling/schedule.ts";
import { fitGaussian, gaussianDenoiser, gaussianTrajectory } from "../../lib/denoisers/gaussian.ts";
import { batch } from "../../lib/types.ts";
import { noiseRows } from "../../lib/rng.ts";
import { G3, maxAbsDiff, refDenoiser, refTrajectory } from "./_gaussian_ref.ts";

const DG = refDenoiser(G3);
const traj = (x: ReturnType<typeof batch>, a: number, b: number) => refTrajectory(G3, x, a, b);

Deno.test("teleport: skipFraction 0 is plain Heun; 1 is the closed form all the way", async () => {
  const spec = { seed: 9, count: 6, d: 3 };
  const schedule = edmSchedule(18);
  const plain = await heunSampler(DG, spec, { schedule });
  const r0 = await gaussianTeleportSampler(DG, spec, { schedule, trajectory: traj, skipFraction: 0 });
  assert.equal(r0.landedAt, 0);
  assert.deepEqual(r0.samples.data, plain.data);
  const eps = initialLatents(spec);
  const xT = batch(eps.n, eps.d, eps.data.map((v) => 80 * v));
  const r1 = await gaussianTeleportSampler(DG, spec, { schedule, trajectory: traj, skipFraction: 1 });
  assert.equal(r1.landedAt, 18);
  assert.equal(r1.sigmaLanded, 0);
  assert.ok(maxAbsDiff(r1.samples.data, refTrajectory(G3, xT, 80, 0).data) < 1e-12);
});

Deno.test("teleport on D_G lands where Heun would, then finishes like Heun (20% of 18 steps → level 4)", async () => {
  const spec = { seed: 2, count: 8, d: 3 };
  const schedule = edmSchedule(18);
  const r = await gaussianTeleportSampler(DG, spec, { schedule, trajectory: traj, skipFraction: 0.2 });
  assert.equal(r.landedAt, 4);
  assert.equal(r.sigmaLanded, schedule[4]);
  const eps = initialLatents(spec);
  const xT = batch(eps.n, eps.d, eps.data.map((v) => 80 * v));
  const exact = refTrajectory(G3, xT, 80, 0);
  const plain = await heunSampler(DG, spec, { schedule });
  // The jump is exact on D_G, so the hybrid is at least as close to the exact end point as plain Heun.
  const eT = maxAbsDiff(r.samples.data, exact.data);
  const eP = maxAbsDiff(plain.data, exact.data);
  assert.ok(eT <= eP + 1e-9, `teleport ${eT} vs plain ${eP}`);
  // And it equals Heun started from the exact state at σ_4 over the remaining 14 steps.
  const x4 = refTrajectory(G3, xT, 80, schedule[4]);
  const rest = await integrateODE(DG, x4, Array.from(schedule).slice(4));
  assert.deepEqual(r.samples.data, rest.data);
});

Deno.test("teleport with the library's fitted Gaussian (gaussian.ts) agrees with its own closed form", async () => {
  const d = 4;
  const train = batch(400, d, noiseRows(7, 0, 400, d).map((v, i) => v * (1 + (i % d)) * 0.3 + (i % d) * 0.1));
  const model = fitGaussian(train);
  const spec = { seed: 4, count: 5, d };
  const eps = initialLatents(spec);
  const exact = gaussianTrajectory(model, batch(eps.n, d, eps.data.map((v) => 80 * v)), 80, 0);
  const errors: number[] = [];
  for (const levels of [64, 128]) {
    const r = await gaussianTeleportSampler(gaussianDenoiser(model), spec, {
      schedule: edmSchedule(levels),
      trajectory: (x, a, b) => gaussianTrajectory(model, x, a, b),
      skipFraction: 0.3,
      method: "heun",
      batchSize: 2,
    });
    errors.push(maxAbsDiff(r.samples.data, exact.data));
  }
  // Heun is second order: doubling the levels cuts the error about 4×.
  assert.ok(errors[1] < errors[0] / 3, `errors at 64, 128 levels: ${errors}`);
  assert.ok(errors[1] < 5e-3, `error at 128 levels ${errors[1]}`);
});

Deno.test("teleport rejects a bad fraction or a missing trajectory", async () => {
  const spec = { seed: 1, count: 1, d: 3 };
  await assert.rejects(
    () => gaussianTeleportSampler(DG, spec, { trajectory: traj, skipFraction: 1.5 }),
    /skipFraction/,
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => gaussianTeleportSampler(DG, spec, { trajectory: undefined as any, skipFraction: 0.2 }),
    /trajectory/,
  );
});
