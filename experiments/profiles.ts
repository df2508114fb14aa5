/**
 * Run profiles: how big each claim's experiment is.
 *
 * - `smoke`: seconds; unit tests.
 * - `ci`: every claim within about 20 minutes on 2 cores; the snapshot tests recompute it.
 * - `full`: the reviewers' default; MNIST at 28×28 where practical on a laptop CPU.
 * - `paper`: the paper's FFHQ-64 settings; needs the user's own data (`--data-dir`) and a GPU backend.
 *
 * A profile is data only: an experiment reads its own section. Every value here goes into the result's
 * `config`, so it is part of the config hash.
 *
 * @module
 */
import { PAPER_SIGMAS } from "../lib/sampling/schedule.ts";
import { CONVERGENCE_RULE } from "../lib/training/history.ts";

/** C10 (Theorem 1): linear distillation against the clean target, and closed form vs Heun. */
export interface C10Config {
  /** Image side after area resizing (d = side² for grey images). */
  resolution: number;
  /** Training images: the first `nTrain` of the dataset's training split. */
  nTrain: number;
  /** Held-out probe images (the first `nProbe` of the test split) on which D_L and D_G are compared. */
  nProbe: number;
  /** Noise levels of the distillation (the paper's 10-level grid). */
  sigmas: number[];
  /** Adam epochs of each distillation. */
  epochs: number;
  /** Minibatch size. */
  batchSize: number;
  /** Learning-rate multiplier reached at the last epoch by a geometric decay from 1 (1 = constant). */
  finalLrFactor: number;
  /** Noise draws per image K at which the exact least-squares minimiser is solved (increasing). */
  lsDraws: number[];
  /**
   * How the exact minimiser of the sampled objective is computed (C10 (a)): `"sampled"` (default) draws the
   * N·K noisy inputs and accumulates the normal equations, O(N·K·d²); `"wishart"` draws the same sums from
   * their joint law (per-image noise sums and a Wishart Gram, lib/denoisers/least_squares_wishart.ts),
   * O(d³) per K. Same estimator in distribution; absent means `"sampled"` (the frozen v1/v2 results).
   */
  lsEstimator?: "sampled" | "wishart";
  /** Heun step counts compared with the closed-form trajectory. */
  heunSteps: number[];
  /** Samples integrated from pure noise for that comparison. */
  nSamples: number;
}

/**
 * The shared model zoo (experiments/zoo.ts): how every trained D_θ of a profile is trained, probed and
 * sampled. Claims ask the zoo for (N, C) and share models through the cache.
 */
export interface ZooConfig {
  /** Image side after area resizing (d = side² for grey images). */
  resolution: number;
  /** Default base channel count C of the U-Net. */
  baseChannels: number;
  /** Single-head self-attention in the U-Net's middle block. */
  attention: boolean;
  /**
   * Optimizer steps of a zoo model; with `converge`, the cap of a run that stops by the convergence rule.
   */
  steps: number;
  /**
   * Stop each run by the convergence rule (lib/training/history.ts: held-out loss changed < `tolerance`
   * over the last `window` of the steps), checked at every history record from `minSteps` on, at most
   * `steps`. Absent: every run trains exactly `steps` (v1–v3 profiles).
   */
  converge?: { minSteps: number; window: number; tolerance: number };
  /** Steps at which every zoo model keeps a snapshot (those before its last step), so claims share runs. */
  snapshotSteps: number[];
  /** Minibatch size B. */
  batchSize: number;
  /** Peak learning rate (Adam). */
  lr: number;
  /** Linear learning-rate warm-up, in images. */
  warmupImages: number;
  /**
   * Training seed in force: every zoo model of a run uses it (common random numbers across a sweep).
   * It is `seeds[0]` in a profile; a per-seed run sets it to `seeds[k]` ({@link withSeed}).
   */
  seed: number;
  /**
   * Independent training seeds (initial weights, noise, minibatches): every zoo model is trained once
   * per seed, and every number a verdict reads is reported as its mean and spread over them.
   */
  seeds: number[];
  /** Steps between records of a model's training history (lib/training/history.ts). */
  historyEvery: number;
  /** Held-out images of the history's held-out loss: test-split images `nProbe` … `nProbe + historyHeldOut − 1`. */
  historyHeldOut: number;
  /** Held-out probes: the first `nProbe` images of the test split. */
  nProbe: number;
  /** Heun samples per model for the generalisation score (eq. 14). */
  nSamples: number;
  /** Levels of the EDM schedule of those samples (18: EDM's 32×32 setting). */
  sampleLevels: number;
}

/** C6 (more data moves D_θ towards D_G): an N sweep at one capacity. */
export interface C6Config {
  /** Training-set sizes N, increasing. */
  ns: number[];
  /** Base channels C of every model of the sweep. */
  baseChannels: number;
  /** Noise levels of the comparison (the paper's 10-level grid). */
  sigmas: number[];
}

/** C7 (less capacity moves D_θ towards D_G): a capacity sweep at one small N. */
export interface C7Config {
  /** Training-set size N. */
  n: number;
  /** Base channel counts C, increasing (at least 4 outside smoke). */
  capacities: number[];
  /** Noise levels of the comparison (the paper's 10-level grid). */
  sigmas: number[];
}

/** C8 (Gaussian early, memorising later): the snapshots of one over-parameterised run at small N. */
export interface C8Config {
  /** Training-set size N. */
  n: number;
  /** Base channels C (the largest of the profile: over-parameterised for N). */
  baseChannels: number;
  /** Steps of the run; its snapshots are the zoo's `snapshotSteps` before it, plus the last step. */
  steps: number;
  /** Noise levels of the comparison (the paper's 10-level grid). */
  sigmas: number[];
}

/** C1 (linearity emerges as N grows): linearity scores (eq. 11, raw and centred) of an N sweep's models. */
export interface C1Config {
  /** Training-set sizes N, increasing (the C6 sweep's models). */
  ns: number[];
  /** Base channels C of every model of the sweep. */
  baseChannels: number;
  /** Noise levels (the paper's 10-level grid). */
  sigmas: number[];
  /** Pairs (x₁, x₂) per σ (paper: 100). */
  pairs: number;
  /** The α² sweep (paper: 0.99, 0.87, 0.74, 0.62, 0.50; the main setting is α² = 0.5). */
  alphaSquared: number[];
}

/**
 * C2, C3, C4 (the linear part of a generalising D_θ): which model is distilled into D_L and how. D_L at
 * each σ is the exact minimiser of the paper's distillation objective over `samples` noisy training
 * images (the point gradient descent converges to; C10 (a) measures that convergence).
 */
export interface DistillConfig {
  /** Training-set size N of the distilled model (the generalising end of the C6 sweep). */
  n: number;
  /** Its base channels C. */
  baseChannels: number;
  /** Noise levels (the paper's 10-level grid). */
  sigmas: number[];
  /** Noisy samples y + σε per σ (⌈samples / N⌉ noise draws per training image); ≫ d. */
  samples: number;
  /** Leading singular vectors of W_σ compared with the principal components (C3). */
  alignK: number;
  /**
   * Held-out images D_L is fitted on (experiments/distill.ts): test-split images after the probes and
   * the training history's held-out batch, disjoint from both and from every training set.
   */
  fitImages: number;
}

/** C4 (samples of D_θ, D_L, D_G, D_M from the same noise): sampler settings. */
export interface C4Config {
  /** Samples per denoiser (the grids show the first 8). */
  count: number;
}

/** C5 (the Gaussian bias shows only when generalising): D_L of every model of an N sweep against D_G. */
export interface C5Config {
  /** Training-set sizes N, increasing (the C6 sweep's models). */
  ns: number[];
  /** Base channels C. */
  baseChannels: number;
  /** Noise levels (the paper's 10-level grid). */
  sigmas: number[];
}

/** C9 (strong generalisation): two models on disjoint halves, at a generalising and a memorising N. */
export interface C9Config {
  /** Images per half in the generalising pair (halves: images 0…N−1 and N…2N−1). */
  nGeneralising: number;
  /** Images per half in the memorising pair. */
  nMemorising: number;
  /** Base channels C of all four models. */
  baseChannels: number;
  /** Samples per model from the same noise. */
  count: number;
}

/**
 * C11 (beyond the paper): which closed-form denoiser explains D_θ best, per σ, for the zoo's models (C6's
 * N sweep, C7's capacity sweep, C8's snapshots). The zoo's held-out probes are split: the first `nJudge`
 * are judged, the next `nCalibrate` calibrate the patch sizes of LS and ELS per σ.
 */
export interface C11Config {
  /** Probes judged (the first `nJudge` zoo probes). */
  nJudge: number;
  /** Probes that calibrate the patch sizes (the next `nCalibrate`), disjoint from the judged ones. */
  nCalibrate: number;
  /** Noise levels (the paper's 10-level grid). */
  sigmas: number[];
  /** Levels averaged in the per-regime figures (the informative range at this scale). */
  bandSigmas: number[];
  /** Gaussian-mixture sizes K (Wang & Vastola 2024), each capped at N. */
  gmmK: number[];
  /** Seed of the k-means++ initialisation. */
  gmmSeed: number;
  /** Candidate patch sides of LS (odd; one covering the whole image makes LS = D_M). */
  lsPatches: number[];
  /** Candidate patch sides of ELS (odd). */
  elsPatches: number[];
  /** Most training patches in ELS's set; beyond it a seeded uniform subsample (cost). */
  elsMaxPatches: number;
  /** Seed of that subsample. */
  elsSeed: number;
  /** PCA-locality threshold τ of Lukoianov et al. 2025's MNIST configuration. */
  tau: number;
  /** Further τ values of the sweep. */
  tauSweep: number[];
  /** Samples per denoiser in the sample grids (the smallest- and largest-N models). */
  nSamples: number;
  /** D_G counts as enough at a σ when its r² is within this of the best closed-form denoiser's. */
  enoughMargin: number;
}

/** One profile: a section per claim. */
export interface Profile {
  /** Profile name. */
  name: string;
  /** What it is for, in words. */
  description: string;
  /** C10 settings. */
  c10: C10Config;
  /** The shared model zoo (C6, C7, C8 and any claim that needs a trained D_θ). */
  zoo: ZooConfig;
  /** C6 settings. */
  c6: C6Config;
  /** C7 settings. */
  c7: C7Config;
  /** C8 settings. */
  c8: C8Config;
  /** C1 settings. */
  c1: C1Config;
  /** C2, C3, C4: the distilled model. */
  distill: DistillConfig;
  /** C4 settings. */
  c4: C4Config;
  /** C5 settings. */
  c5: C5Config;
  /** C9 settings. */
  c9: C9Config;
  /** C11 settings (beyond the paper). */
  c11: C11Config;
}

const _alpha2 = [0.99, 0.87, 0.74, 0.62, 0.5];

const _sigmas = [...PAPER_SIGMAS];

/** C11 at 16×16 (ci, full): LS up to 15, ELS up to 11 (Kamb & Ganguli's MNIST sides run 3 … 15 at 28–32 px). */
const _c11At16 = (elsMaxPatches: number): C11Config => ({
  nJudge: 64,
  nCalibrate: 32,
  sigmas: _sigmas,
  bandSigmas: [4.066, 1.502, 0.47, 0.1166],
  gmmK: [10, 100],
  gmmSeed: 1101,
  lsPatches: [3, 5, 7, 9, 11, 15],
  elsPatches: [3, 5, 7, 9, 11],
  elsMaxPatches,
  elsSeed: 1102,
  tau: 0.005,
  tauSweep: [0.02, 0.05, 0.1],
  nSamples: 8,
  enoughMargin: 0.01,
});

/** Steps of the paper's C8 run (N = 1094, B = 256) after `epochs` epochs: ⌈epochs·N/B⌉. */
const _paperSteps = (epochs: number) => Math.ceil((epochs * 1094) / 256);

/** The profiles by name. */
export const PROFILES: Readonly<Record<string, Profile>> = Object.freeze({
  smoke: {
    name: "smoke",
    description: "seconds; for unit tests (8×8 images)",
    c10: {
      resolution: 8,
      nTrain: 1000,
      nProbe: 64,
      sigmas: _sigmas,
      epochs: 8,
      batchSize: 128,
      finalLrFactor: 0.05,
      lsDraws: [1, 4, 16],
      heunSteps: [18, 72],
      nSamples: 16,
    },
    zoo: {
      resolution: 8,
      baseChannels: 4,
      attention: false,
      steps: 40,
      snapshotSteps: [5, 10, 15, 20, 30],
      batchSize: 16,
      lr: 2e-3,
      warmupImages: 64,
      seed: 6000,
      seeds: [6000, 6010],
      historyEvery: 10,
      historyHeldOut: 16,
      nProbe: 32,
      nSamples: 8,
      sampleLevels: 6,
    },
    c6: { ns: [8, 32], baseChannels: 4, sigmas: _sigmas },
    c7: { n: 8, capacities: [2, 4], sigmas: _sigmas },
    c8: { n: 8, baseChannels: 4, steps: 40, sigmas: _sigmas },
    c1: { ns: [8, 32], baseChannels: 4, sigmas: _sigmas, pairs: 16, alphaSquared: _alpha2 },
    distill: { n: 32, baseChannels: 4, sigmas: _sigmas, samples: 256, alignK: 4, fitImages: 64 },
    c4: { count: 8 },
    c5: { ns: [8, 32], baseChannels: 4, sigmas: _sigmas },
    c9: { nGeneralising: 32, nMemorising: 8, baseChannels: 4, count: 8 },
    c11: {
      nJudge: 12,
      nCalibrate: 8,
      sigmas: _sigmas,
      bandSigmas: [4.066, 1.502, 0.47, 0.1166],
      gmmK: [10, 100],
      gmmSeed: 1101,
      lsPatches: [3, 15],
      elsPatches: [3, 5],
      elsMaxPatches: 128,
      elsSeed: 1102,
      tau: 0.005,
      tauSweep: [0.1],
      nSamples: 4,
      enoughMargin: 0.01,
    },
  },
  ci: {
    name: "ci",
    description:
      "every claim in about 20 minutes on 2 cores (16×16 images); recomputed by the snapshot tests",
    c10: {
      resolution: 16,
      nTrain: 5000,
      nProbe: 256,
      sigmas: _sigmas,
      epochs: 20,
      batchSize: 256,
      finalLrFactor: 0.05,
      lsDraws: [1, 4, 16, 64],
      // v3: the same estimator in distribution in O(d³) per K (docs/criteria-v3.md).
      lsEstimator: "wishart",
      heunSteps: [18, 40, 100, 400],
      nSamples: 64,
    },
    // Training budget (wasm + lib/kernels, B = 64, 16×16, one process; ms/step measured on the 2-core box:
    // C = 4: 54, 8: 95, 12: 172, 16: 243): C6 4 × 1000 × 0.095 s ≈ 380 s; C7 adds C = 4, 12, 16 at
    // N = 64 ≈ 54 + 172 + 243 = 469 s; C8 reads the snapshots of C7's (64, 16) run: ≈ 14 min in all.
    zoo: {
      resolution: 16,
      baseChannels: 8,
      attention: false,
      steps: 1000,
      snapshotSteps: [100, 200, 350, 500, 750],
      batchSize: 64,
      lr: 2e-3,
      warmupImages: 10_000,
      // v3: three seeds of its own (v2's ci shared seed 6000 and its runs with full).
      seed: 7110,
      seeds: [7110, 7120, 7130],
      historyEvery: 50,
      historyHeldOut: 64,
      nProbe: 256,
      nSamples: 64,
      sampleLevels: 18,
    },
    c6: { ns: [16, 64, 256, 1024], baseChannels: 8, sigmas: _sigmas },
    // v3: an 8× capacity range (2 … 16) within the ci budget; C = 32 would cost ~5.5 min per seed.
    c7: { n: 64, capacities: [2, 4, 8, 16], sigmas: _sigmas },
    c8: { n: 64, baseChannels: 16, steps: 1000, sigmas: _sigmas },
    c1: { ns: [16, 64, 256, 1024], baseChannels: 8, sigmas: _sigmas, pairs: 100, alphaSquared: _alpha2 },
    distill: { n: 1024, baseChannels: 8, sigmas: _sigmas, samples: 4096, alignK: 8, fitImages: 2048 },
    c4: { count: 64 },
    c5: { ns: [16, 64, 256, 1024], baseChannels: 8, sigmas: _sigmas },
    // C9 adds two C = 8 models (images 1024…2047 and 16…31): ≈ 2 × 95 s.
    c9: { nGeneralising: 1024, nMemorising: 16, baseChannels: 8, count: 64 },
    // C11: the closed-form outputs depend only on the training set, so they are computed once per N
    // (16, 64, 256, 1024); the largest costs most (LS ≈ N·d exponentials per probe, patch side and σ).
    c11: _c11At16(1024),
  },
  full: {
    name: "full",
    description: "reviewers' default: MNIST; C10 at 28×28 (d = 784), trained denoisers at 16×16",
    c10: {
      resolution: 28,
      nTrain: 10000,
      nProbe: 256,
      sigmas: _sigmas,
      epochs: 30,
      batchSize: 256,
      finalLrFactor: 0.05,
      lsDraws: [1, 4, 16],
      lsEstimator: "wishart",
      heunSteps: [18, 40, 100, 400],
      nSamples: 64,
    },
    // v4 (docs/criteria-v4.md): three seeds of its own, every run stopped by the convergence rule
    // (minimum 1000 steps, cap 3000), and fewer points so that three seeds fit: N ∈ {16, 64, 1024, 8192}
    // and C ∈ {2, 4, 8, 16} (8×). 16×16, not 28×28: 28×28 costs ~2.5× per step. Budget (native kernels,
    // B = 64, one core; ms/step C = 2: ~40, 4: ~50, 8: ~64, 16: ~125): 9 models per seed and dataset,
    // at most 6 × 3000 × 0.064 + 3000 × (0.04 + 0.05 + 0.125) ≈ 30 min, ≈ 3 h of one core for the 54
    // models of both datasets, less where the rule stops a run early; two one-thread shards halve it.
    zoo: {
      resolution: 16,
      baseChannels: 8,
      attention: false,
      steps: 3000,
      converge: { ...CONVERGENCE_RULE, minSteps: 1000 },
      snapshotSteps: [100, 250, 500, 750, 1000, 1500, 2000, 2500],
      batchSize: 64,
      lr: 2e-3,
      warmupImages: 10_000,
      seed: 6100,
      seeds: [6100, 6200, 6300],
      historyEvery: 50,
      historyHeldOut: 64,
      nProbe: 256,
      nSamples: 100,
      sampleLevels: 18,
    },
    c6: { ns: [16, 64, 1024, 8192], baseChannels: 8, sigmas: _sigmas },
    c7: { n: 64, capacities: [2, 4, 8, 16], sigmas: _sigmas },
    c8: { n: 64, baseChannels: 16, steps: 3000, sigmas: _sigmas },
    c1: {
      ns: [16, 64, 1024, 8192],
      baseChannels: 8,
      sigmas: _sigmas,
      pairs: 100,
      alphaSquared: _alpha2,
    },
    distill: { n: 8192, baseChannels: 8, sigmas: _sigmas, samples: 8192, alignK: 8, fitImages: 2048 },
    c4: { count: 100 },
    c5: { ns: [16, 64, 1024, 8192], baseChannels: 8, sigmas: _sigmas },
    c9: { nGeneralising: 8192, nMemorising: 16, baseChannels: 8, count: 100 },
    c11: _c11At16(2048),
  },
  paper: {
    name: "paper",
    description: "the paper's FFHQ 64×64 settings: needs --data-dir with the user's PNGs and a GPU backend",
    c10: {
      resolution: 64,
      nTrain: 70000,
      nProbe: 256,
      sigmas: _sigmas,
      epochs: 30,
      batchSize: 256,
      finalLrFactor: 0.05,
      lsDraws: [1, 4],
      heunSteps: [18, 40, 100, 400],
      nSamples: 64,
    },
    // The paper's FFHQ-64 sweeps. C8: N = 1094, B = 256, snapshots at epochs 187, 841 and 64210 (the
    // paper's; the epochs between are ours), as steps ⌈epochs·N/B⌉. Steps, lr and warm-up of the other
    // models are EDM-like choices of ours (the paper does not list them per model); a GPU job of days.
    zoo: {
      resolution: 64,
      baseChannels: 128,
      attention: false,
      steps: 100_000,
      snapshotSteps: [187, 420, 841, 1682, 4000, 16000, 64210].map((e) => _paperSteps(e)),
      batchSize: 256,
      lr: 2e-4,
      warmupImages: 10_000_000,
      seed: 6000,
      seeds: [6000],
      historyEvery: 1000,
      historyHeldOut: 64,
      nProbe: 256,
      nSamples: 100,
      sampleLevels: 40,
    },
    c6: { ns: [68, 137, 1094, 4375, 8750, 35000, 70000], baseChannels: 128, sigmas: _sigmas },
    c7: { n: 1094, capacities: [4, 8, 16, 32, 64, 128], sigmas: _sigmas },
    c8: { n: 1094, baseChannels: 128, steps: _paperSteps(64210), sigmas: _sigmas },
    c1: {
      ns: [68, 137, 1094, 4375, 8750, 35000, 70000],
      baseChannels: 128,
      sigmas: _sigmas,
      pairs: 100,
      alphaSquared: _alpha2,
    },
    distill: {
      n: 70000,
      baseChannels: 128,
      sigmas: _sigmas,
      samples: 70000,
      alignK: 8,
      fitImages: 4096,
    },
    c4: { count: 100 },
    c5: { ns: [68, 1094, 35000, 70000], baseChannels: 128, sigmas: _sigmas },
    c9: { nGeneralising: 35000, nMemorising: 1094, baseChannels: 128, count: 100 },
    // C11 at FFHQ 64×64×3 (d = 12288): a GPU-scale job in this float64 CPU code; sizes scaled by 4 from 16×16.
    c11: {
      nJudge: 32,
      nCalibrate: 16,
      sigmas: _sigmas,
      bandSigmas: [9.723, 4.066, 1.502, 0.47, 0.1166],
      gmmK: [10, 100],
      gmmSeed: 1101,
      lsPatches: [3, 7, 11, 15, 23, 31, 127],
      elsPatches: [3, 7, 11, 15, 23],
      elsMaxPatches: 4096,
      elsSeed: 1102,
      tau: 0.005,
      tauSweep: [0.02, 0.05, 0.1],
      nSamples: 8,
      enoughMargin: 0.01,
    },
  },
});

/** The profile called `name`; an unknown name is an error listing the known ones. */
export function getProfile(name: string): Profile {
  const p = Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
  if (!p) throw new Error(`unknown profile '${name}'; known profiles: ${Object.keys(PROFILES).join(", ")}`);
  return p;
}

/** The profile with training seed `profile.zoo.seeds[k]` in force: the run of seed index `k`. */
export function withSeed(profile: Profile, k: number): Profile {
  const seeds = profile.zoo.seeds;
  if (!Number.isInteger(k) || k < 0 || k >= seeds.length) {
    throw new RangeError(
      `--seed-index ${k}: profile ${profile.name} has ${seeds.length} seed(s) (indices 0…${
        seeds.length - 1
      })`,
    );
  }
  return { ...profile, zoo: { ...profile.zoo, seed: seeds[k] } };
}
