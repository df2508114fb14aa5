import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../lib/rng.ts";
import { TRAINING_GRADIENT_KERNELS } from "../../lib/training/gradients.ts";
import { initUNet, type UNetConfig, unetForward, upsampleNearest2 } from "../../lib/denoisers/unet.ts";
import { edmDenoiser } from "../../lib/denoisers/edm.ts";
import { edmLoss } from "../../lib/training/loss.ts";
import { testBackend } from "./_backend.ts";

const rng = new Rng(11);
const rand = (shape: number[], scale = 1) =>
  tf.tensor(Float32Array.from(rng.normals(shape.reduce((a, b) => a * b, 1)), (v) => v * scale), shape);

/**
 * Check ∇f against central finite differences along a random direction u:
 * (f(x+hu) − f(x−hu)) / 2h ≈ Σ ∇f·u, for each input (float32, so a loose tolerance).
 */
function checkGrad(
  name: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  h = 1e-2,
  tol = 2e-2,
) {
  const scalar = (...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), wOut.get(name)!)) as tf.Scalar;
  // A fixed random weighting of the output makes the test sensitive to every output element.
  if (!wOut.has(name)) wOut.set(name, tf.tidy(() => rand(f(...xs).shape)));
  const grads = tf.grads(scalar)(xs);
  xs.forEach((x, i) => {
    const u = rand(x.shape);
    const analytic = tf.sum(tf.mul(grads[i], u)).dataSync()[0];
    const shifted = (s: number) => {
      const a = xs.map((t, j) => (j === i ? tf.add(t, tf.mul(u, s)) : t));
      return scalar(...a).dataSync()[0];
    };
    const numeric = (shifted(h) - shifted(-h)) / (2 * h);
    const err = Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric), Math.abs(analytic));
    assert.ok(err < tol, `${name}, input ${i}: analytic ${analytic}, numeric ${numeric}`);
  });
}
const wOut = new Map<string, tf.Tensor>();

Deno.test("training gradients: every registered kernel's gradient matches finite differences", async () => {
  await testBackend();
  const covered = new Set<string>();
  const run = (kernels: string[], name: string, f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]) => {
    tf.tidy(() => checkGrad(name, f, xs));
    kernels.forEach((k) => covered.add(k));
  };
  const pos = (shape: number[]) => tf.add(tf.abs(rand(shape)), 0.5);
  run(["Add"], "add (broadcast)", (a, b) => tf.add(a, b), [rand([2, 3, 4]), rand([3, 1])]);
  run(["Sub"], "sub (broadcast)", (a, b) => tf.sub(a, b), [rand([2, 3]), rand([3])]);
  run(["Multiply"], "mul (broadcast)", (a, b) => tf.mul(a, b), [rand([4, 1, 3]), rand([2, 3])]);
  run(["RealDiv"], "div", (a, b) => tf.div(a, b), [rand([3, 4]), pos([4])]);
  run(["Neg"], "neg", (a) => tf.neg(a), [rand([5])]);
  run(["Square"], "square", (a) => tf.square(a), [rand([5])]);
  run(["Sqrt"], "sqrt", (a) => tf.sqrt(a), [pos([5])]);
  run(["Rsqrt"], "rsqrt", (a) => tf.rsqrt(a), [pos([5])]);
  run(["Exp"], "exp", (a) => tf.exp(a), [rand([5], 0.5)]);
  run(["Log"], "log", (a) => tf.log(a), [pos([5])]);
  run(["Sigmoid"], "sigmoid", (a) => tf.sigmoid(a), [rand([6])]);
  run(["Cast", "Identity"], "cast + clone", (a) => tf.clone(tf.cast(a, "float32")), [rand([4])]);
  run(["Reshape"], "reshape", (a) => tf.reshape(a, [3, 4]), [rand([2, 6])]);
  run(["Concat"], "concat", (a, b) => tf.concat([a, b], 1), [rand([2, 2, 3]), rand([2, 1, 3])]);
  run(["SplitV"], "split", (a) => tf.mul(tf.split(a, [1, 3], 1)[1], 2), [rand([2, 4])]);
  run(["Sum"], "sum", (a) => tf.sum(a, [0, 2], true), [rand([2, 3, 4])]);
  run(["Mean"], "moments", (a) => {
    const m = tf.moments(a, [1, 3], true);
    return tf.add(m.mean, tf.mul(m.variance, 3));
  }, [rand([2, 3, 2, 4])]);
  run(["Softmax"], "softmax", (a) => tf.softmax(a), [rand([3, 5])]);
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
    run(["BatchMatMul"], `matMul ${ta} ${tb}`, (a, b) => tf.matMul(a, b, ta, tb), [
      rand(ta ? [2, 4, 3] : [2, 3, 4]),
      rand(tb ? [2, 5, 4] : [2, 4, 5]),
    ]);
  }
  run(["Conv2D"], "conv2d same", (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"), [
    rand([2, 5, 5, 3]),
    rand([3, 3, 3, 4]),
  ]);
  run(["Conv2D"], "conv2d 1×1", (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same"), [
    rand([1, 4, 4, 6]),
    rand([1, 1, 6, 2]),
  ]);
  run(["AvgPool"], "avgPool", (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, "valid"), [rand([2, 6, 6, 3])]);
  // The U-Net's ×2 upsampling (concat + reshape): forward equals tfjs's nearest resize, gradient checked.
  const up = rand([2, 3, 3, 2]) as tf.Tensor4D;
  assert.deepEqual(upsampleNearest2(up).dataSync(), tf.image.resizeNearestNeighbor(up, [6, 6]).dataSync());
  run([], "upsampleNearest2", (x) => upsampleNearest2(x as tf.Tensor4D), [up]);
  assert.deepEqual([...covered].sort(), [...TRAINING_GRADIENT_KERNELS].sort());
});

Deno.test("training gradients: the EDM loss of a U-Net with attention matches finite differences", async () => {
  await testBackend();
  const cfg: UNetConfig = { resolution: 4, channels: 1, baseChannels: 4, attention: true, dropout: 0 };
  // Random weights of order one everywhere (the DDPM++ init would make most gradients vanish).
  const init = initUNet(cfg, 3);
  const names = init.map((p) => p.name);
  const xs = init.map((p) => rand(p.shape, p.name.includes("scale") ? 0.3 : 0.4));
  const y = rand([3, 4, 4, 1], 0.5) as tf.Tensor4D;
  const eps = rand([3, 4, 4, 1]) as tf.Tensor4D;
  const sigma = tf.tensor1d([0.05, 0.7, 5]);
  const loss = (...ps: tf.Tensor[]) => {
    const p: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (p[n] = ps[i]));
    return edmLoss(edmDenoiser((x, c) => unetForward(cfg, p, x, c)), y, sigma, eps);
  };
  // One direction through all parameters at once.
  tf.tidy(() => {
    const grads = tf.grads(loss)(xs);
    const us = xs.map((x) => rand(x.shape));
    let analytic = 0;
    grads.forEach((g, i) => (analytic += tf.sum(tf.mul(g, us[i])).dataSync()[0]));
    const h = 1e-2;
    const at = (s: number) => loss(...xs.map((x, i) => tf.add(x, tf.mul(us[i], s)))).dataSync()[0];
    const numeric = (at(h) - at(-h)) / (2 * h);
    const err = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic));
    assert.ok(err < 2e-2, `analytic ${analytic}, numeric ${numeric}`);
  });
});
