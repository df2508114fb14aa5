/**
 * C3 — D_L ≈ D_G (docs/paper.md "Claims"): the best linear approximation of a generalising D_θ is the
 * Gaussian denoiser of its training set: W_σ is close to the Wiener filter W*_σ = U diag(λ/(λ+σ²)) Uᵀ
 * and its leading singular vectors align with the principal components. The paper (FFHQ 64×64,
 * N = 70000) reports RMSE(D_L, D_G) < 0.05 at all 10 σ, NMSE(W_σ, W*_σ) < 0.2 for most σ, and aligned
 * leading singular vectors for σ ≥ 0.116.
 *
 * Method.
 * 1. Config: the profile's `zoo` and `distill` sections (the model, σ grid, samples, k singular vectors).
 * 2. Model and D_L at each σ as in C2 (experiments/distill.ts: the same fits, shared in one process).
 * 3. Reference: N(μ, Σ) of the same N images, D_G and W*_σ (Theorem 1).
 * 4. Measure at each σ: RMSE(D_L, D_G) on noisy held-out probes (eq. 10); NMSE(W_σ, W*_σ); the |cos|
 *    matrix of the k leading left singular vectors of W_σ against the k leading principal components
 *    (docs/paper.md "Metrics"), summarised by the mean of its diagonal.
 * 5. Verdict by {@link CRITERION} (adapted: σ ≥ 21 says nothing at our scale), with the paper's version
 *    {@link PAPER_CRITERION} reported beside it; both fixed before the first run.
 *
 * Run: `deno task c3 [--profile smoke|ci|full|paper] [--dataset mnist|fashion-mnist] [--retrain]`.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { type FigureFile, finishExperiment, runSeeded, sig, startExperiment } from "./_harness.ts";
import { ZOO_SEEDS, zooModel } from "./zoo.ts";
import { zooProbes, zooReferences } from "./references.ts";
import { DISTILL_SEED, fitNoise, linearToGaussian, zooLinear } from "./distill.ts";
import { wienerGainGap, wienerMatrix } from "../lib/denoisers/gaussian.ts";
import {
  leadingLeftSingularVectors,
  singularVectorAlignment,
  subspaceOverlap,
  wienerNMSE,
} from "../lib/metrics/spectral.ts";
import { heatmapSvg, lineChartSvg } from "../lib/results/figures.ts";
import { log } from "../lib/progress.ts";
import type { Result } from "../lib/results/schema.ts";
import { claimMetricsOf } from "../lib/results/seeds.ts";

/** The paper's thresholds: RMSE(D_L, D_G), NMSE(W, W*), and ours for "aligned" (mean diagonal |cos|). */
export const THRESHOLDS = Object.freeze({ rmse: 0.05, nmse: 0.2, alignment: 0.8 });

/** Lowest σ at which the paper reports aligned singular vectors. */
export const ALIGN_FROM = 0.1166;

/** The paper's criterion, reported beside the verdict. */
export const PAPER_CRITERION =
  `The paper's version: RMSE(D_L, D_G) < ${THRESHOLDS.rmse} at all 10 levels; NMSE(W_σ, W*_σ) < ` +
  `${THRESHOLDS.nmse} at most levels (more than half); leading singular vectors aligned (mean |cos| of ` +
  `the k leading pairs ≥ ${THRESHOLDS.alignment}) at every σ ≥ ${ALIGN_FROM}.`;

/** Smallest gap g_k − g_{k+1} of the Wiener gains at which the k leading directions count as identifiable. */
export const MIN_GAIN_GAP = 0.05;

/** Noise multiple: a part whose margin is within 2 × the fit's own noise cannot decide the verdict. */
export const NOISE_MULTIPLE = 2;

/**
 * The verdict's criterion (v3), in words; fixed before any v3 result. v2 fitted D_L on training images
 * (where D_L ≈ D_G holds by construction for any near-optimal denoiser), left out σ ≥ 21, and matched
 * singular vectors one by one where they are not identifiable.
 */
export const CRITERION =
  `D_L is fitted on held-out images (experiments/distill.ts). On all 10 levels, as the paper: (a) RMSE(D_L, ` +
  `D_G) < ${THRESHOLDS.rmse} at every level; (b) NMSE(W_σ, W*_σ) < ${THRESHOLDS.nmse} at more than half of ` +
  `them; (c) the span of the k leading left singular vectors of W_σ overlaps that of the k leading ` +
  `principal components (‖U_kᵀV_k‖²_F / k ≥ ${THRESHOLDS.alignment}), judged only at σ ≥ ${ALIGN_FROM} where ` +
  `the Wiener gains separate the k leading directions (g_k − g_{k+1} ≥ ${MIN_GAIN_GAP}; nearer gains make ` +
  `the subspace unidentifiable), and void when no level qualifies. Holds when every part that is not void ` +
  `holds, partial when one fails, does not hold otherwise. The fit's own noise (half the RMSE between D_L ` +
  `fitted on two disjoint halves of the fit images) is measured; when (a) decided with RMSE ± ` +
  `${NOISE_MULTIPLE}× that noise gives different verdicts, the verdict is 'inconclusive'.`;

/** What C3 writes under `metrics`, and reads back for PAPER.md: one type for both. */
export type C3Metrics = {
  /** The σ grid. */
  sigmas: number[];
  /** The number k of leading singular vectors and principal components compared. */
  k: number;
  /** Per σ: RMSE(D_L, D_G) per pixel (eq. 10) on noisy held-out probes, D_L fitted on held-out images. */
  rmseLinearToGaussian: number[];
  /** Per σ: NMSE(W_σ, W*_σ) of D_L's matrix against the Wiener matrix. */
  nmseToWiener: number[];
  /** Per σ: mean diagonal |cos| of the k leading singular vectors of W_σ and principal components. */
  alignment: number[];
  /** Per σ: those k diagonal |cos| values. */
  alignmentDiagonal: number[][];
  /** Per σ: subspace overlap ‖U_kᵀV_k‖²_F / k of the k leading directions. */
  subspaceOverlap: number[];
  /** Per σ: the Wiener gain gap g_k − g_{k+1}. */
  wienerGainGap: number[];
  /** Per σ: the fit's own noise (half the RMSE between D_L fitted on two disjoint halves of the images). */
  fitNoise: number[];
  /** Per σ: RMSE(D_L, D_G) with D_L fitted on the training images instead (the control). */
  rmseLinearToGaussianTrainingFit: number[];
  /** 1 when part (a) holds (RMSE(D_L, D_G) < 0.05 at every σ), else 0. */
  rmseBelowThreshold: number;
  /** The number of σ levels with NMSE(W_σ, W*_σ) < 0.2. */
  nmseBelowThresholdCount: number;
  /** 1 aligned, 0 not, null when no level qualified (part (c)). */
  aligned: number | null;
  /** 1 when the paper's criterion ({@link PAPER_CRITERION}) holds, else 0. */
  paperCriterionHolds: number;
};

/** Run C3 with command-line `args`; returns the result written. */
export async function runC3(args: string[]): Promise<Result> {
  // Config
  const ctx = await startExperiment("C3", args, { network: true });
  const zoo = ctx.profile.zoo;
  const cfg = ctx.profile.distill;
  const sigmas = cfg.sigmas;

  // Load or train; references; D_L
  const probes = await zooProbes(ctx);
  const model = await zooModel(ctx, { n: cfg.n, baseChannels: cfg.baseChannels });
  const refs = await zooReferences(ctx, cfg.n);
  const fits = await zooLinear(ctx, model, refs, sigmas, cfg.samples, "heldOut");
  const control = await zooLinear(ctx, model, refs, sigmas, cfg.samples, "train");
  const d = refs.train.d;
  const k = Math.min(cfg.alignK, d);

  // Measure
  const rmse = await linearToGaussian(fits, refs, probes);
  const rmseTrainFit = await linearToGaussian(control, refs, probes);
  const noise = await fitNoise(ctx, model, refs, sigmas, cfg.samples, probes);
  const nmse: number[] = [];
  const alignment: number[] = [];
  const overlap: number[] = [];
  const gainGap: number[] = [];
  const alignDiagonal: number[][] = [];
  const alignMatrices: number[][][] = [];
  for (const [i, sigma] of sigmas.entries()) {
    nmse.push(wienerNMSE(fits[i].W, wienerMatrix(refs.gaussian, sigma)));
    const a = singularVectorAlignment(fits[i].W, refs.gaussian.U, d, k);
    alignDiagonal.push(Array.from(a.diagonal));
    alignment.push(a.diagonal.reduce((s, v) => s + v, 0) / k);
    const sv = leadingLeftSingularVectors(fits[i].W, d, k);
    overlap.push(subspaceOverlap(sv.vectors, k, refs.gaussian.U, d, d, k));
    gainGap.push(wienerGainGap(refs.gaussian, sigma, k));
    alignMatrices.push(
      Array.from({ length: k }, (_, r) => Array.from(a.matrix.subarray(r * k, (r + 1) * k))),
    );
    log(
      `C3: σ = ${sigma}: RMSE(D_L, D_G) ${sig(rmse[i])}, NMSE(W, W*) ${sig(nmse[i])}, ` +
        `subspace overlap ${sig(overlap[i])} (gain gap ${sig(gainGap[i])}); fit noise ${sig(noise[i])}; ` +
        `training-image fit ${sig(rmseTrainFit[i])}`,
    );
  }

  // Verdict
  const all = sigmas.map((_, i) => i);
  const nmseCount = all.filter((i) => nmse[i] < THRESHOLDS.nmse).length;
  const nmseOk = nmseCount > sigmas.length / 2;
  const alignJudged = all.filter((i) => sigmas[i] >= ALIGN_FROM && gainGap[i] >= MIN_GAIN_GAP);
  const alignOk = alignJudged.length === 0
    ? null
    : alignJudged.every((i) => overlap[i] >= THRESHOLDS.alignment);
  const verdictWith = (shift: number): boolean | "partial" => {
    const parts = [all.every((i) => rmse[i] + shift * noise[i] < THRESHOLDS.rmse), nmseOk];
    if (alignOk !== null) parts.push(alignOk);
    const failed = parts.filter((p) => !p).length;
    return failed === 0 ? true : failed === 1 ? "partial" : false;
  };
  const low = verdictWith(-NOISE_MULTIPLE);
  const high = verdictWith(NOISE_MULTIPLE);
  const holds = low === high ? verdictWith(0) : "inconclusive";
  const rmseOk = all.every((i) => rmse[i] < THRESHOLDS.rmse);
  const paperCriterionHolds = rmseOk && nmseOk &&
    sigmas.every((s, i) => s < ALIGN_FROM || alignment[i] >= THRESHOLDS.alignment);
  const list = (v: number[]) => v.map((x) => sig(x)).join(", ");
  const summary =
    `At σ = ${sigmas.join(", ")}: RMSE(D_L, D_G) ${list(rmse)} (fit noise ${list(noise)}; fitted on the ` +
    `training images instead: ${list(rmseTrainFit)}); NMSE(W_σ, W*_σ) ${list(nmse)}; subspace overlap of ` +
    `the ${k} leading directions ${list(overlap)} (gain gaps ${
      list(gainGap)
    }). (a) RMSE < ${THRESHOLDS.rmse} ` +
    `everywhere: ${
      rmseOk ? "yes" : "no"
    }; (b) NMSE < ${THRESHOLDS.nmse} at ${nmseCount} of ${sigmas.length}; ` +
    `(c) ${
      alignOk === null
        ? "void: no level σ ≥ " + ALIGN_FROM + " separates the gains"
        : `overlap ≥ ${THRESHOLDS.alignment} at the ${alignJudged.length} judged level(s) (σ = ${
          alignJudged.map((i) => sigmas[i]).join(", ")
        }): ${alignOk ? "yes" : "no"}`
    }. ${
      holds === "inconclusive"
        ? `(a) changes with RMSE ± ${NOISE_MULTIPLE}× the fit noise: inconclusive. `
        : ""
    }The paper's version (one-by-one alignment) ${paperCriterionHolds ? "holds" : "does not hold"}.`;

  // Figures
  const show = [sigmas.indexOf(1.502), sigmas.indexOf(0.1166), sigmas.indexOf(0.0204)].filter((i) => i >= 0);
  const figures: FigureFile[] = [
    {
      name: "c3_linear_vs_gaussian.svg",
      content: await lineChartSvg({
        title: `C3: D_L of D_θ (N = ${cfg.n}) against D_G per σ`,
        xLabel: "σ",
        yLabel: "RMSE(D_L, D_G) / NMSE(W, W*)",
        series: [
          { name: "RMSE(D_L, D_G)", x: sigmas, y: rmse },
          { name: "NMSE(W_σ, W*_σ)", x: sigmas, y: nmse },
        ],
        rules: [{ y: THRESHOLDS.rmse, label: "0.05" }, { y: THRESHOLDS.nmse, label: "0.2" }],
        logX: true,
        logY: true,
      }),
      caption: "Distance between the linear approximation of the trained denoiser and the Gaussian " +
        "denoiser (RMSE on noisy held-out probes), and the normalised distance of their matrices.",
    },
    {
      name: "c3_alignment.svg",
      content: await lineChartSvg({
        title: `C3: alignment of the ${k} leading singular vectors of W_σ with the principal components`,
        xLabel: "σ",
        yLabel: "mean |cos| (diagonal)",
        series: [{ name: "mean diagonal |cos|", x: sigmas, y: alignment }],
        rules: [{ y: THRESHOLDS.alignment, label: String(THRESHOLDS.alignment) }],
        logX: true,
      }),
      caption: "Mean |cosine| between the i-th left singular vector of W_σ and the i-th principal " +
        "component of the training set, i = 1…k.",
    },
    ...await Promise.all(show.map(async (i) => ({
      name: `c3_alignment_sigma_${String(sigmas[i]).replace(".", "p")}.svg`,
      content: await heatmapSvg(alignMatrices[i], {
        title: `C3: |cos| of singular vectors of W (rows) and principal components (columns), σ = ${
          sigmas[i]
        }`,
        xLabel: "principal component j",
        yLabel: "singular vector i",
      }),
      caption: `The |cos| matrix behind the alignment at σ = ${sigmas[i]}.`,
    }))),
  ];

  // Write
  const metrics: C3Metrics = {
    sigmas,
    k,
    rmseLinearToGaussian: rmse,
    nmseToWiener: nmse,
    alignment,
    alignmentDiagonal: alignDiagonal,
    subspaceOverlap: overlap,
    wienerGainGap: gainGap,
    fitNoise: noise,
    rmseLinearToGaussianTrainingFit: rmseTrainFit,
    rmseBelowThreshold: Number(rmseOk),
    nmseBelowThresholdCount: nmseCount,
    // 1 aligned, 0 not, null when no level qualified.
    aligned: alignOk === null ? null : Number(alignOk),
    // 1 when the paper's version of the criterion holds, 0 when not (metrics are numbers).
    paperCriterionHolds: Number(paperCriterionHolds),
  };
  const { result } = await finishExperiment(ctx, {
    title: "The linear part of a generalising D_θ is the Gaussian denoiser: D_L ≈ D_G",
    config: {
      zoo: { ...zoo },
      distill: { ...cfg },
      thresholds: { ...THRESHOLDS },
      minGainGap: MIN_GAIN_GAP,
      noiseMultiple: NOISE_MULTIPLE,
      alignFrom: ALIGN_FROM,
      weights: "ema",
      model: { n: cfg.n, baseChannels: cfg.baseChannels, key: model.key },
      drawsPerImage: fits[0].draws,
    },
    seeds: { training: zoo.seed, probes: ZOO_SEEDS.probes, distillation: DISTILL_SEED },
    metrics,
    paper: {
      reported: "RMSE(D_L, D_G) < 0.05 at all 10 σ; NMSE(W_σ, Wiener) < 0.2 for most σ; leading singular " +
        "vectors align for σ ≥ 0.116 (FFHQ 64×64, N = 70000)",
    },
    verdict: { holds, criterion: CRITERION, summary },
    notes: [
      `The paper's version of the criterion: ${PAPER_CRITERION}`,
      "rmseLinearToGaussianTrainingFit is the control: D_L fitted on the model's own training images, where " +
      "the best linear fit of any near-optimal denoiser (a memoriser's included) is D_G by construction.",
      "The alignment threshold 0.8 is ours: the paper shows the |cos| matrices without a number. At low σ " +
      "the Wiener gains λ/(λ+σ²) are all near 1, so the singular values of W are nearly equal and their " +
      "vectors are not identifiable; that is why the paper (and our criterion) judges alignment only from " +
      `σ = ${ALIGN_FROM} on.`,
      "D_L is the exact minimiser of the paper's distillation objective over a fixed sample of noisy " +
      `held-out images (experiments/distill.ts, ${cfg.fitImages} images), shared with C2.`,
    ],
  }, figures);
  return result;
}

/** The C3 metrics of a result, typed (the shape {@link runC3} writes; the seed mean over several seeds). */
export function c3Metrics(r: Result): C3Metrics {
  return claimMetricsOf<C3Metrics>(r, "C3");
}

/** PAPER.md's table of a C3 result: RMSE, NMSE and alignment per σ. */
export function c3Table(r: Result): string {
  const m = c3Metrics(r);
  return [
    "| σ | RMSE(D_L, D_G) | NMSE(W_σ, W*_σ) | mean \\|cos\\| of leading singular vectors |",
    "| --- | --- | --- | --- |",
    ...m.sigmas.map((s, i) =>
      `| ${s} | ${sig(m.rmseLinearToGaussian[i])} | ${sig(m.nmseToWiener[i])} | ${sig(m.alignment[i])} |`
    ),
  ].join("\n");
}

if (import.meta.main) await runMain("c3", () => runSeeded(runC3, Deno.args));
