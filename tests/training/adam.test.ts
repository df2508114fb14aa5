import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { adamStep } from "../../lib/training/adam.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "./_backend.ts";

Deno.test("adamStep: follows tf.train.adam (an independent implementation) over 20 steps", async () => {
  await testBackend();
  const rng = new Rng(1);
  const init = Float32Array.from(rng.normals(12));
  const ours = tf.variable(tf.tensor2d(init, [3, 4]), true, "adamtest/ours");
  const ref = tf.variable(tf.tensor2d(init, [3, 4]), true, "adamtest/ref");
  const m = tf.variable(tf.zeros([3, 4]), false);
  const v = tf.variable(tf.zeros([3, 4]), false);
  const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
  const before = tf.memory().numTensors;
  for (let t = 1; t <= 20; t++) {
    const g = Float32Array.from(rng.normals(12), (x) => x * t);
    tf.tidy(() => {
      adamStep([ours], [tf.tensor2d(g, [3, 4])], [m], [v], t, 0.01);
      opt.applyGradients([{ name: ref.name, tensor: tf.tensor2d(g, [3, 4]) }]);
    });
    if (t === 1) continue;
    assert.equal(tf.memory().numTensors, before + 2 /* tf.train.adam's own moments */);
  }
  const a = ours.dataSync();
  const b = ref.dataSync();
  for (let i = 0; i < 12; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${a[i]} vs ${b[i]}`);
  // The parameters did move (about lr per step).
  assert.ok(Math.abs(a[0] - init[0]) > 0.01);
  opt.dispose();
  tf.dispose([ours, ref, m, v]);
});
