import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { emaBeta, emaUpdate } from "../../lib/training/ema.ts";
import { testBackend } from "./_backend.ts";

Deno.test("emaBeta: the half-life is in images (β^(h/B) = ½) and ramps up as 0.05 × images seen", () => {
  const B = 64;
  const beta = emaBeta(B, 1e9, 500_000, 0.05);
  assert.ok(Math.abs(Math.pow(beta, 500_000 / B) - 0.5) < 1e-9);
  // Early: half-life = 0.05 × 6400 = 320 images = 5 steps.
  const early = emaBeta(B, 6400, 500_000, 0.05);
  assert.ok(Math.abs(Math.pow(early, 5) - 0.5) < 1e-12);
  assert.equal(emaBeta(B, 6400, 500_000, null), beta);
  assert.equal(emaBeta(B, 0, 500_000, 0.05), 0); // nothing seen: the EMA copies the weights
});

Deno.test("emaUpdate: θ_ema ← θ + β(θ_ema − θ), in place, no tensors left", async () => {
  await testBackend();
  const p = tf.variable(tf.tensor1d([1, 2, 3]));
  const e = tf.variable(tf.tensor1d([0, 0, 6]));
  const before = tf.memory().numTensors;
  emaUpdate([e], [p], 0.75);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(e.dataSync()), [0.25, 0.5, 5.25]);
  p.dispose();
  e.dispose();
});
