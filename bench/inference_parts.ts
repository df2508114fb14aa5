/**
 * The inference parts this session's kernels replaced, each timed against what it replaced in one process,
 * interleaved (a loaded machine slows both alike); medians and their ratio in markdown on stdout:
 *
 * - the U-Net forward pass of D_θ (16 × 16, C = 8, random weights; batches of 256, as asDenoiser runs):
 *   the WebAssembly SIMD loops of broadcasting binary ops, Concat's runs and GroupNorm's passes
 *   (lib/kernels/wasm/) against their JavaScript loops (`HG_WASM_SIMD=0`; the same bits);
 * - PCA-locality (lib/denoisers/pca_locality.ts) at N training images, d = 256, τ = 0.005: its softmax
 *   kernel against the JavaScript passes (96 queries), and, for 8 queries, the masked products (with the
 *   kernel) against the same with the JavaScript passes;
 * - LS (lib/denoisers/local_score.ts) at N training images, 4 queries, patch sides 3–15: its per-query
 *   kernel `localScoreQuery` against the JavaScript loop;
 * - ELS (lib/denoisers/equivariant_local_score.ts), 4096 patches, 8 queries, sides 3–11: its softmax on
 *   the `scoreSoftmaxMean` kernel against the JavaScript passes (both sharing the sides' ring products);
 * - the float64 Adam step of lib/denoisers/linear.ts on 784² weights (one C10 distillation step's
 *   update): `adam64` against the JavaScript loop (the same bits).
 *
 *   deno run -A bench/inference_parts.ts [--n 8192] [--reps 7]
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../lib/backend.ts";
import { loadBlas } from "../lib/linalg/blas.ts";
import { initUNet, type UNetConfig, unetNetwork } from "../lib/denoisers/unet.ts";
import { asDenoiser, edmDenoiser } from "../lib/denoisers/edm.ts";
import { fitGaussian } from "../lib/denoisers/gaussian.ts";
import { pcaLocalityDenoiser } from "../lib/denoisers/pca_locality.ts";
import { localScoreAll } from "../lib/denoisers/local_score.ts";
import { equivariantLocalScoreAll, equivariantPatchSet } from "../lib/denoisers/equivariant_local_score.ts";
import { distillLinear } from "../lib/denoisers/linear.ts";
import { loadDataset } from "../lib/data/datasets.ts";
import { resizeArea } from "../lib/data/transform.ts";
import { Rng } from "../lib/rng.ts";
import { type Batch, batch, type SyncDenoiser } from "../lib/types.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { n: { type: "string", default: "8192" }, reps: { type: "string", default: "7" } },
});
const N = Number(values.n);
const reps = Number(values.reps);
loadBlas("auto");
await initBackend("wasm", { blas: true, dnnl: true });

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms of `a` (the SIMD kernels) and `b` (`HG_WASM_SIMD=0`), run in turn `reps` times after one round. */
function ab(a: () => unknown, b: () => unknown): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = -1; r < reps; r++) {
    const t0 = performance.now();
    a();
    const t1 = performance.now();
    Deno.env.set("HG_WASM_SIMD", "0");
    try {
      b();
    } finally {
      Deno.env.delete("HG_WASM_SIMD");
    }
    const t2 = performance.now();
    if (r >= 0) {
      ta.push(t1 - t0);
      tb.push(t2 - t1);
    }
  }
  return [_median(ta), _median(tb)];
}

const rows: string[] = [
  "| part | SIMD kernels (ms) | JavaScript (ms) | ratio |",
  "| --- | --- | --- | --- |",
];
const row = (what: string, [a, b]: [number, number]) =>
  rows.push(`| ${what} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(b / a).toFixed(2)}× |`);

// U-Net forward, 512 images (two batches of 256).
const config: UNetConfig = { resolution: 16, channels: 1, baseChannels: 8, attention: false, dropout: 0 };
const params: Record<string, tf.Tensor> = {};
for (const p of initUNet(config, 1)) params[p.name] = tf.tensor(p.data, p.shape);
const D = asDenoiser(edmDenoiser(unetNetwork(config, params)), { height: 16, width: 16, channels: 1 });
const r = new Rng(1);
const x512 = batch(512, 256, Float64Array.from({ length: 512 * 256 }, () => r.normal()));
const forward = () => (D as SyncDenoiser)(x512, 0.5);
row("U-Net forward, 512 images (16×16, C = 8)", ab(forward, forward));
console.error("bench: U-Net done");

// PCA-locality on real images.
const train = batch(N, 256, resizeArea(await loadDataset("mnist", "train"), 16).data.slice(0, N * 256));
const test = resizeArea(await loadDataset("mnist", "test"), 16);
const P = pcaLocalityDenoiser(train, fitGaussian(train), 0.005) as SyncDenoiser;
const probes = (b: number, s: number): Batch =>
  batch(b, 256, Float64Array.from({ length: b * 256 }, (_, i) => test.data[i] + s * r.normal()));
for (const [b, s] of [[96, 1.502], [8, 1.502]] as const) {
  const x = probes(b, s);
  row(`PCA-locality, ${b} queries, N = ${N}, σ = ${s}`, ab(() => P(x, s), () => P(x, s)));
  console.error(`bench: PCA-locality ${b} done`);
}

// LS and ELS on the same images and probes.
const shape = { height: 16, width: 16, channels: 1 };
const x4 = probes(4, 0.47);
row(
  `LS, 4 queries, N = ${N}, σ = 0.47, sides 3–15`,
  ab(
    () => localScoreAll(train, shape, x4, 0.47, [3, 5, 7, 9, 11, 15]),
    () => localScoreAll(train, shape, x4, 0.47, [3, 5, 7, 9, 11, 15]),
  ),
);
console.error("bench: LS done");
const set = equivariantPatchSet(train, shape, { maxPatches: 4096, seed: 1 });
const x8 = probes(8, 0.47);
const els = () => equivariantLocalScoreAll(set, x8, 0.47, [3, 5, 7, 9, 11]);
row("ELS, 8 queries, 4096 patches, σ = 0.47, sides 3–11", ab(els, els));
console.error("bench: ELS done");

// A whole C10 distillation step (the two products, the noise, the update), with each Adam: 10 steps per run.
const d784 = batch(2560, 784, Float64Array.from({ length: 2560 * 784 }, () => r.normal()));
const distill = () => distillLinear({ train: d784, sigma: 0.5, target: "clean", epochs: 1, seed: 1 });
const adamRow = await (async () => {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let k = -1; k < reps; k++) {
    const t0 = performance.now();
    await distill();
    const t1 = performance.now();
    Deno.env.set("HG_WASM_SIMD", "0");
    try {
      await distill();
    } finally {
      Deno.env.delete("HG_WASM_SIMD");
    }
    const t2 = performance.now();
    if (k >= 0) {
      ta.push((t1 - t0) / 10);
      tb.push((t2 - t1) / 10);
    }
  }
  return [_median(ta), _median(tb)] as [number, number];
})();
row("C10 distillation step (d = 784, batch 256): products + noise + Adam", adamRow);
console.log(rows.join("\n"));
