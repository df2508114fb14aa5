/**
 * C1 — linearity emerges as models move from memorisation to generalisation (docs/paper.md "Claims"): as the
 * training set grows, a trained diffusion denoiser becomes more nearly linear. The paper (FFHQ 64×64,
 * N = 68 … 70000) reports the linearity score (eq. 11) rising with N, and generalising models staying above
 * 0.96 even at the least favourable α.
 *
 * Method.
 * 1. Config: the profile's `zoo` section (training, probes) and its `c1` section (the N values, the capacity
 *    C, the σ grid, the number of pairs, the α² sweep).
 * 2. Models: for each N, the zoo model trained on the first N training images (experiments/zoo.ts; the
 *    same models as C6's N sweep when the profiles agree on N and C).
 * 3. References: per N, the Gaussian N(μ, Σ) of the same N images (its mean μ centres the score) and D_M;
 *    held-out probes from the test split.
 * 4. Measure per N, σ and α²: the linearity score (eq. 11, lib/metrics/linearity.ts) of D_θ and of D_M,
 *    raw (the paper's) and centred on μ (docs/scale.md), on pairs of distinct held-out probes plus noise,
 *    all seeded by {@link C1_SEED} (the same pairs and noise for every model, σ and α). D_G's scores once,
 *    at the largest N, as a check: its centred score is exactly 1.
 * 5. Summaries: band means over σ ∈ [0.1, 4] ({@link BAND_SIGMAS}) at α² = 0.5, the minimum over α² of the
 *    raw score at each band σ at the largest N, and the Spearman correlation of the band means with N.
 * 6. Verdict by {@link CRITERION} (fixed before the first run); the paper's own criterion
 *    ({@link PAPER_CRITERION}) is reported beside it as `metrics.paperCriterionHolds`.
 *
 * Run: `deno task c1 [--profile smoke|ci|full|paper] [--dataset mnist|fashion-mnist]
 * [--retrain]`.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { type FigureFile, finishExperiment, runSeeded, sig, startExperiment } from "./_harness.ts";
import { BAND_SIGMAS } from "./bands.ts";
import { meanAt, rankCorrelation } from "../lib/metrics/stats.ts";
import { zooModel } from "./zoo.ts";
import { zooProbes, zooReferences } from "./references.ts";
import { unetParamCount } from "../lib/denoisers/unet.ts";
import { loadDenoiser } from "../lib/training/model.ts";
import { type LinearityPoint, linearitySweep } from "../lib/metrics/linearity.ts";
import { lineChartSvg } from "../lib/results/figures.ts";
import { log } from "../lib/progress.ts";
import type { Batch, Denoiser } from "../lib/types.ts";
import type { Result } from "../lib/results/schema.ts";
import { claimMetricsOf } from "../lib/results/seeds.ts";

/** Seed of the linearity pairs and their noise (lib/metrics/linearity.ts): one seed for every model and σ. */
export const C1_SEED = 6101;

/** The paper's main setting α = β = 1/√2 (eq. 11), at which band means are taken. */
export const MAIN_ALPHA_SQUARED = 0.5;

/** Smallest Spearman correlation of a band mean with N that counts as rising with N. */
export const MIN_RANK_CORRELATION = 0.8;

/** The paper's floor for generalising models' linearity score at the least favourable α (eq. 11). */
export const PAPER_MIN_LS = 0.96;

/** The paper's criterion in words: reported beside the verdict (`metrics.paperCriterionHolds`), not deciding it. */
export const PAPER_CRITERION =
  "The paper's version (reported, does not decide the verdict): the raw linearity " +
  `score (eq. 11) averaged over σ ∈ [0.1, 4] (${
    BAND_SIGMAS.join(", ")
  }) at α² = ${MAIN_ALPHA_SQUARED} rises with N ` +
  `(Spearman rank correlation with N ≥ ${MIN_RANK_CORRELATION}), and at the largest N the raw score at the ` +
  `least favourable α² of the sweep is ≥ ${PAPER_MIN_LS} at every one of those σ levels.`;

/** The verdict's criterion, in words; fixed before the experiment was first run. */
export const CRITERION =
  "Holds when the centred linearity score (eq. 11 for D̃(z) = D(μ + z) − μ, z = x − μ, " +
  "μ the training mean; docs/scale.md) of D_θ, averaged over the grid levels in the informative range " +
  `σ ∈ [0.1, 4] (${BAND_SIGMAS.join(", ")}) at α² = ${MAIN_ALPHA_SQUARED}, rises with N: (a) its value at ` +
  `the largest N exceeds its value at the smallest N, and (b) its Spearman rank correlation with N is at ` +
  `least ${MIN_RANK_CORRELATION}. Partial when (a) holds but (b) does not; does not hold when (a) fails. ` +
  "Adapted from the paper's raw score because at MNIST scale the raw score is ~0.98 for every model and " +
  "even for D_M (the −1 background dominates the cosine); centring on the data mean removes that. The " +
  "raw score, the paper's own criterion and whether the largest-N model's centred score exceeds its D_M's " +
  "are reported beside the verdict and do not enter it.";

/** What C1 writes under `metrics`, and reads back for PAPER.md: one type for both. */
export type C1Metrics = {
  /** Training-set sizes N, increasing; every per-N list follows them. */
  ns: number[];
  /** The σ grid. */
  sigmas: number[];
  /** The α² sweep (β² = 1 − α²). */
  alphaSquared: number[];
  /** Per N: the U-Net's parameter count. */
  params: number[];
  /** Per N, σ and α²: D_θ's linearity score (eq. 11), raw and centred on the training mean μ. */
  rawLs: number[][][];
  centredLs: number[][][];
  /** Same shape: D_M's. */
  rawLsMultiDelta: number[][][];
  centredLsMultiDelta: number[][][];
  /** Per σ and α²: D_G's at the largest N (a check: its centred score is exactly 1). */
  rawLsGaussianAtLargestN: number[][];
  centredLsGaussianAtLargestN: number[][];
  /** Largest |1 − D_G's centred score| over σ and α². */
  gaussianCentredMaxDeviation: number;
  /** Per N: band means over σ ∈ [0.1, 4] at α² = 0.5, of D_θ and of D_M, raw and centred. */
  bandRaw: number[];
  bandCentred: number[];
  bandRawMultiDelta: number[];
  bandCentredMultiDelta: number[];
  /** Per band σ: D_θ's lowest score over α² at the largest N (the paper's least favourable α). */
  minAlphaRawAtLargestN: number[];
  minAlphaCentredAtLargestN: number[];
  /** Per N: D_θ's lowest score over α² and the band σ levels. */
  worstRawBand: number[];
  worstCentredBand: number[];
  /** Per α², at the largest N: D_θ's mean and minimum score over the band σ levels. */
  alphaBandRawAtLargestN: number[];
  alphaBandCentredAtLargestN: number[];
  alphaMinRawAtLargestN: number[];
  alphaMinCentredAtLargestN: number[];
  /** Spearman correlation with N of the band means: D_θ raw, D_θ centred, D_M centred. */
  spearmanRaw: number;
  spearmanCentred: number;
  spearmanCentredMultiDelta: number;
  /** D_θ's centred band mean at the largest N minus that at the smallest. */
  centredRise: number;
  /** 1 when D_θ's centred band mean exceeds D_M's at the largest N, else 0. */
  centredAboveMultiDeltaAtLargestN: number;
  /** 1 when the paper's criterion ({@link PAPER_CRITERION}) holds, else 0. */
  paperCriterionHolds: number;
};

/** Scores of one denoiser over σ × α²: `raw[σ][α²]` and `centred[σ][α²]`. */
interface _Scores {
  raw: number[][];
  centred: number[][];
}

/** Eq. 11, raw and centred on `mean`, of `D` at every σ and α² on the seeded probe pairs. */
async function _sweep(
  D: Denoiser,
  probes: Batch,
  sigmas: readonly number[],
  mean: Float64Array,
  opts: { pairs: number; alphaSquared: readonly number[] },
): Promise<_Scores> {
  const raw: number[][] = [];
  const centred: number[][] = [];
  for (const sigma of sigmas) {
    const pts: LinearityPoint[] = await linearitySweep(D, probes, sigma, {
      seed: C1_SEED,
      pairs: opts.pairs,
      alphaSquared: opts.alphaSquared,
      mean,
      batchSize: 256,
    });
    raw.push(pts.map((p) => p.raw));
    centred.push(pts.map((p) => p.centred!));
  }
  return { raw, centred };
}

/** Run C1 with command-line `args`; returns the result written. */
export async function runC1(args: string[]): Promise<Result> {
  // Config
  const ctx = await startExperiment("C1", args, { network: true });
  const zoo = ctx.profile.zoo;
  const cfg = ctx.profile.c1;
  const where = `experiments/c1_linearity.ts: profile ${ctx.profile.name}`;
  if (cfg.ns.length < 2 || cfg.ns.some((n, i) => i > 0 && n <= cfg.ns[i - 1])) {
    throw new RangeError(`${where} needs ≥ 2 increasing N`);
  }
  const sigmas = cfg.sigmas;
  const a2 = cfg.alphaSquared;
  const main = a2.indexOf(MAIN_ALPHA_SQUARED);
  if (main < 0) throw new RangeError(`${where}: the α² sweep must contain ${MAIN_ALPHA_SQUARED}`);
  const bandIdx = BAND_SIGMAS.map((s) => {
    const k = sigmas.indexOf(s);
    if (k < 0) throw new RangeError(`${where}: band σ = ${s} is not on the grid ${sigmas.join(", ")}`);
    return k;
  });

  // Load the probes; train (or find) the models
  const probes = await zooProbes(ctx);
  log(
    `C1: N = ${cfg.ns.join(", ")} at C = ${cfg.baseChannels}, ${zoo.steps} steps; ${cfg.pairs} pairs from ` +
      `${probes.n} probes`,
  );
  const models = [];
  for (const n of cfg.ns) models.push(await zooModel(ctx, { n, baseChannels: cfg.baseChannels }));

  // Measure: D_θ and D_M per N; D_G once at the largest N
  const theta: _Scores[] = [];
  const multi: _Scores[] = [];
  const opts = { pairs: cfg.pairs, alphaSquared: a2 };
  for (const [i, n] of cfg.ns.entries()) {
    const refs = await zooReferences(ctx, n);
    const mu = refs.gaussian.mu;
    const loaded = await loadDenoiser(models[i].dir, { weights: "ema" });
    try {
      theta.push(await _sweep(loaded.denoiser, probes, sigmas, mu, opts));
    } finally {
      loaded.dispose();
    }
    multi.push(await _sweep(refs.DM, probes, sigmas, mu, opts));
    const at = (s: _Scores, k: "raw" | "centred") => meanAt(sigmas, s[k].map((r) => r[main]), BAND_SIGMAS);
    log(
      `C1: N = ${n}: band LS (α² = ${MAIN_ALPHA_SQUARED}) raw ${sig(at(theta[i], "raw"))}, centred ${
        sig(at(theta[i], "centred"))
      }; D_M raw ${sig(at(multi[i], "raw"))}, centred ${sig(at(multi[i], "centred"))}`,
    );
  }
  const last = cfg.ns.length - 1;
  const refsLast = await zooReferences(ctx, cfg.ns[last]);
  const gauss = await _sweep(refsLast.DG, probes, sigmas, refsLast.gaussian.mu, opts);
  const gaussianCentredMaxDeviation = Math.max(...gauss.centred.flat().map((v) => Math.abs(1 - v)));

  // Summaries
  const atMain = (xs: _Scores[], k: "raw" | "centred") => xs.map((s) => s[k].map((r) => r[main]));
  const band = (ys: number[][]) => ys.map((y) => meanAt(sigmas, y, BAND_SIGMAS));
  const bandRaw = band(atMain(theta, "raw"));
  const bandCentred = band(atMain(theta, "centred"));
  const bandRawMultiDelta = band(atMain(multi, "raw"));
  const bandCentredMultiDelta = band(atMain(multi, "centred"));
  const minAlphaRawAtLargestN = bandIdx.map((k) => Math.min(...theta[last].raw[k]));
  const minAlphaCentredAtLargestN = bandIdx.map((k) => Math.min(...theta[last].centred[k]));
  const worstRawBand = theta.map((s) => Math.min(...bandIdx.flatMap((k) => s.raw[k])));
  const worstCentredBand = theta.map((s) => Math.min(...bandIdx.flatMap((k) => s.centred[k])));
  // α² sweep at the largest N: band mean and minimum over the band σ, per α².
  const sweepAt = (s: _Scores, k: "raw" | "centred", f: (v: number[]) => number) =>
    a2.map((_, j) => f(bandIdx.map((b) => s[k][b][j])));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const min = (v: number[]) => Math.min(...v);
  const alphaBandRawAtLargestN = sweepAt(theta[last], "raw", mean);
  const alphaBandCentredAtLargestN = sweepAt(theta[last], "centred", mean);
  const alphaMinRawAtLargestN = sweepAt(theta[last], "raw", min);
  const alphaMinCentredAtLargestN = sweepAt(theta[last], "centred", min);
  const spearmanRaw = rankCorrelation(cfg.ns, bandRaw);
  const spearmanCentred = rankCorrelation(cfg.ns, bandCentred);
  const spearmanCentredMultiDelta = rankCorrelation(cfg.ns, bandCentredMultiDelta);

  // Verdict
  const rose = bandCentred[last] > bandCentred[0];
  const ranked = spearmanCentred >= MIN_RANK_CORRELATION;
  const holds = rose && ranked ? true : rose ? "partial" : false;
  const paperRanked = spearmanRaw >= MIN_RANK_CORRELATION;
  const paperFloor = minAlphaRawAtLargestN.every((v) => v >= PAPER_MIN_LS);
  const paperHolds = paperRanked && paperFloor;
  const aboveMultiDelta = bandCentred[last] > bandCentredMultiDelta[last];
  const list = (v: number[]) => v.map((x) => sig(x)).join(", ");
  const summary =
    `Centred band-mean LS (σ ∈ [0.1, 4], α² = ${MAIN_ALPHA_SQUARED}) of D_θ: ${list(bandCentred)} for N = ${
      cfg.ns.join(", ")
    } (largest N ${rose ? ">" : "≤"} smallest N; Spearman ${sig(spearmanCentred, 2)}, ${
      ranked ? "≥" : "<"
    } ${MIN_RANK_CORRELATION}); D_M's: ${list(bandCentredMultiDelta)}, so at the largest ` +
    `N D_θ is ${
      aboveMultiDelta ? "above" : "not above"
    } its memorising baseline. Raw (paper's) band means: ` +
    `${list(bandRaw)} (Spearman ${sig(spearmanRaw, 2)}; D_M's ${
      list(bandRawMultiDelta)
    }); at the largest N ` +
    `the raw score at the least favourable α² is ${list(minAlphaRawAtLargestN)} at σ = ${
      BAND_SIGMAS.join(", ")
    } ` +
    `(${paperFloor ? "all" : "not all"} ≥ ${PAPER_MIN_LS}), so the paper's own criterion ${
      paperHolds ? "holds" : "does not hold"
    }. ` +
    `D_G's centred score (check) is ${
      gaussianCentredMaxDeviation <= 1e-9 ? "1 within 1e-9" : `off 1 by ${sig(gaussianCentredMaxDeviation)}`
    }.`;

  // Figures
  const perN = (ys: number[][]) => cfg.ns.map((n, i) => ({ name: `N = ${n}`, x: sigmas, y: ys[i] }));
  const figures: FigureFile[] = [
    {
      name: "c1_band.svg",
      content: await lineChartSvg({
        title: `C1: band-mean linearity score (σ ∈ [0.1, 4], α² = ${MAIN_ALPHA_SQUARED}) against N`,
        xLabel: "training images N",
        yLabel: "mean linearity score (eq. 11) over σ ∈ [0.1, 4]",
        series: [
          { name: "D_θ, centred", x: cfg.ns, y: bandCentred },
          { name: "D_M, centred", x: cfg.ns, y: bandCentredMultiDelta },
          { name: "D_θ, raw", x: cfg.ns, y: bandRaw },
          { name: "D_M, raw", x: cfg.ns, y: bandRawMultiDelta },
        ],
        logX: true,
        rules: [{ y: PAPER_MIN_LS, label: `paper's ${PAPER_MIN_LS}` }],
      }),
      caption:
        "The criterion's quantity (D_θ's centred score, averaged over the informative σ levels) against " +
        "N, beside the paper's raw score and both scores of the memorising denoiser D_M of the same training " +
        "set. D_G's centred score is exactly 1.",
    },
    {
      name: "c1_centred_vs_sigma.svg",
      content: await lineChartSvg({
        title: `C1: centred linearity score per σ (α² = ${MAIN_ALPHA_SQUARED}), one line per N`,
        xLabel: "σ",
        yLabel: "centred linearity score",
        series: [
          ...perN(atMain(theta, "centred")),
          { name: `D_M, N = ${cfg.ns[last]}`, x: sigmas, y: multi[last].centred.map((r) => r[main]) },
        ],
        logX: true,
      }),
      caption:
        "Centred linearity score (eq. 11 on D(μ + z) − μ) of each D_θ at the paper's 10 σ levels, with " +
        "the largest N's D_M for reference.",
    },
    {
      name: "c1_raw_vs_sigma.svg",
      content: await lineChartSvg({
        title: `C1: raw linearity score per σ (α² = ${MAIN_ALPHA_SQUARED}), one line per N`,
        xLabel: "σ",
        yLabel: "linearity score (eq. 11)",
        series: [
          ...perN(atMain(theta, "raw")),
          { name: `D_M, N = ${cfg.ns[last]}`, x: sigmas, y: multi[last].raw.map((r) => r[main]) },
        ],
        logX: true,
        rules: [{ y: PAPER_MIN_LS, label: `paper's ${PAPER_MIN_LS}` }],
      }),
      caption: "The paper's raw linearity score of each D_θ at the 10 σ levels; at MNIST scale the −1 " +
        "background keeps it near 1 for every model and for D_M (docs/scale.md).",
    },
    {
      name: "c1_alpha_sweep.svg",
      content: await lineChartSvg({
        title: `C1: α² sweep at the largest N = ${cfg.ns[last]}`,
        xLabel: "α² (β² = 1 − α²)",
        yLabel: "linearity score over σ ∈ [0.1, 4]",
        series: [
          { name: "raw, band mean", x: a2, y: alphaBandRawAtLargestN },
          { name: "raw, band minimum", x: a2, y: alphaMinRawAtLargestN },
          { name: "centred, band mean", x: a2, y: alphaBandCentredAtLargestN },
          { name: "centred, band minimum", x: a2, y: alphaMinCentredAtLargestN },
        ],
        rules: [{ y: PAPER_MIN_LS, label: `paper's ${PAPER_MIN_LS}` }],
      }),
      caption:
        "The paper's α sweep at the largest N: the mean and the minimum over the band σ levels of the " +
        "raw and the centred score at each α²; the paper's criterion asks the raw minimum to stay ≥ 0.96.",
    },
  ];

  // Notes
  const d = probes.d;
  const notes = [
    "Adapted criterion: the paper's raw score (eq. 11) is uninformative at MNIST scale — docs/scale.md found " +
    "0.976–0.998 for every model and 0.94–0.99 even for the memorising D_M, because the −1 background, far " +
    "from the origin, dominates the cosine. The verdict uses the score centred on the training mean μ " +
    "(D̃(z) = D(μ + z) − μ, z = x − μ; exactly 1 for D_G), and reports the raw score and the paper's " +
    "criterion (metrics.paperCriterionHolds, 1 = holds) beside it.",
    `Pairs: ${cfg.pairs} pairs of distinct held-out probe images (the first ${probes.n} of the test split, ` +
    `not training images) with seeded noise x = y + σε (seed ${C1_SEED}); the same pairs and noise for every ` +
    "model, σ and α², so differences between N are not differences of noise.",
    "σ levels: the paper's 10-level grid (docs/paper.md), not the 40-step EDM grid of the paper's figure; the " +
    `criterion averages the levels in σ ∈ [0.1, 4] (${
      BAND_SIGMAS.join(", ")
    }), where D_G and D_M differ at ` +
    "this scale (docs/scale.md).",
    "D_M's centred score is below 1 partly because D_M(μ) ≠ μ (an offset that α + β ≠ 1 scales unequally), " +
    "not only through its non-linearity; it is a baseline and does not enter the verdict.",
    `Every model is the zoo's: ${zoo.steps} Adam steps of batch ${zoo.batchSize} at ${zoo.resolution}×` +
    `${zoo.resolution}, C = ${cfg.baseChannels}, measured on its EMA weights.`,
  ];
  if (cfg.ns[0] < d) {
    notes.push(
      `N < d = ${d} for N = ${cfg.ns.filter((n) => n < d).join(", ")}: the empirical covariance has rank ` +
        "≤ N − 1, so D_G (and a D_θ close to it) projects onto a low-dimensional subspace; its centred " +
        "score stays 1, but held-out probes lie far from that subspace at σ ≤ 0.12.",
    );
  }

  // Write
  const metrics: C1Metrics = {
    ns: cfg.ns,
    sigmas,
    alphaSquared: a2,
    params: models.map((x) => unetParamCount(x.spec.net)),
    rawLs: theta.map((s) => s.raw),
    centredLs: theta.map((s) => s.centred),
    rawLsMultiDelta: multi.map((s) => s.raw),
    centredLsMultiDelta: multi.map((s) => s.centred),
    rawLsGaussianAtLargestN: gauss.raw,
    centredLsGaussianAtLargestN: gauss.centred,
    gaussianCentredMaxDeviation,
    bandRaw,
    bandCentred,
    bandRawMultiDelta,
    bandCentredMultiDelta,
    minAlphaRawAtLargestN,
    minAlphaCentredAtLargestN,
    worstRawBand,
    worstCentredBand,
    alphaBandRawAtLargestN,
    alphaBandCentredAtLargestN,
    alphaMinRawAtLargestN,
    alphaMinCentredAtLargestN,
    spearmanRaw,
    spearmanCentred,
    spearmanCentredMultiDelta,
    centredRise: bandCentred[last] - bandCentred[0],
    centredAboveMultiDeltaAtLargestN: aboveMultiDelta ? 1 : 0,
    paperCriterionHolds: paperHolds ? 1 : 0,
  };
  const { result } = await finishExperiment(ctx, {
    title: "Linearity emerges as models move from memorisation to generalisation",
    config: {
      zoo: { ...zoo },
      c1: { ...cfg },
      bandSigmas: [...BAND_SIGMAS],
      mainAlphaSquared: MAIN_ALPHA_SQUARED,
      weights: "ema",
      models: models.map((x, i) => ({ n: cfg.ns[i], baseChannels: cfg.baseChannels, key: x.key })),
    },
    seeds: { training: zoo.seed, pairs: C1_SEED },
    metrics,
    paper: {
      reported:
        "The linearity score (eq. 11) rises with N; generalising models stay above 0.96 even at the " +
        "least favourable α (FFHQ 64×64, N = 68 … 70000, 128 base channels, 100 pairs, 40-step σ grid, " +
        "α² ∈ {0.99, 0.87, 0.74, 0.62, 0.50}). Paper's criterion as tested here: " + PAPER_CRITERION,
    },
    verdict: { holds, criterion: CRITERION, summary },
    notes,
  }, figures);
  return result;
}

/** The C1 metrics of a result, typed (the shape {@link runC1} writes; the seed mean over several seeds). */
export function c1Metrics(r: Result): C1Metrics {
  return claimMetricsOf<C1Metrics>(r, "C1");
}

/**
 * PAPER.md's table of a C1 result, one row per N: the band means (σ ∈ [0.1, 4], α² = 0.5) of the raw and
 * centred linearity scores (eq. 11) of D_θ and of D_M, and the minimum of D_θ's raw score over α² and the
 * band levels (the paper's "least favourable α"; its criterion reads the largest N's row).
 */
export function c1Table(r: Result): string {
  const m = c1Metrics(r);
  return [
    "| N | parameters | raw LS, σ ∈ [0.1, 4] | centred LS | D_M raw LS | D_M centred LS | " +
    "raw LS, least favourable α² and σ |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...m.ns.map((n, i) =>
      `| ${n} | ${m.params[i]} | ${sig(m.bandRaw[i])} | ${sig(m.bandCentred[i])} | ${
        sig(m.bandRawMultiDelta[i])
      } | ${sig(m.bandCentredMultiDelta[i])} | ${sig(m.worstRawBand[i])} |`
    ),
  ].join("\n");
}

if (import.meta.main) await runMain("c1", () => runSeeded(runC1, Deno.args));
