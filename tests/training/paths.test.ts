/**
 * The speed tiers give the same numbers: the EDM loss of a U-Net and its gradient with respect to every
 * parameter, on wasm with the portable kernel replacements, with the native BLAS kernels (`dnnl: false`),
 * and with the native set's oneDNN convolutions (when libdnnl.so.2 loads).
 *
 * Tolerance: relative 1e-4 on the loss and on each parameter gradient (‖g_tier − g_portable‖ / ‖g_portable‖):
 * all are float32; the tiers sum the convolution products in different orders (a GEMM against shifted
 * windows, oneDNN's blocked kernels), which changes the last bits of each sum.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend.ts";
import { blasLoaded, loadBlas } from "../../lib/linalg/blas.ts";
import { dnnlLoaded, loadDnnl } from "../../lib/kernels/dnnl.ts";
import { initUNet, type UNetConfig, unetForward } from "../../lib/denoisers/unet.ts";
import { edmDenoiser } from "../../lib/denoisers/edm.ts";
import { edmLoss } from "../../lib/training/loss.ts";
import { registerTrainingGradients } from "../../lib/training/gradients.ts";
import { Rng } from "../../lib/rng.ts";

const CFG: UNetConfig = { resolution: 8, channels: 1, baseChannels: 8, attention: false, dropout: 0 };

function _lossAndGrads(
  blas: boolean,
  dnnl = false,
): Promise<{ loss: number; grads: Float32Array[]; kernels: string[] }> {
  return initBackend("wasm", { blas, dnnl }).then((info) => {
    registerTrainingGradients();
    const init = initUNet(CFG, 5);
    const rng = new Rng(21);
    const t = (shape: number[], scale: number) =>
      tf.tensor(Float32Array.from(rng.normals(shape.reduce((a, b) => a * b, 1)), (v) => v * scale), shape);
    return tf.tidy(() => {
      const params = init.map((p) => tf.tensor(p.data, p.shape));
      const y = t([6, 8, 8, 1], 0.5) as tf.Tensor4D;
      const eps = t([6, 8, 8, 1], 1) as tf.Tensor4D;
      const sigma = tf.tensor1d([0.01, 0.1, 0.5, 1.5, 5, 40]);
      const f = (...ps: tf.Tensor[]) => {
        const p: Record<string, tf.Tensor> = {};
        init.forEach((q, i) => (p[q.name] = ps[i]));
        return edmLoss(edmDenoiser((x, c) => unetForward(CFG, p, x, c)), y, sigma, eps);
      };
      const { value, grads } = tf.valueAndGrads(f)(params);
      return {
        loss: value.dataSync()[0],
        grads: grads.map((g) => g.dataSync() as Float32Array),
        kernels: info.kernels,
      };
    });
  });
}

/** Assert `tier`'s loss and every parameter gradient within relative 1e-4 of `ref`'s. */
function _assertClose(
  label: string,
  tier: { loss: number; grads: Float32Array[] },
  ref: { loss: number; grads: Float32Array[] },
): void {
  assert.ok(
    Math.abs(tier.loss - ref.loss) <= 1e-4 * Math.abs(ref.loss),
    `${label}: loss ${tier.loss} vs ${ref.loss}`,
  );
  ref.grads.forEach((g, i) => {
    let num = 0;
    let den = 0;
    for (let j = 0; j < g.length; j++) {
      num += (tier.grads[i][j] - g[j]) ** 2;
      den += g[j] ** 2;
    }
    assert.ok(den > 0, `parameter ${i} has a zero gradient: the test would not see a difference`);
    assert.ok(
      Math.sqrt(num / den) <= 1e-4,
      `${label}: parameter ${i}: relative gradient difference ${Math.sqrt(num / den)}`,
    );
  });
}

Deno.test("portable, native BLAS and native oneDNN tiers give the same U-Net loss and gradients", async (t) => {
  loadBlas("auto");
  if (!blasLoaded()) {
    await t.step({
      name: "native path needs OpenBLAS (apt-get install libopenblas0-pthread)",
      ignore: true,
      fn() {},
    });
    return;
  }
  const portable = await _lossAndGrads(false);
  const native = await _lossAndGrads(true, false);
  assert.ok(!portable.kernels.some((k) => k.endsWith(":blas")), "portable set has no BLAS kernels");
  assert.ok(native.kernels.includes("Conv2D:blas"), "native set registered BLAS convolutions");
  _assertClose("native BLAS", native, portable);
  loadDnnl("auto");
  if (!dnnlLoaded()) {
    await t.step({
      name: "oneDNN tier needs libdnnl.so.2 (apt-get install libdnnl2)",
      ignore: true,
      fn() {},
    });
  } else {
    const onednn = await _lossAndGrads(true, true);
    for (
      const k of ["Conv2D:dnnl", "FusedConv2D:dnnl", "Conv2DBackpropInput:dnnl", "Conv2DBackpropFilter:dnnl"]
    ) {
      assert.ok(onednn.kernels.includes(k), `oneDNN tier registered ${k}`);
    }
    _assertClose("native oneDNN", onednn, portable);
    _assertClose("native oneDNN against native BLAS", onednn, native);
  }
  await initBackend("wasm", { blas: false });
});
