/**
 * C9 — strong generalisation (docs/paper.md "Claims"): two models trained on two disjoint halves of a
 * data set generate nearly the same image from the same initial noise, because each is close to the
 * Gaussian model of its half, and the two halves' Gaussians are nearly equal. The paper (FFHQ 64×64,
 * 2 × 35000 images; and 2 × 1094, where the models memorise) shows it with visual sample grids.
 *
 * Method.
 * 1. Config: the profile's `zoo` section (training, sampler levels) and its `c9` section (N of the
 *    generalising pair, N of the memorising pair, the capacity C, the sample count k).
 * 2. Models: per pair, zoo model A on training images 0 … N−1 and zoo model B on images N … 2N−1 (two
 *    consecutive, disjoint blocks of the training split; experiments/zoo.ts), same capacity and steps;
 *    B trains with its own seed (other initial weights, noise and minibatches), so that the two models
 *    share nothing but the data distribution.
 * 3. References: per half, the fitted Gaussian N(μ, Σ) and its training images; the closed-form PF-ODE
 *    samples of each half's D_G (docs/paper.md closed form) from the same initial noise as the Heun
 *    samples of the networks ({@link ZOO_SEEDS}.samples).
 * 4. Measure per pair, with RMSE(a, b) = √(‖a − b‖²/d) (the RMSE per pixel of eq. 10, applied to
 *    samples): r_same = mean_i RMSE(x_A[i], x_B[i]) (same noise); r_shuffled = mean_i
 *    RMSE(x_A[i], x_B[(i+1) mod k]) (different noise: the chance level); RMSE(x_GA, x_GB);
 *    RMSE(x_A, x_GA) and RMSE(x_B, x_GB); GL (eq. 14) of A's samples against half A and half B, of B's
 *    against half B and half A, of the Gaussian samples against their own half, and GL_ref of real
 *    held-out images against half A; the RMSE between the halves' means and ‖Σ_A − Σ_B‖_F / ‖Σ_A‖_F.
 * 5. Verdict by {@link CRITERION}, fixed before the first run.
 *
 * Run: `deno task c9 [--profile smoke|ci|full|paper]
 * [--dataset mnist|fashion-mnist] [--retrain]`.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { type FigureFile, finishExperiment, runSeeded, sig, startExperiment } from "./_harness.ts";
import { C9_SEED_OFFSET, ZOO_SEEDS, zooModel } from "./zoo.ts";
import {
  gaussianGeneralization,
  type Generalization,
  heldOutGeneralization,
  sampleGeneralization,
  sampleGridPng,
} from "./measure.ts";
import { rmsePerPixel, rowRmse } from "../lib/metrics/stats.ts";
import { zooProbes, type ZooReferences, zooReferences } from "./references.ts";
import { unetParamCount } from "../lib/denoisers/unet.ts";
import { covariance } from "../lib/linalg/covariance.ts";
import { generalizationScore } from "../lib/metrics/generalization.ts";
import { lineChartSvg } from "../lib/results/figures.ts";
import { loadDenoiser, type TrainedModel } from "../lib/training/model.ts";
import { log } from "../lib/progress.ts";
import type { Batch } from "../lib/types.ts";
import type { Result } from "../lib/results/schema.ts";
import { claimMetricsOf } from "../lib/results/seeds.ts";
import type { GridLabels } from "../lib/results/figures.ts";

/** Largest r_same / r_shuffled of the generalising pair that counts as "nearly the same image". */
export const MAX_SAME_TO_SHUFFLED = 0.5;

/** The verdict's criterion, in words; fixed before the experiment was first run. */
export const CRITERION =
  "With RMSE per pixel between samples (√(‖a − b‖²/d), eq. 10's measure applied to samples), " +
  "r_same = mean_i RMSE(x_A[i], x_B[i]) for the two models' samples from the same initial noise and " +
  "r_shuffled = mean_i RMSE(x_A[i], x_B[(i+1) mod k]) from different noise (the chance level). Holds when " +
  `(a) for the generalising pair r_same ≤ ${MAX_SAME_TO_SHUFFLED} · r_shuffled (samples from the same ` +
  "noise are much closer than samples from different noise) and (b) r_same of the generalising pair is " +
  "below r_same of the memorising pair. Partial when exactly one of (a) and (b) holds; does not hold when " +
  "neither does. The distances of the closed-form Gaussian samples (RMSE(x_GA, x_GB), RMSE(x_A, x_GA), " +
  "RMSE(x_B, x_GB)), the generalisation scores and the distance between the halves' Gaussians are " +
  "reported beside it and do not enter the verdict.";

/** What C9 writes under `metrics`, and reads back for PAPER.md: one type for both. */
export type C9Metrics = {
  /** Half sizes N of the pairs: the generalising pair, then the memorising; every per-pair list follows. */
  ns: number[];
  /** Per pair: the U-Net's parameter count. */
  params: number[];
  /** Per pair: mean RMSE(x_A[i], x_B[i]) of the two models' samples from the same noise (r_same). */
  rSame: number[];
  /** Per pair: mean RMSE(x_A[i], x_B[(i+1) mod k]), from other noise (r_shuffled). */
  rShuffled: number[];
  /** Per pair: r_same / r_shuffled. */
  ratio: number[];
  /** Per pair: the same two means for the halves' closed-form Gaussian samples x_GA, x_GB. */
  rmseGaussianSamples: number[];
  rmseGaussianShuffled: number[];
  /** Per pair: mean RMSE(x_A[i], x_GA[i]) and RMSE(x_B[i], x_GB[i]). */
  rmseAToGA: number[];
  rmseBToGB: number[];
  /** Per pair and sample: RMSE(x_A[i], x_B[i]), RMSE(x_A[i], x_B[(i+1) mod k]), RMSE(x_GA[i], x_GB[i]). */
  perSampleSame: number[][];
  perSampleShuffled: number[][];
  perSampleGaussian: number[][];
  /** Per pair: GL (eq. 14) of A's samples against half A and half B; of B's against half B and half A. */
  glA: number[];
  glAToB: number[];
  glB: number[];
  glBToA: number[];
  /** Per pair: GL of the Gaussian samples against their own half. */
  glGaussianA: number[];
  glGaussianB: number[];
  /** Per pair: GL_ref of real held-out images against half A. */
  glRef: number[];
  /** Per pair: RMSE between the halves' means μ_A, μ_B. */
  meanRmse: number[];
  /** Per pair: ‖Σ_A − Σ_B‖_F / ‖Σ_A‖_F. */
  covRelFrobenius: number[];
};

/** What C9 measures for one pair of models (halves A and B of 2N training images). */
interface _PairMeasurement {
  /** Per-sample RMSE(x_A[i], x_B[i]). */
  same: number[];
  /** Per-sample RMSE(x_A[i], x_B[(i+1) mod k]). */
  shuffled: number[];
  /** Per-sample RMSE(x_GA[i], x_GB[i]). */
  gaussianSame: number[];
  /** Per-sample RMSE(x_GA[i], x_GB[(i+1) mod k]). */
  gaussianShuffled: number[];
  /** Per-sample RMSE(x_A[i], x_GA[i]). */
  aToGA: number[];
  /** Per-sample RMSE(x_B[i], x_GB[i]). */
  bToGB: number[];
  /** GL of A's samples against half A, and against half B. */
  glA: number;
  glAToB: number;
  /** GL of B's samples against half B, and against half A. */
  glB: number;
  glBToA: number;
  /** GL of the Gaussian samples against their own half. */
  glGaussianA: number;
  glGaussianB: number;
  /** GL_ref of real held-out images against half A. */
  glRef: number;
  /** RMSE between the halves' means μ_A, μ_B. */
  meanRmse: number;
  /** ‖Σ_A − Σ_B‖_F / ‖Σ_A‖_F. */
  covRelFrobenius: number;
  /** The samples x_A, x_B, x_GA, x_GB (rows of the figure). */
  samples: [Batch, Batch, Batch, Batch];
}

/** Run C9 with command-line `args`; returns the result written. */
export async function runC9(args: string[]): Promise<Result> {
  // Config
  const ctx = await startExperiment("C9", args, { network: true });
  const zoo = ctx.profile.zoo;
  const cfg = ctx.profile.c9;
  const where = `experiments/c9_disjoint_halves.ts: profile ${ctx.profile.name}`;
  if (cfg.nGeneralising === cfg.nMemorising) {
    throw new RangeError(`${where}: the generalising and memorising pairs need different N`);
  }
  if (!Number.isInteger(cfg.count) || cfg.count < 2) {
    throw new RangeError(`${where}: c9.count must be an integer ≥ 2 (shuffled pairs), got ${cfg.count}`);
  }
  const ns = [cfg.nGeneralising, cfg.nMemorising];
  const pairNames = ["generalising", "memorising"];

  // Load the references; train (or find) the four models
  const probes = await zooProbes(ctx);
  log(`C9: halves of N = ${ns.join(", ")} at C = ${cfg.baseChannels}, ${zoo.steps} steps; k = ${cfg.count}`);
  const models: { a: TrainedModel; b: TrainedModel }[] = [];
  const refs: { a: ZooReferences; b: ZooReferences }[] = [];
  for (const n of ns) {
    const a = await zooReferences(ctx, n, 0);
    const b = await zooReferences(ctx, n, n);
    _checkDisjoint(a, b, where);
    refs.push({ a, b });
    models.push({
      a: await zooModel(ctx, { n, start: 0, baseChannels: cfg.baseChannels }),
      b: await zooModel(ctx, {
        n,
        start: n,
        baseChannels: cfg.baseChannels,
        seed: zoo.seed + C9_SEED_OFFSET,
      }),
    });
  }

  // Measure
  const pm: _PairMeasurement[] = [];
  for (const [p, n] of ns.entries()) {
    pm.push(
      await _measurePair(models[p].a.dir, models[p].b.dir, refs[p].a, refs[p].b, probes, {
        count: cfg.count,
        levels: zoo.sampleLevels,
      }),
    );
    const m = pm[p];
    log(
      `C9: N = ${n} (${pairNames[p]}): r_same ${sig(_mean(m.same))}, r_shuffled ${sig(_mean(m.shuffled))}; ` +
        `RMSE(G_A, G_B) ${sig(_mean(m.gaussianSame))}, RMSE(A, G_A) ${sig(_mean(m.aToGA))}; GL A ${
          sig(m.glA)
        } (vs B ${sig(m.glAToB)}), held-out ${sig(m.glRef)}`,
    );
  }
  const rSame = pm.map((m) => _mean(m.same));
  const rShuffled = pm.map((m) => _mean(m.shuffled));
  const ratio = rSame.map((r, p) => r / rShuffled[p]);
  const rmseGaussianSamples = pm.map((m) => _mean(m.gaussianSame));
  const rmseGaussianShuffled = pm.map((m) => _mean(m.gaussianShuffled));
  const rmseAToGA = pm.map((m) => _mean(m.aToGA));
  const rmseBToGB = pm.map((m) => _mean(m.bToGB));

  // Verdict
  const close = ratio[0] <= MAX_SAME_TO_SHUFFLED;
  const ordered = rSame[0] < rSame[1];
  const holds = close && ordered ? true : close || ordered ? "partial" : false;
  const summary =
    `Generalising pair (2 × ${ns[0]}): r_same ${sig(rSame[0])} against r_shuffled ${
      sig(rShuffled[0])
    } (ratio ${sig(ratio[0])}, ${close ? "≤" : ">"} ${MAX_SAME_TO_SHUFFLED}); memorising pair (2 × ${
      ns[1]
    }): ` +
    `r_same ${sig(rSame[1])}, r_shuffled ${sig(rShuffled[1])} (ratio ${sig(ratio[1])}); r_same is ${
      ordered ? "lower" : "not lower"
    } for the generalising pair. ` +
    `Closed-form Gaussian samples from the same noise: RMSE(x_GA, x_GB) ${
      rmseGaussianSamples.map((x) => sig(x)).join(", ")
    } (shuffled ${rmseGaussianShuffled.map((x) => sig(x)).join(", ")}); RMSE(x_A, x_GA) ${
      rmseAToGA.map((x) => sig(x)).join(", ")
    }, RMSE(x_B, x_GB) ${rmseBToGB.map((x) => sig(x)).join(", ")}. ` +
    `GL of A's samples against half A ${pm.map((m) => sig(m.glA)).join(", ")} and against half B ${
      pm.map((m) => sig(m.glAToB)).join(", ")
    } (held-out images against half A ${pm.map((m) => sig(m.glRef)).join(", ")}). The halves' means differ ` +
    `by ${pm.map((m) => sig(m.meanRmse)).join(", ")} per pixel and their covariances by ${
      pm.map((m) => sig(m.covRelFrobenius)).join(", ")
    } (relative Frobenius), generalising pair first.`;

  // Figures
  const shape = refs[0].a.train;
  const d = shape.d;
  const sorted = (v: number[]) => [...v].sort((x, y) => x - y);
  const ranks = Array.from({ length: cfg.count }, (_, i) => i + 1);
  const figures: FigureFile[] = [
    {
      name: "c9_samples.png",
      content: sampleGridPng(pm.flatMap((m) => m.samples), shape),
      caption:
        `Samples from the same initial noise (one column per noise). Rows: x_A, x_B (the networks on ` +
        `halves A and B), x_GA, x_GB (the closed-form samples of the halves' Gaussians), first for the ` +
        `generalising pair (2 × ${ns[0]}), then for the memorising pair (2 × ${ns[1]}).`,
    },
    {
      name: "c9_same_noise_rmse.svg",
      content: await lineChartSvg({
        title: "C9: RMSE(x_A[i], x_B[i]) from the same noise, sorted",
        xLabel: "sample rank (ascending RMSE)",
        yLabel: "RMSE per pixel between samples",
        series: ns.flatMap((n, p) => [
          { name: `networks, 2 × ${n} (${pairNames[p]})`, x: ranks, y: sorted(pm[p].same) },
          { name: `Gaussians, 2 × ${n}`, x: ranks, y: sorted(pm[p].gaussianSame) },
        ]),
        rules: ns.map((n, p) => ({ y: rShuffled[p], label: `networks, different noise, 2 × ${n}` })),
      }),
      caption: "Per-sample RMSE between the two halves' samples from the same initial noise, sorted " +
        "ascending, for the networks and for the closed-form samples of the halves' Gaussians; the rules " +
        "are r_shuffled, the networks' mean RMSE between samples from different noise (the chance level).",
    },
  ];

  // Write
  const modelRows = ns.flatMap((n, p) =>
    (["A", "B"] as const).map((half) => {
      const start = half === "A" ? 0 : n;
      const model = half === "A" ? models[p].a : models[p].b;
      return {
        pair: pairNames[p],
        half,
        n,
        start,
        end: start + n,
        baseChannels: cfg.baseChannels,
        key: model.key,
      };
    })
  );
  const metrics: C9Metrics = {
    ns,
    params: models.map((x) => unetParamCount(x.a.spec.net)),
    rSame,
    rShuffled,
    ratio,
    rmseGaussianSamples,
    rmseGaussianShuffled,
    rmseAToGA,
    rmseBToGB,
    perSampleSame: pm.map((m) => m.same),
    perSampleShuffled: pm.map((m) => m.shuffled),
    perSampleGaussian: pm.map((m) => m.gaussianSame),
    glA: pm.map((m) => m.glA),
    glAToB: pm.map((m) => m.glAToB),
    glB: pm.map((m) => m.glB),
    glBToA: pm.map((m) => m.glBToA),
    glGaussianA: pm.map((m) => m.glGaussianA),
    glGaussianB: pm.map((m) => m.glGaussianB),
    glRef: pm.map((m) => m.glRef),
    meanRmse: pm.map((m) => m.meanRmse),
    covRelFrobenius: pm.map((m) => m.covRelFrobenius),
  };
  const { result } = await finishExperiment(ctx, {
    title: "Models trained on disjoint halves generate nearly the same image from the same noise",
    config: {
      zoo: { ...zoo },
      c9: { ...cfg },
      maxSameToShuffled: MAX_SAME_TO_SHUFFLED,
      halves: "consecutive blocks of the training split: A = images 0 … N−1, B = images N … 2N−1",
      weights: "ema",
      models: modelRows,
    },
    seeds: { training: zoo.seed, trainingHalfB: zoo.seed + C9_SEED_OFFSET, samples: ZOO_SEEDS.samples },
    metrics,
    paper: {
      reported: "Visual grids: models trained on two disjoint halves of FFHQ 64×64 (2 × 35000 images, " +
        "128 base channels) generate nearly the same image from the same noise, close to the samples of " +
        "their halves' (nearly equal) Gaussian models; at 2 × 1094 the memorising models do not",
    },
    verdict: { holds, criterion: CRITERION, summary },
    notes: [
      "The paper's setting is 2 × 35000 FFHQ images at 64×64 and its evidence is visual sample grids. Ours " +
      'is a numeric proxy of "nearly the same image": the RMSE per pixel between the two models\' samples ' +
      "from the same initial noise (r_same), read against the RMSE between samples from different noise " +
      "(r_shuffled, the chance level); the grid c9_samples.png shows the images themselves.",
      "The halves are two consecutive blocks of the training split (A = images 0 … N−1, B = images N … " +
      "2N−1), not a random split. Both models have the same capacity and step count; B trains with its " +
      `own seed (${zoo.seed + C9_SEED_OFFSET} against A's ${zoo.seed}), so the two start from different ` +
      "initial weights and draw different σ, ε and minibatches: what they share is the data distribution.",
      `Memorising pair (N = ${ns[1]}; d = ${d}): with N < d the empirical covariance of a half has rank ` +
      "≤ N − 1, so its Gaussian lives in the affine span of that half's own images; the two halves' " +
      "Gaussians then differ by construction (see covRelFrobenius) and their samples x_GA and x_GB need " +
      `not agree. The generalising pair has N = ${ns[0]} ${ns[0] < d ? "< d as well" : "≥ d"}.`,
      "GL: the paper reads GL > 0.6 as generalising on FFHQ; that threshold does not carry over to MNIST " +
      "(docs/scale.md). GL of A's samples against its own half is reported beside GL against the other half " +
      "(a model that copies its half is far from the other half) and beside GL_ref of real held-out images.",
      `Every model is the zoo's: ${zoo.steps} Adam steps of batch ${zoo.batchSize} at ${zoo.resolution}×` +
      `${zoo.resolution}, sampled on its EMA weights with ${zoo.sampleLevels}-level Heun steps; the ` +
      "Gaussian samples are the exact PF-ODE solution from σ = 80 to 0 from the same initial noise.",
    ],
  }, figures);
  return result;
}

/** Throw unless the two references' training images are disjoint (by their indices in the split). */
function _checkDisjoint(a: ZooReferences, b: ZooReferences, where: string): void {
  const ia = a.train.indices;
  const ib = b.train.indices;
  if (!ia || !ib) throw new Error(`${where}: the halves' training images do not record their indices`);
  const seen = new Set(ia);
  for (const i of ib) {
    if (seen.has(i)) throw new Error(`${where}: image ${i} of the split is in both halves`);
  }
}

/**
 * Sample both models of a pair (Heun, common initial noise) and both halves' Gaussians (closed form,
 * same noise), and measure the distances and generalisation scores of step 4 of the Method.
 */
async function _measurePair(
  dirA: string,
  dirB: string,
  refA: ZooReferences,
  refB: ZooReferences,
  probes: Batch,
  opts: { count: number; levels: number },
): Promise<_PairMeasurement> {
  const xA = await _sampleModel(dirA, refA, opts);
  const xB = await _sampleModel(dirB, refB, opts);
  const gA = gaussianGeneralization(refA, opts.count);
  const gB = gaussianGeneralization(refB, opts.count);
  const k = opts.count;
  return {
    same: rowRmse(xA.samples, xB.samples),
    shuffled: rowRmse(xA.samples, xB.samples, 1),
    gaussianSame: rowRmse(gA.samples, gB.samples),
    gaussianShuffled: rowRmse(gA.samples, gB.samples, 1),
    aToGA: rowRmse(xA.samples, gA.samples),
    bToGB: rowRmse(xB.samples, gB.samples),
    glA: xA.score,
    glAToB: generalizationScore(xA.samples, refB.train).score,
    glB: xB.score,
    glBToA: generalizationScore(xB.samples, refA.train).score,
    glGaussianA: gA.score,
    glGaussianB: gB.score,
    glRef: heldOutGeneralization(refA, probes, Math.min(k, probes.n)),
    meanRmse: rmsePerPixel(refA.gaussian.mu, refB.gaussian.mu),
    covRelFrobenius: _covRelFrobenius(refA, refB),
    samples: [xA.samples, xB.samples, gA.samples, gB.samples],
  };
}

/** Heun samples of the EMA weights in `dir` (and GL against `refs`), freeing the weights after. */
async function _sampleModel(
  dir: string,
  refs: ZooReferences,
  opts: { count: number; levels: number },
): Promise<Generalization> {
  const loaded = await loadDenoiser(dir, { weights: "ema" });
  try {
    return await sampleGeneralization(loaded.denoiser, refs, opts);
  } finally {
    loaded.dispose();
  }
}

/** ‖Σ_A − Σ_B‖_F / ‖Σ_A‖_F of the halves' 1/N covariances (docs/paper.md D_G). */
function _covRelFrobenius(a: ZooReferences, b: ZooReferences): number {
  const sa = covariance(a.train, a.gaussian.mu);
  const sb = covariance(b.train, b.gaussian.mu);
  let diff = 0;
  let norm = 0;
  for (let j = 0; j < sa.length; j++) {
    diff += (sa[j] - sb[j]) ** 2;
    norm += sa[j] ** 2;
  }
  return Math.sqrt(diff / norm);
}

function _mean(v: readonly number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

/** The C9 metrics of a result, typed (the shape {@link runC9} writes; the seed mean over several seeds). */
export function c9Metrics(r: Result): C9Metrics {
  return claimMetricsOf<C9Metrics>(r, "C9");
}

/**
 * PAPER.md's table of a C9 result: per pair N, r_same, r_shuffled and their ratio, the distance of the
 * halves' Gaussian samples, the networks' distance to their Gaussian's samples, and the GL values (eq. 14).
 */
export function c9Table(r: Result): string {
  const m = c9Metrics(r);
  return [
    "| N per half | r_same | r_shuffled | r_same / r_shuffled | RMSE(x_GA, x_GB) | RMSE(x_A, x_GA) | " +
    "RMSE(x_B, x_GB) | GL(A; half A) | GL(A; half B) | GL(B; half B) | GL(G_A) | GL_ref |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...m.ns.map((n, p) =>
      `| ${n} | ${sig(m.rSame[p])} | ${sig(m.rShuffled[p])} | ${sig(m.ratio[p])} | ${
        sig(m.rmseGaussianSamples[p])
      } | ${sig(m.rmseAToGA[p])} | ${sig(m.rmseBToGB[p])} | ${sig(m.glA[p])} | ${sig(m.glAToB[p])} | ${
        sig(m.glB[p])
      } | ${sig(m.glGaussianA[p])} | ${sig(m.glRef[p])} |`
    ),
  ].join("\n");
}

if (import.meta.main) await runMain("c9", () => runSeeded(runC9, Deno.args));

/** Row labels of `c9_samples.png` (A, B and their Gaussians, generalising pair then memorising), for PAPER.md. */
export function c9GridLabels(r: Result): GridLabels {
  const ns = c9Metrics(r).ns;
  return {
    rows: ns.flatMap((n) => [`x_A (2 × ${n})`, `x_B (2 × ${n})`, `x_GA (2 × ${n})`, `x_GB (2 × ${n})`]),
    title: "one column per initial noise; x_GA, x_GB: closed-form Gaussian samples",
  };
}
