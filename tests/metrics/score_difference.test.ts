import assert from "node:assert/strict";
import {
  scoreDifference,
  scoreDifferenceFromOutputs,
  scoreDifferenceTo,
} from "../../lib/metrics/score_difference.ts";
import { noisyProbes } from "../../lib/metrics/probes.ts";
import { type Batch, batch, type Denoiser } from "../../lib/types.ts";
import { noiseRows } from "../../lib/rng.ts";

const d = 6;
const probes = batch(9, d, noiseRows(42, 0, 9, d).map((v) => Math.tanh(v)));
const shrink: Denoiser = (x, s) => batch(x.n, x.d, x.data.map((v) => v / (1 + s * s)));
const offset = Float64Array.from([0.1, -0.2, 0.3, 0, 0.05, -0.4]);
const shifted: Denoiser = (x, s) => {
  const y = shrink(x, s) as Batch;
  return batch(y.n, y.d, y.data.map((v, i) => v + offset[i % d]));
};

Deno.test("score difference of a denoiser with itself is 0", async () => {
  const r = await scoreDifference(shrink, shrink, probes, 1.5, { seed: 1 });
  assert.equal(r.rmse, 0);
  assert.equal(r.normalized, 0);
});

Deno.test("score difference of a known offset is the offset's RMSE, whatever the noise", async () => {
  const want = Math.sqrt(offset.reduce((s, v) => s + v * v, 0) / d);
  for (const sigma of [0, 0.5, 20]) {
    const r = await scoreDifference(shrink, shifted, probes, sigma, {
      seed: 3,
      perImage: true,
      batchSize: 4,
    });
    assert.ok(Math.abs(r.rmse - want) < 1e-12, `σ = ${sigma}: ${r.rmse} vs ${want}`);
    for (const v of r.perImage!.rmse) assert.ok(Math.abs(v - want) < 1e-12);
  }
  // Normalised: at σ = 0 the probes are clean, so D₁(y) = y and the ratio is ‖offset‖/‖y_i‖, averaged.
  const r0 = await scoreDifference(shrink, shifted, probes, 0, { seed: 3 });
  let sum = 0;
  for (let i = 0; i < probes.n; i++) {
    let n2 = 0;
    for (let k = 0; k < d; k++) n2 += probes.data[i * d + k] ** 2;
    sum += Math.sqrt(want * want * d) / Math.sqrt(n2);
  }
  assert.ok(Math.abs(r0.normalized - sum / probes.n) < 1e-12);
});

Deno.test("score difference is seeded: same seed same value, chunking irrelevant, different seed differs", async () => {
  const tanhD: Denoiser = (x) => batch(x.n, x.d, x.data.map(Math.tanh));
  const a = await scoreDifference(shrink, tanhD, probes, 1, { seed: 7 });
  const b = await scoreDifference(shrink, tanhD, probes, 1, { seed: 7, batchSize: 2 });
  const c = await scoreDifference(shrink, tanhD, probes, 1, { seed: 8 });
  assert.equal(a.rmse, b.rmse);
  assert.notEqual(a.rmse, c.rmse);
  // Probe noise is x = y + σε with ε the per-probe stream of the seed.
  const x = noisyProbes(probes, 2, 7);
  const eps = noiseRows(7, 0, probes.n, d);
  for (let i = 0; i < x.data.length; i++) {
    assert.ok(Math.abs(x.data[i] - (probes.data[i] + 2 * eps[i])) < 1e-15);
  }
});

Deno.test("scoreDifferenceFromOutputs checks shapes", () => {
  assert.throws(() => scoreDifferenceFromOutputs(batch(2, 3), batch(3, 3)), /shapes differ/);
  assert.throws(() => scoreDifferenceFromOutputs(batch(0, 3), batch(0, 3)), /no images/);
});

Deno.test("scoreDifferenceTo: eq. 10 on the same noisy probes for each denoiser, calling the reference once", async () => {
  const probes = batch(5, 3, Float64Array.from({ length: 15 }, (_, i) => Math.sin(i)));
  let calls = 0;
  const half = (x: Batch) => batch(x.n, x.d, x.data.map((v) => 0.5 * v + 0.1));
  const reference: Denoiser = (x) => {
    calls++;
    return half(x);
  };
  const opts = { seed: 42, perImage: true };
  const to = await scoreDifferenceTo(reference, probes, 0.7, opts);
  const x = noisyProbes(probes, 0.7, 42);
  for (const scale of [0.2, 0.9]) {
    const scaled = (b: Batch) => batch(b.n, b.d, b.data.map((v) => scale * v));
    assert.deepEqual(await to(scaled), scoreDifferenceFromOutputs(scaled(x), half(x), { perImage: true }));
    assert.deepEqual(await scoreDifference(scaled, reference, probes, 0.7, opts), await to(scaled));
  }
  assert.equal(calls, 1 + 2, "once for scoreDifferenceTo, once per scoreDifference call");
});
