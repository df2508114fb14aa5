/**
 * CPU seconds of C10 (Theorem 1) projected from timed parts, per linear-algebra tier and least-squares
 * estimator, for machines too loaded to time a whole run: each part runs once on a subset of rows (its
 * cost is linear in the rows) at the profile's d, on one thread, and is scaled to the profile's counts
 * (σ levels, K, epochs, probes, Heun steps). Process CPU time (`process.cpuUsage`), not wall time, so
 * other work on the machine matters little. Prints a markdown table on stdout.
 *
 * Run: `deno run -A bench/c10_parts.ts --profile full --rows 1024` (`--tiers js,wasm-simd`).
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fitGaussian, gaussianDenoiser } from "../lib/denoisers/gaussian.ts";
import { distillLinear } from "../lib/denoisers/linear.ts";
import { leastSquaresWishart } from "../lib/denoisers/least_squares_wishart.ts";
import { loadBlas } from "../lib/linalg/blas.ts";
import { covariance } from "../lib/linalg/covariance.ts";
import { eigh } from "../lib/linalg/eigh.ts";
import { gemm, setPortableTier } from "../lib/linalg/gemm.ts";
import { setWasmThreads } from "../lib/linalg/_wasm_gemm.ts";
import { scoreDifference } from "../lib/metrics/score_difference.ts";
import { Rng, sampleNoise } from "../lib/rng.ts";
import { batch } from "../lib/types.ts";
import { getProfile } from "../experiments/profiles.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    profile: { type: "string", default: "full" },
    rows: { type: "string", default: "1024" },
    tiers: { type: "string", default: "js,wasm-simd" },
  },
});
const cfg = getProfile(String(values.profile)).c10;
const d = cfg.resolution ** 2;
const rows = Math.max(d + 1, Number(values.rows));
const N = cfg.nTrain;
const S = cfg.sigmas.length;
const Kmax = cfg.lsDraws.at(-1)!;
const nK = cfg.lsDraws.length;
const r = new Rng(1);
const train = batch(rows, d, Float64Array.from({ length: rows * d }, () => r.uniform()));
const probes = batch(cfg.nProbe, d, Float64Array.from({ length: cfg.nProbe * d }, () => r.uniform()));
const samples = batch(cfg.nSamples, d, Float64Array.from({ length: cfg.nSamples * d }, () => r.normal()));
loadBlas("off");
setWasmThreads(1);

async function cpu(fn: () => unknown): Promise<number> {
  const u0 = process.cpuUsage();
  await fn();
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / 1e6;
}

const table: string[] = [];
const totals = new Map<string, number>();
// The eigensolver (ml-matrix without LAPACK) does not depend on the product tier: timed once.
const sigmaHat = covariance(train);
const eig = await cpu(() => eigh(sigmaHat, d));
const gaussian = fitGaussian(train);
const DG = gaussianDenoiser(gaussian);
for (const tier of String(values.tiers).split(",") as ("js" | "wasm-simd")[]) {
  setPortableTier(tier);
  await cpu(() => gemm(64, 64, 64, train.data, train.data)); // warm-up
  const cov = await cpu(() => covariance(train));
  // One draw of the sampled estimator over `rows` images is its noise, x = y + σε and two products
  // (lib/denoisers/linear.ts leastSquaresLinear: Sxx += XᵀX, Stx += TᵀX per block of 512 rows), timed
  // directly: the difference of two whole runs is swamped by the eigensolver's variance on a busy machine.
  const few = batch(32, d, train.data.subarray(0, 32 * d));
  await distillLinear({
    train: few,
    sigma: 1,
    target: "clean",
    epochs: 1,
    batchSize: cfg.batchSize,
    seed: 1,
  });
  const Sxx = new Float64Array(d * d);
  const eps = new Float64Array(d);
  const drawOnce = () => {
    const X = new Float64Array(512 * d);
    for (let s0 = 0; s0 < rows; s0 += 512) {
      const m = Math.min(512, rows - s0);
      for (let q = 0; q < m; q++) {
        sampleNoise(1, s0 + q, d, eps);
        for (let j = 0; j < d; j++) X[q * d + j] = train.data[(s0 + q) * d + j] + eps[j];
      }
      const xb = X.subarray(0, m * d);
      gemm(d, d, m, xb, xb, Sxx, { transA: true, beta: 1 });
      gemm(d, d, m, train.data.subarray(s0 * d, (s0 + m) * d), xb, Sxx, { transA: true, beta: 1 });
    }
  };
  drawOnce(); // warm-up
  const lsDraw = await cpu(drawOnce);
  const solve = eig + 2 * (await cpu(() => gemm(d, d, d, gaussian.U, gaussian.U)));
  const wish = await cpu(() => leastSquaresWishart({ gaussian, sigma: 1, draws: cfg.lsDraws, seed: 1 }));
  const epoch = await cpu(() =>
    distillLinear({ train, sigma: 1, target: "clean", epochs: 1, batchSize: cfg.batchSize, seed: 1 })
  );
  const probe = await cpu(() => scoreDifference(DG, DG, probes, 1, { seed: 1 }));
  const dg = await cpu(() => DG(samples, 1));
  const parts = {
    fit: (cov * N) / rows + eig,
    lsSampled: S * (Kmax * lsDraw * (N / rows) + nK * solve),
    lsWishart: S * wish,
    distill: S * cfg.epochs * epoch * (N / rows),
    probes: S * (cfg.epochs + nK) * probe,
    heun: cfg.heunSteps.reduce((a, n) => a + 2 * n, 0) * dg,
  };
  const common = parts.fit + parts.distill + parts.probes + parts.heun;
  for (const [est, ls] of [["sampled", parts.lsSampled], ["wishart", parts.lsWishart]] as const) {
    const total = common + ls;
    totals.set(`${tier}|${est}`, total);
    table.push(
      `| ${tier} | ${est} | ${parts.fit.toFixed(0)} | ${ls.toFixed(0)} | ${parts.distill.toFixed(0)} | ` +
        `${(parts.probes + parts.heun).toFixed(0)} | ${total.toFixed(0)} |`,
    );
  }
  console.error(
    `${tier}: measured parts (CPU s) ${JSON.stringify({ cov, eig, lsDraw, solve, wish, epoch, probe, dg })}`,
  );
}
console.log(
  `C10 ${values.profile} (d = ${d}, N = ${N}, ${S} σ, K ≤ ${Kmax}, ${cfg.epochs} epochs): projected CPU seconds, ` +
    `one thread, from parts timed on ${rows} rows; load average ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    }`,
);
console.log(
  "| tier | lsEstimator | fit Gaussian | (a) least squares | (b) Adam distillation | probes + Heun | total |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const t of table) console.log(t);
const base = totals.get("js|sampled");
if (base) {
  for (const [k, v] of totals) console.log(`- ${k}: ${(base / v).toFixed(1)}× less CPU than js|sampled`);
}
