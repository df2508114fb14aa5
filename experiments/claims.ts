/**
 * The registry of claims this artifact reproduces: id, the paper's statement (docs/paper.md "Claims"),
 * the task that runs it, and its run function. `reproduce`, `paper`, `cite` and `verify` read it.
 *
 * @module
 */
import type { Result } from "../lib/results/schema.ts";
import { runSeeded } from "./_harness.ts";
import type { GridLabels } from "../lib/results/figures.ts";
import { perSeedMetricsOf } from "../lib/results/seeds.ts";
import { c1Metrics, c1Table, runC1 } from "./c1_linearity.ts";
import { c2Metrics, c2Table, runC2 } from "./c2_linear_distillation.ts";
import { c3Metrics, c3Table, runC3 } from "./c3_linear_gaussian.ts";
import { c4GridLabels, c4Metrics, c4Table, runC4 } from "./c4_sample_grids.ts";
import { c5Metrics, c5Table, runC5 } from "./c5_regimes.ts";
import { c9GridLabels, c9Metrics, c9Table, runC9 } from "./c9_disjoint_halves.ts";
import { c10Metrics, c10Table, runC10 } from "./c10_theorem1.ts";
import { c6GridLabels, c6Metrics, c6Table, runC6 } from "./c6_dataset_size.ts";
import { c7GridLabels, c7Metrics, c7Table, runC7 } from "./c7_capacity.ts";
import { c8GridLabels, c8Metrics, c8Table, runC8 } from "./c8_training_time.ts";
import { c11Metrics, c11Table, runC11 } from "./c11_closed_form.ts";

/** One claim. */
export interface Claim {
  /** Claim id, e.g. `C10`. */
  id: string;
  /** The paper's statement (docs/paper.md "Claims"). */
  statement: string;
  /** What the paper reported. */
  reported: string;
  /** The Deno task that runs it. */
  task: string;
  /** Run the experiment with command-line arguments (over every training seed where the claim trains); returns the result written. */
  run: (args: string[]) => Promise<Result>;
  /** A markdown table of the result's key numbers, for PAPER.md. */
  table?: (r: Result) => string;
  /** True when the claim trains denoisers and so runs once per training seed (runSeeded). */
  seeded?: boolean;
  /** True for work that goes beyond the paper (judges no claim of it). */
  beyond?: boolean;
  /** The claim in a few words, for PAPER.md's opening table. */
  short: string;
  /** The paper's number or finding in a few words, for that table. */
  paperNumber: string;
  /** Our corresponding number(s) from a result, in a few words, for that table. */
  ours: (r: Result) => string;
  /** Labels of the result's PNG image grids (by figure path), so PAPER.md can show them labelled. */
  gridLabels?: (r: Result, figurePath: string) => GridLabels | undefined;
}

/** A number with 3 significant digits, for the opening table. */
const _f = (x: number) => String(Number(x.toPrecision(3)));
/** Labels from `labels` for the one PNG grid of a claim, named `<claim>_samples.png`. */
const _grid = (labels: (r: Result) => GridLabels) => (r: Result, path: string) =>
  path.split("/").at(-1) === `${r.claim.toLowerCase()}_samples.png` ? labels(r) : undefined;

/** Every claim of the paper (docs/paper.md "Claims"), in the order `reproduce` runs them. */
export const CLAIMS: readonly Claim[] = [
  {
    id: "C1",
    statement: "Linearity emerges as models move from memorisation to generalisation: the trained " +
      "denoiser's linearity score (eq. 11) rises with the training-set size.",
    reported: "N = 68 … 70000 (FFHQ 64×64): LS rises with N; generalising models stay above 0.96 even at " +
      "the least favourable α",
    task: "c1",
    run: (args) => runSeeded(runC1, args),
    seeded: true,
    table: c1Table,
    short: "linearity rises with N",
    paperNumber: "LS rises with N; > 0.96",
    ours: (r) => {
      const { bandCentred: b, ns } = c1Metrics(r);
      return `centred LS ${_f(b[0])} → ${_f(b.at(-1)!)} (N ${ns[0]} → ${ns.at(-1)})`;
    },
  },
  {
    id: "C2",
    statement: "Linear distillation: the best linear approximation D_L matches D_θ at high and low noise; " +
      "D_θ is non-linear at intermediate noise, where D_M is far off.",
    reported: "RMSE(D_L, D_θ) < 0.05 for σ in [20, 80] and [0.002, 0.1]; D_M far off at intermediate σ",
    task: "c2",
    run: (args) => runSeeded(runC2, args),
    seeded: true,
    table: c2Table,
    short: "D_L ≈ D_θ at low and high σ",
    paperNumber: "RMSE(D_L, D_θ) < 0.05 at σ ≤ 0.1, ≥ 20",
    ours: (r) => {
      const { rmseLinearToNet: e, sigmas: s } = c2Metrics(r);
      const max = (keep: (x: number) => boolean) => Math.max(...e.filter((_, i) => keep(s[i])));
      return `${_f(max((x) => x <= 0.1))} at σ ≤ 0.1; ${_f(max((x) => x > 0.1 && x <= 4))} at σ ∈ [0.1, 4]`;
    },
  },
  {
    id: "C3",
    statement: "D_L ≈ D_G: the linear part of a generalising D_θ is the Gaussian denoiser of its training " +
      "set (W_σ ≈ the Wiener filter, aligned singular vectors).",
    reported: "RMSE(D_L, D_G) < 0.05 at all 10 σ; W_σ vs Wiener NMSE < 0.2 for most σ; leading singular " +
      "vectors align for σ ≥ 0.116",
    task: "c3",
    run: (args) => runSeeded(runC3, args),
    seeded: true,
    table: c3Table,
    short: "D_L ≈ D_G",
    paperNumber: "RMSE(D_L, D_G) < 0.05 at all σ; NMSE < 0.2",
    ours: (r) => {
      const { rmseLinearToGaussian: e, nmseToWiener: w } = c3Metrics(r);
      return `RMSE < 0.05 at ${e.filter((x) => x < 0.05).length}/${e.length} σ; NMSE < 0.2 at ${
        w.filter((x) => x < 0.2).length
      }/${w.length}`;
    },
  },
  {
    id: "C4",
    statement: "Samples from D_G and D_L share the structure of D_θ's samples from the same initial noise.",
    reported: "visual grids (FFHQ 64×64)",
    task: "c4",
    run: (args) => runSeeded(runC4, args),
    seeded: true,
    table: c4Table,
    short: "samples share D_θ's structure",
    paperNumber: "image grids alike",
    ours: (r) => {
      const q = c4Metrics(r).ratio;
      return `same/other-noise RMSE: D_L ${_f(q[0])}, D_G ${_f(q[1])}, D_M ${_f(q[2])}`;
    },
    gridLabels: _grid(c4GridLabels),
  },
  {
    id: "C5",
    statement: "The Gaussian bias shows only in the generalisation regime: D_L departs from D_G when the " +
      "model memorises.",
    reported:
      "memorising (N = 68, 1094) vs generalising (N ≥ 35000): D_L departs from D_G only when memorising",
    task: "c5",
    run: (args) => runSeeded(runC5, args),
    seeded: true,
    table: c5Table,
    short: "Gaussian bias only when generalising",
    paperNumber: "D_L departs from D_G only when memorising",
    ours: (r) => {
      // v3 on: ρ = RMSE(D_L, D_G) / D_M's own (the criterion's number); v1–v2 results have no ρ.
      const { band: b, ns, rho } = c5Metrics(r);
      return rho
        ? `ρ ${_f(rho[0])} (N ${ns[0]}) → ${_f(rho.at(-1)!)} (N ${ns.at(-1)})`
        : `RMSE(D_L, D_G) ${_f(b[0])} (N ${ns[0]}) vs ${_f(b.at(-1)!)} (N ${ns.at(-1)})`;
    },
  },
  {
    id: "C6",
    statement:
      "More data moves D_θ towards D_G: as the training set grows, the trained denoiser approaches " +
      "the Gaussian denoiser of its training set.",
    reported: "RMSE(D_θ, D_G) falls with N, mostly at σ in [0.1, 20] (FFHQ 64×64, N = 68 … 70000)",
    task: "c6",
    run: (args) => runSeeded(runC6, args),
    seeded: true,
    table: c6Table,
    short: "more data → closer to D_G",
    paperNumber: "RMSE(D_θ, D_G) falls with N",
    ours: (r) => {
      const { bandToGaussian: b, ns } = c6Metrics(r);
      return `${_f(b[0])} → ${_f(b.at(-1)!)} (N ${ns[0]} → ${ns.at(-1)})`;
    },
    gridLabels: _grid(c6GridLabels),
  },
  {
    id: "C7",
    statement:
      "Less capacity moves D_θ towards D_G: at a small training set, smaller networks stay closer to " +
      "the Gaussian denoiser.",
    reported: "N = 1094, base channels 4 … 128: RMSE(D_θ, D_G) at intermediate σ falls as channels shrink",
    task: "c7",
    run: (args) => runSeeded(runC7, args),
    seeded: true,
    table: c7Table,
    short: "less capacity → closer to D_G",
    paperNumber: "RMSE(D_θ, D_G) falls as C shrinks",
    ours: (r) => {
      const { criterionToGaussian: b, capacities: cs } = c7Metrics(r);
      return `${_f(b[0])} (C ${cs[0]}) → ${_f(b.at(-1)!)} (C ${cs.at(-1)})`;
    },
    gridLabels: _grid(c7GridLabels),
  },
  {
    id: "C8",
    statement: "Early in training even an over-parameterised model is close to D_G; it memorises later, so " +
      "early stopping generalises.",
    reported: "N = 1094, epochs 187 … 64210: RMSE(D_θ, D_G) falls until about epoch 841, then rises",
    task: "c8",
    run: (args) => runSeeded(runC8, args),
    seeded: true,
    table: c8Table,
    short: "Gaussian early, memorises later",
    paperNumber: "min. near epoch 841, then rises",
    ours: (r) => {
      const steps = perSeedMetricsOf(r).map((m) => m.minimumStep).join("/");
      return `min. at step ${steps}, then +${_f(100 * c8Metrics(r).rise)}%`;
    },
    gridLabels: _grid(c8GridLabels),
  },
  {
    id: "C9",
    statement:
      "Strong generalisation: models trained on two disjoint halves generate nearly the same image " +
      "from the same noise, because both are close to the (nearly equal) Gaussian models of their halves.",
    reported: "2 × 35000 FFHQ images (and 2 × 1094 with early stopping or small models): visual grids",
    task: "c9",
    run: (args) => runSeeded(runC9, args),
    seeded: true,
    table: c9Table,
    short: "disjoint halves, same samples",
    paperNumber: "samples nearly identical (2 × 35000)",
    ours: (r) => {
      const { ratio: q, ns } = c9Metrics(r);
      return `same/other-noise RMSE ${ns.map((n, i) => `${_f(q[i])} (2 × ${n})`).join(", ")}`;
    },
    gridLabels: _grid(c9GridLabels),
  },
  {
    id: "C10",
    statement: "Theorem 1: among linear denoisers trained with the denoising objective, the optimum is the " +
      "Wiener filter W* = Σ(Σ+σ²I)⁻¹, b* = (I−W*)μ — exactly the Gaussian denoiser D_G; under D_G the " +
      "PF-ODE has a closed-form solution.",
    reported: "exact (Appendix E)",
    task: "c10",
    run: runC10,
    table: c10Table,
    short: "Theorem 1: optimal linear = D_G",
    paperNumber: "exact",
    ours: (r) => {
      const { lsSlope: k, trajectoryRmse: t } = c10Metrics(r);
      return `exact-fit RMSE to D_G ∝ K^${_f(k.reduce((a, b) => a + b, 0) / k.length)}; Heun vs closed form ${
        t.at(-1)!.toExponential(1)
      }`;
    },
  },
  {
    id: "C11",
    statement:
      "Beyond the paper: which closed-form denoiser — D_G, Gaussian mixtures (Wang & Vastola 2024), " +
      "the local and equivariant-local patch posteriors LS and ELS (Kamb & Ganguli 2025), PCA-locality " +
      "(Lukoianov et al. 2025) or D_M — explains a trained D_θ best, at each σ and across the N, capacity and " +
      "training-time regimes.",
    reported: "not a claim of the paper; anchors: ELS median r² 0.94 (Kamb & Ganguli, MNIST), Gaussian " +
      "explained variance ≥ 0.939 and 10-mode mixture ≥ 0.967 (Wang & Vastola, MNIST)",
    task: "c11",
    run: runC11,
    table: c11Table,
    beyond: true,
    short: "beyond: which closed form explains D_θ",
    paperNumber: "ELS median r² 0.94 (Kamb & Ganguli)",
    ours: (r) => {
      const v = [...c11Metrics(r).elsMedianR2].sort((a, b) => a - b);
      return `ELS median r² ${_f(v[0])} … ${_f(v.at(-1)!)} over ${v.length} models`;
    },
  },
];

/** The claim with id `id` (case-insensitive); an unknown id is an error listing the known ones. */
export function getClaim(id: string): Claim {
  const c = CLAIMS.find((c) => c.id.toLowerCase() === id.toLowerCase());
  if (!c) throw new Error(`unknown claim '${id}'; known claims: ${CLAIMS.map((c) => c.id).join(", ")}`);
  return c;
}
