/**
 * The zoo models an experiment used and whether each met the convergence rule (lib/training/history.ts):
 * the zoo records each model it hands out, and the harness turns the record into a result note, so a
 * result that uses a model that did not converge says so.
 *
 * @module
 */
import type { ConvergenceCheck } from "../lib/training/history.ts";

/** One model an experiment used. */
export interface UsedModel {
  /** Short label, e.g. "N=16 C=8 seed 7110". */
  label: string;
  /** The rule read off its history, or null when it has none. */
  convergence: ConvergenceCheck | null;
}

const _used = new Map<string, UsedModel>();

/** How a convergence note begins (the seeded harness collects these from each seed's result). */
export const CONVERGENCE_NOTE_PREFIX = "Convergence rule (";

/** Forget the models recorded so far (at the start of an experiment). */
export function resetUsedModels(): void {
  _used.clear();
}

/** Record that the experiment used the model with cache key `key`. */
export function recordUsedModel(key: string, model: UsedModel): void {
  _used.set(key, model);
}

/** A note on the convergence of the models used, or null when none was used. */
export function convergenceNote(): string | null {
  const all = [..._used.values()];
  if (all.length === 0) return null;
  const unknown = all.filter((m) => m.convergence === null);
  const notMet = all.filter((m) => m.convergence !== null && !m.convergence.converged);
  const rule = all.find((m) => m.convergence)?.convergence?.rule;
  const ruleText = rule
    ? `held-out loss changed by less than ${rule.tolerance * 100}% over the last ${
      rule.window * 100
    }% of steps`
    : "held-out loss settled";
  const parts = [
    `Convergence rule (${ruleText}): ${
      all.length - notMet.length - unknown.length
    } of ${all.length} models met it.`,
  ];
  if (notMet.length) {
    parts.push(
      `Not met: ${
        notMet.map((m) =>
          `${m.label} (${(100 * m.convergence!.change).toFixed(1)}% over steps ${m.convergence!.from}–${
            m.convergence!.to
          })`
        )
          .join("; ")
      }.`,
    );
  }
  if (unknown.length) {
    parts.push(
      `No training history (trained before histories were kept): ${unknown.map((m) => m.label).join("; ")}.`,
    );
  }
  return parts.join(" ");
}
