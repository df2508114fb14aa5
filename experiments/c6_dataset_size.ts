/**
 * C6 — more data moves D_θ towards D_G (docs/paper.md "Claims"): as the training set grows, a trained
 * diffusion denoiser approaches the Gaussian denoiser D_G of its own training set. The paper (FFHQ 64×64,
 * N = 68 … 70000) reports RMSE(D_θ, D_G) falling with N, mostly at σ in [0.1, 20].
 *
 * Method.
 * 1. Config: the profile's `zoo` section (training, probes, samples) and its `c6` section (the N values,
 *    the capacity C, the σ grid).
 * 2. Models: for each N, the zoo model trained on the first N training images (experiments/zoo.ts; the
 *    same models serve C7 and any other claim that asks for (N, C)).
 * 3. References: per N, the Gaussian N(μ, Σ) of the same N images with D_G, and D_M; held-out probes
 *    from the test split.
 * 4. Measure per N: RMSE(D_θ, D_G), RMSE(D_θ, D_M) and RMSE(D_G, D_M) at the paper's 10 σ levels on
 *    noisy held-out probes (eq. 10); the generalisation score GL (eq. 14) of D_θ's Heun samples, beside
 *    GL_ref of real held-out images and GL of D_G's own samples, all against the same training set.
 * 5. Verdict by {@link CRITERION}, fixed before the first run.
 *
 * Run: `deno task c6 [--profile smoke|ci|full|paper] [--dataset mnist|fashion-mnist] [--retrain]`.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { type FigureFile, finishExperiment, runSeeded, sig, startExperiment } from "./_harness.ts";
import {
  gaussianGeneralization,
  heldOutGeneralization,
  measureCheckpoint,
  type Measurement,
  referenceGap,
  sampleGridPng,
} from "./measure.ts";
import { meanAt, rankCorrelation } from "../lib/metrics/stats.ts";
import { ZOO_SEEDS, zooModel } from "./zoo.ts";
import { zooProbes, zooReferences } from "./references.ts";
import { unetParamCount } from "../lib/denoisers/unet.ts";
import { lineChartSvg } from "../lib/results/figures.ts";
import { log } from "../lib/progress.ts";
import type { Result } from "../lib/results/schema.ts";
import { claimMetricsOf } from "../lib/results/seeds.ts";
import type { GridLabels } from "../lib/results/figures.ts";
import { BAND_SIGMAS, PAPER_BAND_SIGMAS } from "./bands.ts";

/** Fraction of its smallest-N value the band mean must fall to at the largest N. */
export const FALL_RATIO = 0.9;

/** Largest Spearman correlation of the band mean with N that still counts as falling. */
export const MAX_RANK_CORRELATION = -0.8;

/** The verdict's criterion, in words; fixed before the experiment was first run. */
export const CRITERION =
  "Holds when the mean of RMSE(D_θ, D_G) (eq. 10, noisy held-out probes) over the grid " +
  `levels in the informative range σ ∈ [0.1, 4] (${BAND_SIGMAS.join(", ")}; docs/scale.md) falls with N: ` +
  `(a) at the largest N it is at most ${FALL_RATIO}× its value at the smallest N, and (b) its Spearman rank ` +
  `correlation with N is at most ${MAX_RANK_CORRELATION} (with 4 or 5 sizes this allows one adjacent pair out ` +
  "of order). Partial when (a) holds but (b) does not; does not hold when (a) fails. RMSE(D_θ, D_M), the " +
  "paper's wider range [0.1, 20] and the generalisation scores are reported beside it and do not enter the " +
  "verdict.";

/** What C6 writes under `metrics`, and reads back for PAPER.md: one type for both. */
export type C6Metrics = {
  /** Training-set sizes N, increasing; every per-N list follows them. */
  ns: number[];
  /** The σ grid. */
  sigmas: number[];
  /** Per N: the U-Net's parameter count. */
  params: number[];
  /** Per N and σ: RMSE per pixel (eq. 10) of D_θ to D_G and to D_M, on noisy held-out probes. */
  rmseToGaussian: number[][];
  rmseToMultiDelta: number[][];
  /** Per N and σ: RMSE(D_G, D_M), how far apart the two references are. */
  rmseGaussianToMultiDelta: number[][];
  /** Per N: those three averaged over σ ∈ [0.1, 4]. */
  bandToGaussian: number[];
  bandToMultiDelta: number[];
  bandGaussianToMultiDelta: number[];
  /** Per N: RMSE(D_θ, D_G) averaged over the paper's wider σ ∈ [0.1, 20]. */
  paperBandToGaussian: number[];
  /** Per σ: RMSE(D_θ, D_G) at the largest N over that at the smallest. */
  ratioAtSigma: number[];
  /** Band RMSE(D_θ, D_G) at the largest N over that at the smallest (part (a)). */
  fallRatio: number;
  /** Spearman correlation of the band RMSE(D_θ, D_G) with N (part (b)). */
  spearman: number;
  /** Per N: GL (eq. 14) of D_θ's samples, GL_ref of held-out images, GL of D_G's samples. */
  gl: number[];
  glRef: number[];
  glGaussian: number[];
};

/** Run C6 with command-line `args`; returns the result written. */
export async function runC6(args: string[]): Promise<Result> {
  // Config
  const ctx = await startExperiment("C6", args, { network: true });
  const zoo = ctx.profile.zoo;
  const cfg = ctx.profile.c6;
  if (cfg.ns.length < 2 || cfg.ns.some((n, i) => i > 0 && n <= cfg.ns[i - 1])) {
    throw new RangeError(
      `experiments/c6_dataset_size.ts: profile ${ctx.profile.name} needs ≥ 2 increasing N`,
    );
  }
  const sigmas = cfg.sigmas;

  // Load the probes; train (or find) the models
  const probes = await zooProbes(ctx);
  log(`C6: N = ${cfg.ns.join(", ")} at C = ${cfg.baseChannels}, ${zoo.steps} steps; ${probes.n} probes`);
  const models = [];
  for (const n of cfg.ns) models.push(await zooModel(ctx, { n, baseChannels: cfg.baseChannels }));

  // Measure
  const m: Measurement[] = [];
  const gap: number[][] = [];
  const glRef: number[] = [];
  const glGaussian: number[] = [];
  for (const [i, n] of cfg.ns.entries()) {
    const refs = await zooReferences(ctx, n);
    m.push(await measureCheckpoint(ctx, models[i].dir, refs, probes, sigmas));
    gap.push(await referenceGap(refs, probes, sigmas));
    glRef.push(heldOutGeneralization(refs, probes, zoo.nSamples));
    glGaussian.push(gaussianGeneralization(refs, zoo.nSamples).score);
    log(
      `C6: N = ${n}: band RMSE to D_G ${sig(meanAt(sigmas, m[i].toG, BAND_SIGMAS))}, to D_M ${
        sig(meanAt(sigmas, m[i].toM, BAND_SIGMAS))
      }; GL ${sig(m[i].gl)} (held-out ${sig(glRef[i])}, D_G ${sig(glGaussian[i])})`,
    );
  }
  const toG = m.map((x) => x.toG);
  const toM = m.map((x) => x.toM);
  const band = (ys: number[][], at: readonly number[]) => ys.map((y) => meanAt(sigmas, y, at));
  const bandToG = band(toG, BAND_SIGMAS);
  const bandToM = band(toM, BAND_SIGMAS);
  const bandGM = band(gap, BAND_SIGMAS);
  const paperBandToG = band(toG, PAPER_BAND_SIGMAS);
  const gl = m.map((x) => x.gl);

  // Verdict
  const last = cfg.ns.length - 1;
  const fallRatio = bandToG[last] / bandToG[0];
  const spearman = rankCorrelation(cfg.ns, bandToG);
  const fell = fallRatio <= FALL_RATIO;
  const ranked = spearman <= MAX_RANK_CORRELATION;
  const holds = fell && ranked ? true : fell ? "partial" : false;
  const ratioAtSigma = sigmas.map((_, k) => toG[last][k] / toG[0][k]);
  const fallsInPaperBand = PAPER_BAND_SIGMAS.filter((s) => ratioAtSigma[sigmas.indexOf(s)] < 1).length;
  const summary =
    `Band-mean RMSE(D_θ, D_G) over σ ∈ [0.1, 4]: ${bandToG.map((x) => sig(x)).join(", ")} for N = ${
      cfg.ns.join(", ")
    } ` +
    `(largest/smallest ${sig(fallRatio)}, ${fell ? "≤" : ">"} ${FALL_RATIO}; Spearman ${sig(spearman, 2)}, ` +
    `${
      ranked ? "≤" : ">"
    } ${MAX_RANK_CORRELATION}). In the paper's range [0.1, 20] it is lower at the largest ` +
    `N than at the smallest at ${fallsInPaperBand} of ${PAPER_BAND_SIGMAS.length} levels. RMSE(D_θ, D_M) ` +
    `(band): ${bandToM.map((x) => sig(x)).join(", ")}; D_G–D_M gap ${
      bandGM.map((x) => sig(x)).join(", ")
    }. ` +
    `GL of D_θ's samples ${gl.map((x) => sig(x)).join(", ")} against GL_ref of held-out images ` +
    `${glRef.map((x) => sig(x)).join(", ")} and GL of D_G's samples ${
      glGaussian.map((x) => sig(x)).join(", ")
    }.`;

  // Figures
  const perN = (ys: number[][]) => cfg.ns.map((n, i) => ({ name: `N = ${n}`, x: sigmas, y: ys[i] }));
  const figures: FigureFile[] = [
    {
      name: "c6_rmse_to_gaussian.svg",
      content: await lineChartSvg({
        title: "C6: RMSE(D_θ, D_G) per σ, one line per training-set size N",
        xLabel: "σ",
        yLabel: "RMSE per pixel (eq. 10)",
        series: perN(toG),
        logX: true,
        logY: true,
      }),
      caption:
        "Score difference between the trained denoiser and the Gaussian denoiser of its training set, " +
        "on noisy held-out probes, at the paper's 10 σ levels.",
    },
    {
      name: "c6_rmse_to_multidelta.svg",
      content: await lineChartSvg({
        title: "C6: RMSE(D_θ, D_M) per σ, one line per N",
        xLabel: "σ",
        yLabel: "RMSE per pixel (eq. 10)",
        series: perN(toM),
        logX: true,
        logY: true,
      }),
      caption: "Score difference between the trained denoiser and the multi-delta (memorising) denoiser of " +
        "its training set.",
    },
    {
      name: "c6_band.svg",
      content: await lineChartSvg({
        title: "C6: mean RMSE over σ ∈ [0.1, 4] against N",
        xLabel: "training images N",
        yLabel: "mean RMSE per pixel over σ ∈ [0.1, 4]",
        series: [
          { name: "RMSE(D_θ, D_G)", x: cfg.ns, y: bandToG },
          { name: "RMSE(D_θ, D_M)", x: cfg.ns, y: bandToM },
          { name: "RMSE(D_G, D_M)", x: cfg.ns, y: bandGM },
        ],
        logX: true,
      }),
      caption:
        "The criterion's quantity (RMSE(D_θ, D_G) averaged over the informative σ levels) against N, " +
        "with the distance to D_M and the gap between the two references.",
    },
    {
      name: "c6_generalization.svg",
      content: await lineChartSvg({
        title: "C6: generalisation score against N",
        xLabel: "training images N",
        yLabel: "GL (eq. 14)",
        series: [
          { name: "D_θ samples", x: cfg.ns, y: gl },
          { name: "held-out images", x: cfg.ns, y: glRef },
          { name: "D_G samples", x: cfg.ns, y: glGaussian },
        ],
        logX: true,
      }),
      caption:
        "Mean relative distance of samples to their nearest training image. The paper's 0.6 threshold " +
        "is FFHQ's; here D_θ's score is read against real held-out images and D_G's samples at the same N.",
    },
    {
      name: "c6_samples.png",
      content: sampleGridPng(m.map((x) => x.samples), probes),
      caption: `Heun samples of D_θ from the same initial noise; one row per N (${
        cfg.ns.join(", ")
      }, top to bottom).`,
    },
  ];

  // Write
  const metrics: C6Metrics = {
    ns: cfg.ns,
    sigmas,
    params: models.map((x) => unetParamCount(x.spec.net)),
    rmseToGaussian: toG,
    rmseToMultiDelta: toM,
    rmseGaussianToMultiDelta: gap,
    bandToGaussian: bandToG,
    bandToMultiDelta: bandToM,
    bandGaussianToMultiDelta: bandGM,
    paperBandToGaussian: paperBandToG,
    ratioAtSigma,
    fallRatio,
    spearman,
    gl,
    glRef,
    glGaussian,
  };
  const { result } = await finishExperiment(ctx, {
    title: "More data moves D_θ towards the Gaussian denoiser D_G",
    config: {
      zoo: { ...zoo },
      c6: { ...cfg },
      bandSigmas: [...BAND_SIGMAS],
      paperBandSigmas: [...PAPER_BAND_SIGMAS],
      weights: "ema",
      models: models.map((x, i) => ({ n: cfg.ns[i], baseChannels: cfg.baseChannels, key: x.key })),
    },
    seeds: { training: zoo.seed, probes: ZOO_SEEDS.probes, samples: ZOO_SEEDS.samples },
    metrics,
    paper: {
      reported: "RMSE(D_θ, D_G) falls with N, mostly at σ in [0.1, 20] (FFHQ 64×64, N = 68 … 70000, " +
        "128 base channels)",
    },
    verdict: { holds, criterion: CRITERION, summary },
    notes: [
      "The criterion averages σ ∈ [0.1, 4], not the paper's [0.1, 20]: at MNIST scale D_G and D_M agree to " +
      "within ~0.006 for σ ≥ 21 and the nets are barely trained there, so differences at high σ measure " +
      "extrapolation, not structure (docs/scale.md); the paper's range is reported as paperBandToGaussian.",
      "With N < d the empirical covariance has rank ≤ N − 1, so D_G leaves held-out probes far off at σ ≤ 0.12 " +
      "for that reason alone; the lowest levels are shown but not judged.",
      "GL: the paper reads GL > 0.6 as generalising on FFHQ; that threshold does not carry over to MNIST " +
      "(docs/scale.md: held-out MNIST images score ~0.25–0.45). D_θ's GL is reported beside GL_ref (real " +
      "held-out images against the same training set) and the GL of D_G's closed-form samples.",
      `Every model is the zoo's: ${zoo.steps} Adam steps of batch ${zoo.batchSize} at ${zoo.resolution}×` +
      `${zoo.resolution}, measured on its EMA weights; all models share the training seed and the probe and ` +
      "sample noise, so differences between N are not differences of noise.",
    ],
  }, figures);
  return result;
}

/** The C6 metrics of a result, typed (the shape {@link runC6} writes; the seed mean over several seeds). */
export function c6Metrics(r: Result): C6Metrics {
  return claimMetricsOf<C6Metrics>(r, "C6");
}

/** PAPER.md's table of a C6 result: band means, the σ = 1.502 value and the generalisation scores per N. */
export function c6Table(r: Result): string {
  const m = c6Metrics(r);
  const k = m.sigmas.indexOf(1.502);
  return [
    "| N | RMSE(D_θ, D_G), σ ∈ [0.1, 4] | σ ∈ [0.1, 20] | at σ = 1.502 | RMSE(D_θ, D_M), σ ∈ [0.1, 4] | " +
    "RMSE(D_G, D_M) | GL(D_θ) | GL_ref | GL(D_G) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...m.ns.map((n, i) =>
      `| ${n} | ${sig(m.bandToGaussian[i])} | ${sig(m.paperBandToGaussian[i])} | ${
        k >= 0 ? sig(m.rmseToGaussian[i][k]) : "—"
      } | ${sig(m.bandToMultiDelta[i])} | ${sig(m.bandGaussianToMultiDelta[i])} | ${sig(m.gl[i])} | ${
        sig(m.glRef[i])
      } | ${sig(m.glGaussian[i])} |`
    ),
  ].join("\n");
}

if (import.meta.main) await runMain("c6", () => runSeeded(runC6, Deno.args));

/** Row labels of `c6_samples.png` (one row per N), for PAPER.md. */
export function c6GridLabels(r: Result): GridLabels {
  const ns = c6Metrics(r).ns;
  return { rows: ns.map((n) => `N = ${n}`), title: "D_θ's Heun samples, one column per initial noise" };
}
