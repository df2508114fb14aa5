/**
 * The GPU path: the project's training loop (lib/training/train.ts: EDM loss, this project's
 * gradients, Adam, EMA) on `--backend webgpu` gives the wasm backend's losses, and its tensor count
 * stays steady from step to step. In CI this runs on Mesa's software adapter (lavapipe or llvmpipe,
 * installed by .ci/run); it is skipped, saying why, only when Deno finds no WebGPU adapter at all.
 *
 * Tolerance: the per-step losses agree to 1e-4 relative. The two backends differ in float32
 * summation order and in GroupNorm (wasm: the fused kernel with float64 statistics; webgpu: composed
 * tfjs ops), so bit equality is not expected; measured differences are ~1e-7 relative.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/backend.ts";
import { describeAdapter, findWebGpuAdapter, NoWebGpuAdapterError } from "../../lib/webgpu.ts";
import { Rng } from "../../lib/rng.ts";
import type { UNetConfig } from "../../lib/denoisers/unet.ts";
import {
  createTrainState,
  disposeTrainState,
  loadTrainState,
  saveTrainState,
  stateDenoiser,
  train,
  trainConfig,
} from "../../lib/training/train.ts";
import { readCheckpoint } from "../../lib/training/checkpoint.ts";
import { asDenoiser } from "../../lib/denoisers/edm.ts";
import { batch } from "../../lib/types.ts";
import type { Batch, ImageSet } from "../../lib/types.ts";
import { join } from "node:path";

/** The smoke profile's zoo U-Net geometry, with C = 8 so the C-wide GroupNorms have 2 groups. */
const NET: UNetConfig = { resolution: 8, channels: 1, baseChannels: 8, attention: false, dropout: 0 };
const STEPS = 4;
const B = 8;
const REL_TOL = 1e-4;

/** Why the test cannot run here (no adapter), or null. */
const skipReason = await findWebGpuAdapter().then(
  (a) => {
    console.error(`webgpu.test.ts: adapter ${describeAdapter(a)}`);
    return null;
  },
  (e) => {
    if (!(e instanceof NoWebGpuAdapterError)) throw e;
    console.warn(`webgpu.test.ts: SKIPPED, no WebGPU adapter:\n${e.message}`);
    return e.message.split("\n")[0];
  },
);

/** 32 seeded smooth random 8×8 images in [-1, 1] (a blob per image), the same for both backends. */
function _images(): ImageSet {
  const n = 32, s = NET.resolution, d = s * s;
  const rng = new Rng(77);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const cx = s * rng.uniform(), cy = s * rng.uniform(), r = 1 + 2 * rng.uniform();
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        data[i * d + y * s + x] = 2 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r ** 2) - 1;
      }
    }
  }
  return { name: "blobs/train", n, d, data, height: s, width: s, channels: 1 };
}

/** Train STEPS steps on `backend` and save the state to `dir`; losses and the tensor count after every step. */
async function _run(
  backend: "wasm" | "webgpu",
  dir: string,
): Promise<{ losses: number[]; tensors: number[] }> {
  await initBackend(backend);
  assert.equal(tf.getBackend(), backend);
  const state = createTrainState(NET, trainConfig({ seed: 5, steps: STEPS, batchSize: B, warmupImages: 16 }));
  const tensors: number[] = [];
  const report = await train(state, _images(), {
    log: false,
    onStep: () => void tensors.push(tf.memory().numTensors),
  });
  await saveTrainState(dir, state);
  disposeTrainState(state);
  return { losses: Array.from(report.losses), tensors };
}

/** D_θ (EMA weights) of the checkpoint in `dir` on `backend`, on `x` at σ = 0.7, through asDenoiser. */
async function _denoise(backend: "wasm" | "webgpu", dir: string, x: Batch): Promise<Float64Array> {
  await initBackend(backend);
  const state = await loadTrainState(dir);
  const D = asDenoiser(stateDenoiser(state), { height: 8, width: 8, channels: 1 }, { batchSize: 16 });
  const out = D(x, 0.7);
  // webgpu can only read asynchronously: there the denoiser returns a promise, on wasm the rows.
  assert.equal(out instanceof Promise, backend === "webgpu");
  const y = (await out).data;
  disposeTrainState(state);
  return y;
}

function _maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

Deno.test({
  name:
    `webgpu: ${STEPS} U-Net training steps (B = ${B}) give wasm's losses (rel. ${REL_TOL}), steady tensor ` +
    `count; its checkpoint denoises as on wasm` + (skipReason ? ` [skipped: ${skipReason}]` : ""),
  ignore: skipReason !== null,
  // tfjs-backend-webgpu keeps its device, buffers and pipeline cache for the process's lifetime.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "hg-webgpu-" });
    const [dirWasm, dirGpu] = [join(root, "wasm"), join(root, "webgpu")];
    const wasm = await _run("wasm", dirWasm);
    const t0 = performance.now();
    const gpu = await _run("webgpu", dirGpu);
    console.error(
      `webgpu.test.ts: ${STEPS} webgpu steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    console.error(`  losses wasm   ${wasm.losses.map((x) => x.toFixed(7)).join(" ")}`);
    console.error(`  losses webgpu ${gpu.losses.map((x) => x.toFixed(7)).join(" ")}`);
    assert.equal(gpu.losses.length, STEPS);
    const rel = gpu.losses.map((l, s) => Math.abs(l - wasm.losses[s]) / Math.abs(wasm.losses[s]));
    console.error(`  largest relative loss difference ${Math.max(...rel).toExponential(2)}`);
    for (let s = 0; s < STEPS; s++) {
      assert.ok(Number.isFinite(gpu.losses[s]), `step ${s}: webgpu loss ${gpu.losses[s]}`);
      assert.ok(
        rel[s] <= REL_TOL,
        `step ${s}: webgpu ${gpu.losses[s]} vs wasm ${wasm.losses[s]} (rel. ${rel[s]})`,
      );
    }
    assert.deepEqual(gpu.tensors, gpu.tensors.map(() => gpu.tensors[0]), `tensor counts ${gpu.tensors}`);
    assert.deepEqual(wasm.tensors, wasm.tensors.map(() => wasm.tensors[0]), `tensor counts ${wasm.tensors}`);

    // The checkpoint written on webgpu (async reads) holds the trained weights: they moved from the
    // initial ones, and D_θ of it agrees between webgpu and wasm (same weights, both backends).
    const init = createTrainState(
      NET,
      trainConfig({ seed: 5, steps: STEPS, batchSize: B, warmupImages: 16 }),
    );
    const w0 = init.params[init.names.indexOf("enc0.conv0.w")].dataSync();
    disposeTrainState(init);
    const { tensors } = await readCheckpoint(dirGpu);
    const w = tensors.find((t) => t.name === "params/enc0.conv0.w")!;
    assert.equal(w.data.length, w0.length);
    assert.ok(_maxAbs(w.data.map((v, i) => v - w0[i])) > 0, "webgpu's weights did not move");
    const imgs = _images();
    const x = batch(16, imgs.d, imgs.data.slice(0, 16 * imgs.d));
    const dGpu = await _denoise("webgpu", dirGpu, x);
    const dWasm = await _denoise("wasm", dirGpu, x);
    const diff = _maxAbs(dGpu.map((v, i) => v - dWasm[i])) / _maxAbs(dWasm);
    console.error(
      `  D_θ webgpu vs wasm on the webgpu checkpoint: max difference ${diff.toExponential(2)} (relative)`,
    );
    assert.ok(diff <= 1e-5, `D_θ differs by ${diff}`);
    await Deno.remove(root, { recursive: true });
    await initBackend("wasm"); // leave the default backend for any later test in this process
  },
});

Deno.test("bench/gpu_step.ts: B is halved from 256 until the largest activation fits the adapter's limits", async () => {
  const { batchForLimits, largestActivationBytes } = await import("../../bench/gpu_step.ts");
  const net: UNetConfig = { resolution: 64, channels: 3, baseChannels: 128, attention: false, dropout: 0 };
  assert.equal(largestActivationBytes(net, 256), 4 * 256 * 64 * 64 * 384);
  const limits = (bytes: number) => ({
    vendor: "",
    architecture: "",
    device: "",
    description: "",
    fallback: false,
    denoBackend: "",
    maxStorageBufferBindingSize: bytes,
    maxBufferSize: 2 ** 40,
  });
  assert.equal(batchForLimits(net, 256, limits(2 ** 32 - 1)), 256); // 1.5 GiB fits in 4 GiB
  assert.equal(batchForLimits(net, 256, limits(2 ** 30)), 128); // 1 GiB: B = 128 needs 768 MiB
  assert.equal(batchForLimits(net, 256, limits(128 * 2 ** 20)), 16); // 128 MiB (a software adapter)
  assert.equal(batchForLimits(net, 256, limits(1000)), 0);
});
