/**
 * The registry of claims this artifact reproduces: id, the paper's statement (PAPER-NOTES "Claims"),
 * the task that runs it, and its run function. `reproduce`, `paper`, `cite` and `verify` read it.
 *
 * @module
 */
import type { Result } from "../lib/results/schema.ts";
import { c10Table, runC10 } from "./c10_theorem1.ts";
import { c6Table, runC6 } from "./c6_dataset_size.ts";
import { c7Table, runC7 } from "./c7_capacity.ts";
import { c8Table, runC8 } from "./c8_training_time.ts";

/** One claim. */
export interface Claim {
  /** Claim id, e.g. `C10`. */
  id: string;
  /** The paper's statement (PAPER-NOTES "Claims"). */
  statement: string;
  /** What the paper reported. */
  reported: string;
  /** The Deno task that runs it. */
  task: string;
  /** Run the experiment with command-line arguments; returns the result written. */
  run: (args: string[]) => Promise<Result>;
  /** A markdown table of the result's key numbers, for PAPER.md. */
  table?: (r: Result) => string;
}

/** Claims implemented so far, in the order `reproduce` runs them. */
export const CLAIMS: readonly Claim[] = [
  {
    id: "C10",
    statement: "Theorem 1: among linear denoisers trained with the denoising objective, the optimum is the " +
      "Wiener filter W* = Σ(Σ+σ²I)⁻¹, b* = (I−W*)μ — exactly the Gaussian denoiser D_G; under D_G the " +
      "PF-ODE has a closed-form solution.",
    reported: "exact (Appendix E)",
    task: "c10",
    run: runC10,
    table: c10Table,
  },
];

/**
 * Claims whose experiment exists and runs (by its task, or `reproduce` naming it) but has no shipped
 * denoisers nor a frozen result yet: `reproduce` without arguments leaves them out, since at the `full`
 * profile they would train every model first.
 */
export const DEVELOPING_CLAIMS: readonly Claim[] = [
  {
    id: "C6",
    statement:
      "More data moves D_θ towards D_G: as the training set grows, the trained denoiser approaches " +
      "the Gaussian denoiser of its training set.",
    reported: "RMSE(D_θ, D_G) falls with N, mostly at σ in [0.1, 20] (FFHQ 64×64, N = 68 … 70000)",
    task: "c6",
    run: runC6,
    table: c6Table,
  },
  {
    id: "C7",
    statement:
      "Less capacity moves D_θ towards D_G: at a small training set, smaller networks stay closer to " +
      "the Gaussian denoiser.",
    reported: "N = 1094, base channels 4 … 128: RMSE(D_θ, D_G) at intermediate σ falls as channels shrink",
    task: "c7",
    run: runC7,
    table: c7Table,
  },
  {
    id: "C8",
    statement: "Early in training even an over-parameterised model is close to D_G; it memorises later, so " +
      "early stopping generalises.",
    reported: "N = 1094, epochs 187 … 64210: RMSE(D_θ, D_G) falls until about epoch 841, then rises",
    task: "c8",
    run: runC8,
    table: c8Table,
  },
];

/** Claims of the paper (PAPER-NOTES "Claims") that have no experiment yet. */
export const PENDING_CLAIMS: readonly string[] = [
  "C1 — linearity emerges as models move from memorisation to generalisation",
  "C2 — linear distillation: D_L ≈ D_θ at high and low noise, D_θ nonlinear at intermediate noise",
  "C3 — D_L ≈ D_G",
  "C4 — samples from D_G and D_L share the structure of D_θ's samples from the same noise",
  "C5 — the Gaussian bias shows only in the generalisation regime",
  "C9 — strong generalisation: models trained on disjoint halves generate nearly the same image",
];

/** The claim with id `id` (case-insensitive); an unknown id is an error listing the known ones. */
export function getClaim(id: string): Claim {
  const all = [...CLAIMS, ...DEVELOPING_CLAIMS];
  const c = all.find((c) => c.id.toLowerCase() === id.toLowerCase());
  if (!c) throw new Error(`unknown claim '${id}'; known claims: ${all.map((c) => c.id).join(", ")}`);
  return c;
}
