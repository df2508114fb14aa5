/**
 * C2 — linear distillation (docs/paper.md "Claims"): the best linear approximation D_L of a generalising
 * D_θ matches it at high and at low noise, while D_θ is non-linear at intermediate noise, where the
 * memorising D_M is far off. The paper (FFHQ 64×64, N = 70000) reports RMSE(D_L, D_θ) < 0.05 for σ in
 * [20, 80] and [0.002, 0.1].
 *
 * Method.
 * 1. Config: the profile's `zoo` section and its `distill` section (N, C, σ grid, samples).
 * 2. Model: the zoo model trained on the first N images (the generalising end of the C6 sweep).
 * 3. D_L at each σ: the exact minimiser of the paper's distillation objective over N × ⌈samples/N⌉
 *    noisy training images (experiments/distill.ts); D_G and D_M of the same N images.
 * 4. Measure at each σ, on noisy held-out probes (eq. 10): RMSE(D_L, D_θ), RMSE(D_G, D_θ),
 *    RMSE(D_M, D_θ).
 * 5. Verdict by {@link CRITERION} (adapted: σ ≥ 21 says nothing at our scale), with the paper's
 *    version {@link PAPER_CRITERION} reported beside it; both fixed before the first run.
 *
 * Run: `deno task c2 [--profile smoke|ci|full|paper] [--dataset mnist|fashion-mnist] [--retrain]`.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { type FigureFile, finishExperiment, runSeeded, sig, startExperiment } from "./_harness.ts";
import { meanAt } from "../lib/metrics/stats.ts";
import { ZOO_SEEDS, zooModel } from "./zoo.ts";
import { zooProbes, zooReferences } from "./references.ts";
import { DISTILL_SEED, zooLinear } from "./distill.ts";
import { BAND_SIGMAS, HIGH_SIGMAS, LOW_SIGMAS } from "./bands.ts";
import { applyDenoiser, noisyProbes } from "../lib/metrics/probes.ts";
import { scoreDifferenceFromOutputs } from "../lib/metrics/score_difference.ts";
import { lineChartSvg } from "../lib/results/figures.ts";
import { loadDenoiser } from "../lib/training/model.ts";
import { log } from "../lib/progress.ts";
import type { Result } from "../lib/results/schema.ts";
import { claimMetricsOf } from "../lib/results/seeds.ts";

/** The paper's threshold on RMSE(D_L, D_θ) at high and low noise. */
export const THRESHOLD = 0.05;

/** The paper's criterion, reported beside the verdict. */
export const PAPER_CRITERION =
  `The paper's version: RMSE(D_L, D_θ) < ${THRESHOLD} at every level of σ ∈ [20, 80] (${
    HIGH_SIGMAS.join(", ")
  }) and σ ∈ [0.002, 0.1] (${LOW_SIGMAS.join(", ")}), and D_M far off at intermediate σ ` +
  `(mean RMSE(D_M, D_θ) over σ ∈ [0.1, 4] above that of D_L).`;

/**
 * The verdict's criterion (v3), in words; fixed before any v3 result. v2 left out σ ≥ 21 and its part
 * (c), "D_M farther from D_θ than D_L", held by construction (a least-squares fit to D_θ beats D_M).
 */
export const CRITERION =
  `D_L is fitted on held-out images (experiments/distill.ts). Three parts: (a) the paper's: RMSE(D_L, D_θ) ` +
  `< ${THRESHOLD} at every level of σ ∈ [0.002, 0.1] (${LOW_SIGMAS.join(", ")}) and of σ ∈ [20, 80] (${
    HIGH_SIGMAS.join(", ")
  }); (b) D_θ is non-linear at intermediate noise: the largest RMSE(D_L, D_θ) over σ ∈ [0.1, 4] (${
    BAND_SIGMAS.join(", ")
  }) exceeds the largest over both of (a)'s ranges; (c) D_θ generalises there rather than memorises: the ` +
  `mean RMSE(D_M, D_θ) over σ ∈ [0.1, 4] exceeds the mean RMSE(D_G, D_θ) (neither is fitted to D_θ, so ` +
  `this can fail). Holds when all three hold, partial when two do, does not hold otherwise.`;

/** What C2 writes under `metrics`, and reads back for PAPER.md: one type for both. */
export type C2Metrics = {
  /** The σ grid. */
  sigmas: number[];
  /** Per σ: RMSE per pixel (eq. 10) to D_θ of D_L, D_G and D_M, on noisy held-out probes. */
  rmseLinearToNet: number[];
  rmseGaussianToNet: number[];
  rmseMultiDeltaToNet: number[];
  /** Those RMSEs of D_L, D_M and D_G averaged over σ ∈ [0.1, 4]. */
  bandLinearToNet: number;
  bandMultiDeltaToNet: number;
  bandGaussianToNet: number;
  /** 1 when RMSE(D_L, D_θ) < {@link THRESHOLD} at every low σ, else 0. */
  lowBelowThreshold: number;
  /** 1 when RMSE(D_L, D_θ) < {@link THRESHOLD} at every high σ, else 0. */
  highBelowThreshold: number;
  /** 1 when part (b) of {@link CRITERION} holds (D_θ non-linear at intermediate σ), else 0. */
  nonlinearInMiddle: number;
  /** 1 when part (c) holds (band RMSE(D_M, D_θ) above that of D_G), else 0. */
  multiDeltaFarInMiddle: number;
  /** 1 when the paper's criterion ({@link PAPER_CRITERION}) holds, else 0. */
  paperCriterionHolds: number;
};

/** Run C2 with command-line `args`; returns the result written. */
export async function runC2(args: string[]): Promise<Result> {
  // Config
  const ctx = await startExperiment("C2", args, { network: true });
  const zoo = ctx.profile.zoo;
  const cfg = ctx.profile.distill;
  const sigmas = cfg.sigmas;

  // Load or train; references; D_L
  const probes = await zooProbes(ctx);
  const model = await zooModel(ctx, { n: cfg.n, baseChannels: cfg.baseChannels });
  const refs = await zooReferences(ctx, cfg.n);
  const fits = await zooLinear(ctx, model, refs, sigmas, cfg.samples, "heldOut");

  // Measure
  const net = await loadDenoiser(model.dir, { weights: "ema" });
  const lToTheta: number[] = [];
  const gToTheta: number[] = [];
  const mToTheta: number[] = [];
  try {
    for (const [k, sigma] of sigmas.entries()) {
      const x = noisyProbes(probes, sigma, ZOO_SEEDS.probes);
      const th = await applyDenoiser(net.denoiser, x, sigma, 256);
      const rmse = async (D: typeof net.denoiser) =>
        scoreDifferenceFromOutputs(await applyDenoiser(D, x, sigma, 256), th).rmse;
      lToTheta.push(await rmse(fits[k].denoiser));
      gToTheta.push(await rmse(refs.DG));
      mToTheta.push(await rmse(refs.DM));
      log(
        `C2: σ = ${sigma}: RMSE to D_θ of D_L ${sig(lToTheta[k])}, D_G ${sig(gToTheta[k])}, D_M ${
          sig(mToTheta[k])
        }`,
      );
    }
  } finally {
    net.dispose();
  }

  // Verdict
  const at = (v: number[], s: readonly number[]) => s.map((x) => v[sigmas.indexOf(x)]);
  const lowOk = at(lToTheta, LOW_SIGMAS).every((v) => v < THRESHOLD);
  const highOk = at(lToTheta, HIGH_SIGMAS).every((v) => v < THRESHOLD);
  const bandMaxL = Math.max(...at(lToTheta, BAND_SIGMAS));
  const lowMaxL = Math.max(...at(lToTheta, LOW_SIGMAS));
  const outerMaxL = Math.max(lowMaxL, ...at(lToTheta, HIGH_SIGMAS));
  const nonlinearMiddle = bandMaxL > outerMaxL;
  const bandL = meanAt(sigmas, lToTheta, BAND_SIGMAS);
  const bandM = meanAt(sigmas, mToTheta, BAND_SIGMAS);
  const bandG = meanAt(sigmas, gToTheta, BAND_SIGMAS);
  const mFar = bandM > bandG;
  const parts = [lowOk && highOk, nonlinearMiddle, mFar].filter(Boolean).length;
  const holds = parts === 3 ? true : parts === 2 ? "partial" : false;
  const paperCriterionHolds = lowOk && highOk && bandM > bandL;
  const list = (v: number[]) => v.map((x) => sig(x)).join(", ");
  const summary = `RMSE(D_L, D_θ) at σ = ${sigmas.join(", ")}: ${list(lToTheta)}. ` +
    `(a) below ${THRESHOLD} at σ ≤ 0.1 (${list(at(lToTheta, LOW_SIGMAS))}): ${lowOk ? "yes" : "no"}; at ` +
    `σ ≥ 21 (${list(at(lToTheta, HIGH_SIGMAS))}): ${highOk ? "yes" : "no"}; (b) largest over σ ∈ [0.1, 4] ` +
    `${sig(bandMaxL)} ${nonlinearMiddle ? ">" : "≤"} largest over the outer ranges ${
      sig(outerMaxL)
    }; (c) mean ` +
    `over σ ∈ [0.1, 4] of RMSE(D_M, D_θ) ${sig(bandM)} ${mFar ? ">" : "≤"} that of D_G ${sig(bandG)} (D_L: ` +
    `${sig(bandL)}). The paper's version ${paperCriterionHolds ? "holds" : "does not hold"}.`;

  // Figures
  const figures: FigureFile[] = [{
    name: "c2_distillation.svg",
    content: await lineChartSvg({
      title: `C2: distance to D_θ (N = ${cfg.n}, C = ${cfg.baseChannels}) per σ`,
      xLabel: "σ",
      yLabel: "RMSE per pixel (eq. 10)",
      series: [
        { name: "RMSE(D_L, D_θ)", x: sigmas, y: lToTheta },
        { name: "RMSE(D_G, D_θ)", x: sigmas, y: gToTheta },
        { name: "RMSE(D_M, D_θ)", x: sigmas, y: mToTheta },
      ],
      rules: [{ y: THRESHOLD, label: `paper's threshold ${THRESHOLD}` }],
      logX: true,
      logY: true,
    }),
    caption: "Score difference between the trained denoiser and its best linear approximation D_L, the " +
      "Gaussian denoiser D_G and the multi-delta denoiser D_M, on noisy held-out probes.",
  }];

  // Write
  const metrics: C2Metrics = {
    sigmas,
    rmseLinearToNet: lToTheta,
    rmseGaussianToNet: gToTheta,
    rmseMultiDeltaToNet: mToTheta,
    bandLinearToNet: bandL,
    bandMultiDeltaToNet: bandM,
    bandGaussianToNet: bandG,
    lowBelowThreshold: Number(lowOk),
    highBelowThreshold: Number(highOk),
    nonlinearInMiddle: Number(nonlinearMiddle),
    multiDeltaFarInMiddle: Number(mFar),
    // 1 when the paper's version of the criterion holds, 0 when not (metrics are numbers).
    paperCriterionHolds: Number(paperCriterionHolds),
  };
  const { result } = await finishExperiment(ctx, {
    title: "Linear distillation: D_L ≈ D_θ at high and low noise, D_θ non-linear in between",
    config: {
      zoo: { ...zoo },
      distill: { ...cfg },
      bandSigmas: [...BAND_SIGMAS],
      lowSigmas: [...LOW_SIGMAS],
      highSigmas: [...HIGH_SIGMAS],
      weights: "ema",
      model: { n: cfg.n, baseChannels: cfg.baseChannels, key: model.key },
      drawsPerImage: fits[0].draws,
    },
    seeds: { training: zoo.seed, probes: ZOO_SEEDS.probes, distillation: DISTILL_SEED },
    metrics,
    paper: {
      reported: "RMSE(D_L, D_θ) < 0.05 for σ in [20, 80] and [0.002, 0.1]; D_M far off at intermediate σ " +
        "(FFHQ 64×64, N = 70000, 128 base channels)",
    },
    verdict: { holds, criterion: CRITERION, summary },
    notes: [
      `The paper's version of the criterion: ${PAPER_CRITERION}`,
      "At MNIST scale the training noise ln σ ~ N(−1.2, 1.2²) puts < 0.02% of its mass above σ = 21, so the " +
      "nets are barely trained there; v3 judges σ ≥ 21 all the same, as the paper does.",
      `D_L is the exact minimiser of the paper's distillation objective over a fixed sample of noisy held-out ` +
      `images (${cfg.fitImages} test-split images after the probes, ${
        fits[0].draws
      } draws each), the point ` +
      "gradient descent converges to (C10 (a)), not an Adam iterate. Distances are measured on the noisy " +
      "probes, a disjoint part of the test split.",
      `The model is the zoo's N = ${cfg.n}, C = ${cfg.baseChannels} model (${zoo.steps} steps at ` +
      `${zoo.resolution}×${zoo.resolution}), measured on its EMA weights.`,
    ],
  }, figures);
  return result;
}

/** The C2 metrics of a result, typed (the shape {@link runC2} writes; the seed mean over several seeds). */
export function c2Metrics(r: Result): C2Metrics {
  return claimMetricsOf<C2Metrics>(r, "C2");
}

/** PAPER.md's table of a C2 result: the three distances per σ. */
export function c2Table(r: Result): string {
  const m = c2Metrics(r);
  return [
    "| σ | RMSE(D_L, D_θ) | RMSE(D_G, D_θ) | RMSE(D_M, D_θ) |",
    "| --- | --- | --- | --- |",
    ...m.sigmas.map((s, k) =>
      `| ${s} | ${sig(m.rmseLinearToNet[k])} | ${sig(m.rmseGaussianToNet[k])} | ${
        sig(m.rmseMultiDeltaToNet[k])
      } |`
    ),
  ].join("\n");
}

if (import.meta.main) await runMain("c2", () => runSeeded(runC2, Deno.args));
