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
  /** Heun step counts compared with the closed-form trajectory. */
  heunSteps: number[];
  /** Samples integrated from pure noise for that comparison. */
  nSamples: number;
}

/** One profile: a section per claim. */
export interface Profile {
  /** Profile name. */
  name: string;
  /** What it is for, in words. */
  description: string;
  /** C10 settings. */
  c10: C10Config;
}

const _sigmas = [...PAPER_SIGMAS];

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
      heunSteps: [18, 40, 100, 400],
      nSamples: 64,
    },
  },
  full: {
    name: "full",
    description: "reviewers' default: MNIST at 28×28 (d = 784) on a laptop CPU",
    c10: {
      resolution: 28,
      nTrain: 10000,
      nProbe: 256,
      sigmas: _sigmas,
      epochs: 30,
      batchSize: 256,
      finalLrFactor: 0.05,
      lsDraws: [1, 4, 16],
      heunSteps: [18, 40, 100, 400],
      nSamples: 64,
    },
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
  },
});

/** The profile called `name`; an unknown name is an error listing the known ones. */
export function getProfile(name: string): Profile {
  const p = PROFILES[name];
  if (!p) throw new Error(`unknown profile '${name}'; known profiles: ${Object.keys(PROFILES).join(", ")}`);
  return p;
}
