/**
 * The parts of a training step this branch replaced, timed against what they replaced in one
 * process, interleaved (so a loaded machine slows both alike): the optimiser step (Adam + EMA: tfjs
 * kernels vs the fused JavaScript pass vs the fused WebAssembly SIMD pass, lib/training/fused_adam.ts)
 * over a U-Net's parameters, and GroupNorm(+SiLU) forward + backward (JavaScript vs SIMD element
 * passes, lib/kernels/group_norm.ts) on [B, R, R, C] activations. Markdown on stdout (medians, ms).
 *
 *   deno run -A bench/step_parts_bench.ts [--nets 8,16,32] [--res 16] [--batch 64] [--reps 15]
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { initUNet } from "../lib/denoisers/unet.ts";
import { groupNormAct } from "../lib/kernels/group_norm.ts";
import { Rng } from "../lib/rng.ts";
import { fusedAdamEmaStep, unfusedAdamEmaStep } from "../lib/training/fused_adam.ts";
import { registerTrainingGradients } from "../lib/training/gradients.ts";

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Minimum and median ms of each of `fns`, run in turn `reps` times (after one untimed round). On a
 * loaded machine the minimum is the better estimate of the cost (preemptions only add time).
 */
function _interleaved(fns: (() => void)[], reps: number): [number, number][] {
  const times = fns.map(() => [] as number[]);
  for (let r = -1; r < reps; r++) {
    fns.forEach((f, i) => {
      const t0 = performance.now();
      f();
      if (r >= 0) times[i].push(performance.now() - t0);
    });
  }
  return times.map((t) => [Math.min(...t), _median(t)]);
}

function _mm([min, med]: [number, number]): string {
  return `${min.toFixed(2)} / ${med.toFixed(2)}`;
}

function _withSimd<T>(on: boolean, f: () => T): T {
  if (on) return f();
  Deno.env.set("HG_WASM_SIMD", "0");
  try {
    return f();
  } finally {
    Deno.env.delete("HG_WASM_SIMD");
  }
}

async function _main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nets: { type: "string", default: "8,16,32" },
      res: { type: "string", default: "16" },
      batch: { type: "string", default: "64" },
      reps: { type: "string", default: "15" },
    },
  });
  await initBackend("wasm");
  registerTrainingGradients();
  const reps = Number(values.reps);
  const B = Number(values.batch);
  const R = Number(values.res);
  const lines = [
    `## Step parts (ms, min / median of ${reps}, interleaved; wasm backend)`,
    "",
    "| part | size | tfjs kernels / JS | fused JS | fused SIMD | speed-up (min) |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
  ];
  const rng = new Rng(7);
  for (const C of values.nets.split(",").map(Number)) {
    const net = { resolution: R, channels: 1, baseChannels: C, attention: false, dropout: 0 };
    const init = initUNet(net, 1);
    const mk = (zero: boolean) =>
      init.map((a) => tf.variable(zero ? tf.zeros(a.shape) : tf.tensor(a.data, a.shape), false));
    const sets = [0, 1, 2].map(() => ({ p: mk(false), m: mk(true), v: mk(true), e: mk(false) }));
    const g = init.map((a) => tf.tensor(Float32Array.from(a.data, () => 0.01 * rng.normal()), a.shape));
    const count = init.reduce((s, a) => s + a.data.length, 0);
    let t = 0;
    const [unf, js, simd] = _interleaved([
      () => unfusedAdamEmaStep(sets[0].p, g, sets[0].m, sets[0].v, sets[0].e, ++t, 1e-3, 0.999),
      () =>
        void fusedAdamEmaStep(sets[1].p, g, sets[1].m, sets[1].v, sets[1].e, t, 1e-3, 0.999, undefined, {
          kernel: "js",
        }),
      () => void fusedAdamEmaStep(sets[2].p, g, sets[2].m, sets[2].v, sets[2].e, t, 1e-3, 0.999),
    ], reps);
    const aRow = [
      `${init.length} tensors, ${count} floats`,
      _mm(unf),
      _mm(js),
      _mm(simd),
      `${(unf[0] / simd[0]).toFixed(1)}×`,
    ];
    lines.push(`| Adam + EMA, unet${C} | ${aRow.join(" | ")} |`);
    tf.dispose([...g, ...sets.flatMap((s) => [...s.p, ...s.m, ...s.v, ...s.e])]);
    const groups = Math.max(1, Math.min(32, C / 4));
    const shape: [number, number, number, number] = [B, R, R, C];
    const n = B * R * R * C;
    const x = tf.tensor4d(Float32Array.from({ length: n }, () => rng.normal()), shape);
    const r = tf.tensor4d(Float32Array.from({ length: n }, () => rng.normal()), shape);
    const gamma = tf.ones([C]);
    const beta = tf.zeros([C]);
    const grad = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(groupNormAct(a as tf.Tensor4D, b, c, { groups, silu: true }), r))
    );
    const gn = (on: boolean) => () =>
      _withSimd(on, () => tf.tidy(() => grad([x, gamma, beta]).forEach((q) => q.dataSync())));
    const [gjs, gsimd] = _interleaved([gn(false), gn(true)], reps);
    const gRow = [
      `[${shape}], ${groups} groups`,
      _mm(gjs),
      "—",
      _mm(gsimd),
      `${(gjs[0] / gsimd[0]).toFixed(1)}×`,
    ];
    lines.push(`| GroupNorm+SiLU fwd+bwd | ${gRow.join(" | ")} |`);
    tf.dispose([x, r, gamma, beta]);
    console.error(`[step_parts_bench] unet${C} done`);
  }
  lines.push("");
  lines.push(
    "Adam + EMA: `tfjs kernels` is adamStep + emaUpdate (lib/training/adam.ts, ema.ts); GroupNorm: the " +
      "`JS` column runs with HG_WASM_SIMD=0. Both columns of a row give the same bits.",
  );
  console.log(lines.join("\n"));
}

if (import.meta.main) await _main();
