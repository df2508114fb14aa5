/**
 * GPU training-step benchmark: ms per training step of the `paper` profile's U-Net (64×64×3, base
 * channels C = 128, no attention: experiments/profiles.ts' `paper.zoo`) on `--backend webgpu`
 * (tfjs-backend-webgpu on Deno's WebGPU), through the project's own training loop
 * (lib/training/train.ts: EDM loss, this project's gradients, Adam, EMA, the loss read back each step).
 * Markdown table on stdout, progress on stderr.
 *
 *   deno task bench:gpu                         # B = 256 (the paper's) if the adapter's limits allow
 *   deno task bench:gpu --batch 64 --steps 20 --warmup 5
 *   deno task bench:gpu --smoke                 # 16×16×3, C = 16, B = 2, 1 warm-up + 2 steps: a check
 *                                               # that runs on a software adapter (no GPU needed)
 *
 * B: `--batch auto` (default) starts from the profile's 256 and halves it until the largest activation
 * (the decoder's 3C-channel concat at full resolution, 4 bytes a value) fits the adapter's
 * `maxStorageBufferBindingSize` and `maxBufferSize`; if the first step still fails (an out-of-memory or
 * validation error from the device), B is halved again. The table states the B used and why.
 *
 * Timing: per step, the interval between the ends of consecutive steps (each ends when its loss has been
 * read back, so the GPU queue has drained up to it), after `--warmup` steps (shader compilation, buffer
 * pools); median, min and max of `--steps`. The host's part of a step (drawing B·d normals for the noise
 * in JavaScript, lib/training/loss.ts) is timed on its own and shown beside it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { describeBackend, initBackend } from "../lib/backend.ts";
import { describeAdapter, findWebGpuAdapter, type WebGpuAdapterInfo } from "../lib/webgpu.ts";
import { type UNetConfig, unetParamCount } from "../lib/denoisers/unet.ts";
import { drawTrainingNoise } from "../lib/training/loss.ts";
import { createTrainState, disposeTrainState, train, trainConfig } from "../lib/training/train.ts";
import type { ImageSet } from "../lib/types.ts";
import { Rng } from "../lib/rng.ts";
import { getProfile } from "../experiments/profiles.ts";

const _FILE = "bench/gpu_step.ts";

function _log(msg: string): void {
  console.error(`[gpu_step] ${msg}`);
}

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Bytes of the largest activation of one step: the decoder's concat of 3C channels at full resolution. */
export function largestActivationBytes(net: UNetConfig, batch: number): number {
  return 4 * batch * net.resolution * net.resolution * 3 * net.baseChannels;
}

/** The largest B ≤ `start` (halving) whose largest activation fits the adapter's buffer limits, or 0. */
export function batchForLimits(net: UNetConfig, start: number, a: WebGpuAdapterInfo): number {
  const limit = Math.min(a.maxStorageBufferBindingSize, a.maxBufferSize);
  let b = start;
  while (b >= 1 && largestActivationBytes(net, b) > limit) b = Math.floor(b / 2);
  return b;
}

/** `n` seeded random images in [-1, 1] (the step's cost does not depend on the pixels). */
function _images(net: UNetConfig, n: number): ImageSet {
  const d = net.resolution * net.resolution * net.channels;
  const rng = new Rng(2024);
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = 2 * rng.uniform() - 1;
  return {
    name: "random",
    n,
    d,
    data,
    height: net.resolution,
    width: net.resolution,
    channels: net.channels,
  };
}

interface StepTiming {
  stepMs: number[];
  lossFirst: number;
  lossLast: number;
  tensorBytes: number;
  numTensors: number;
}

/** Run `warmup + steps` training steps at batch `batch`; throws when the device reports an error. */
async function _measure(net: UNetConfig, batch: number, warmup: number, steps: number): Promise<StepTiming> {
  const zoo = getProfile("paper").zoo;
  const cfg = trainConfig({
    seed: zoo.seed,
    steps: warmup + steps,
    batchSize: batch,
    lr: zoo.lr,
    warmupImages: zoo.warmupImages,
  });
  const data = _images(net, Math.max(batch, 16));
  const state = createTrainState(net, cfg);
  // deno-lint-ignore no-explicit-any
  const device = (tf.backend() as any).device as GPUDevice;
  const ends: number[] = [];
  const losses: number[] = [];
  let tensorBytes = 0, numTensors = 0;
  try {
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    const t0 = performance.now();
    await train(state, data, {
      log: false,
      onStep: (s, loss) => {
        const now = performance.now();
        ends.push(now);
        losses.push(loss);
        const m = tf.memory();
        tensorBytes = Math.max(tensorBytes, m.numBytes);
        numTensors = m.numTensors;
        const dt = now - (ends.length > 1 ? ends[ends.length - 2] : t0);
        _log(
          `B=${batch} step ${s + 1}/${warmup + steps}${s < warmup ? " (warm-up)" : ""}: ${dt.toFixed(1)} ms`,
        );
      },
    });
    const errs = [await device.popErrorScope(), await device.popErrorScope()].filter((e) => e !== null);
    if (errs.length > 0) throw new Error(`the device reported: ${errs.map((e) => e!.message).join("; ")}`);
  } finally {
    disposeTrainState(state);
  }
  // Interval ending at step i (i ≥ warmup): ends[i] − ends[i − 1]; warmup ≥ 1, so ends[warmup − 1] exists.
  const stepMs = ends.slice(warmup).map((t, i) => t - ends[warmup + i - 1]);
  return { stepMs, lossFirst: losses[0], lossLast: losses[losses.length - 1], tensorBytes, numTensors };
}

async function _main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "auto" },
      steps: { type: "string" },
      warmup: { type: "string" },
      res: { type: "string" },
      base: { type: "string" },
      channels: { type: "string", default: "3" },
      smoke: { type: "boolean", default: false },
    },
  });
  const zoo = getProfile("paper").zoo;
  const smoke = values.smoke;
  const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
    const x = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(x) || x < min) {
      throw new Error(`${_FILE}: --${name} ${v}: expected an integer ≥ ${min}`);
    }
    return x;
  };
  const net: UNetConfig = {
    resolution: int("res", values.res, smoke ? 16 : zoo.resolution, 2),
    channels: int("channels", values.channels, 3, 1),
    baseChannels: int("base", values.base, smoke ? 16 : zoo.baseChannels, 2),
    attention: zoo.attention,
    dropout: 0,
  };
  const warmup = int("warmup", values.warmup, smoke ? 1 : 3, 1);
  const steps = int("steps", values.steps, smoke ? 2 : 10, 1);
  const auto = values.batch === "auto";
  const requested = auto ? (smoke ? 2 : zoo.batchSize) : int("batch", values.batch, 0, 1);

  const adapter = await findWebGpuAdapter();
  _log(`adapter: ${describeAdapter(adapter)}`);
  const backend = await initBackend("webgpu");
  let batch = requested;
  let why = !auto ? "as requested (--batch)" : smoke ? "--smoke" : `the paper profile's B = ${zoo.batchSize}`;
  if (auto) {
    const fit = batchForLimits(net, requested, adapter);
    if (fit < 1) throw new Error(`${_FILE}: even B = 1 exceeds the adapter's buffer limits`);
    if (fit < requested) {
      why = `B = ${requested} needs a ${(largestActivationBytes(net, requested) / 2 ** 20).toFixed(0)} MiB ` +
        `buffer, over the adapter's limit of ${
          (Math.min(adapter.maxStorageBufferBindingSize, adapter.maxBufferSize) / 2 ** 20).toFixed(0)
        } MiB: halved to fit`;
      batch = fit;
    }
  }
  let timing: StepTiming | null = null;
  while (timing === null) {
    _log(`net ${net.resolution}×${net.resolution}×${net.channels}, C = ${net.baseChannels}, B = ${batch}`);
    try {
      timing = await _measure(net, batch, warmup, steps);
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      if (!auto || batch <= 1) throw new Error(`${_FILE}: B = ${batch} failed: ${msg}`);
      _log(`B = ${batch} failed (${msg}); halving`);
      why = `B = ${batch} failed on the device (${msg.slice(0, 80)}): halved`;
      batch = Math.floor(batch / 2);
    }
  }
  const d = net.resolution * net.resolution * net.channels;
  const h0 = performance.now();
  drawTrainingNoise(1, 0, batch, d);
  const hostMs = performance.now() - h0;
  const med = _median(timing.stepMs);
  const lines = [
    `## Training step on WebGPU: ${net.resolution}×${net.resolution}×${net.channels} U-Net, C = ${net.baseChannels}` +
    `${smoke ? " (--smoke: shrunk, a check that the path runs, not a benchmark)" : ""}`,
    "",
    "| | |",
    "| --- | --- |",
    `| adapter | ${describeAdapter(adapter)} |`,
    `| backend | ${describeBackend(backend)}, tfjs ${backend.tfjs} |`,
    `| network | lib/denoisers/unet.ts, ${
      unetParamCount(net).toLocaleString("en")
    } parameters, attention ${net.attention} |`,
    `| batch B | ${batch} (${why}) |`,
    `| steps | ${warmup} warm-up, then ${steps} timed (lib/training/train.ts: EDM loss, Adam, EMA) |`,
    `| ms / step (median) | ${med.toFixed(1)} (min ${Math.min(...timing.stepMs).toFixed(1)}, max ${
      Math.max(...timing.stepMs).toFixed(1)
    }) |`,
    `| images / s | ${(batch / (med / 1000)).toFixed(1)} |`,
    `| host noise draw per step | ${hostMs.toFixed(1)} ms (JavaScript, included in the step) |`,
    `| tensor memory after a step | ${
      (timing.tensorBytes / 2 ** 20).toFixed(1)
    } MiB in ${timing.numTensors} tensors |`,
    `| loss, first → last step | ${timing.lossFirst.toFixed(4)} → ${timing.lossLast.toFixed(4)} |`,
  ];
  console.log(lines.join("\n"));
}

if (import.meta.main) await _main();
