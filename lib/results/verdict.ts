/**
 * Verdict values in words, and the rule that combines the verdicts of independent training seeds: a claim
 * holds (or does not, or holds in part) over the seeds only when every seed's own verdict says so; when
 * the seeds' verdicts differ, the criterion's margin lies inside the seed spread of the numbers it reads,
 * and the verdict is `inconclusive`.
 *
 * @module
 */
import type { Verdict } from "./schema.ts";

/** A verdict value: holds, does not hold, holds in part, or inconclusive (seeds disagree). */
export type Holds = Verdict["holds"];

/** The rule combining per-seed verdicts, in words (quoted in every seeded result's criterion). */
export const SEED_RULE =
  "Over the training seeds: the verdict is the seeds' common verdict when all seeds agree, and " +
  "'inconclusive' when they do not (the criterion's margin then lies inside the seed spread).";

/** Combine per-seed verdicts by {@link SEED_RULE}. */
export function combineVerdicts(holds: readonly Holds[]): Holds {
  if (holds.length === 0) throw new RangeError("combineVerdicts: no verdicts");
  return holds.every((h) => h === holds[0]) ? holds[0] : "inconclusive";
}

/** A verdict value in words: "holds", "does not hold", "partial" or "inconclusive". */
export function verdictWord(holds: Holds): string {
  return holds === true ? "holds" : holds === false ? "does not hold" : holds;
}

/** A verdict value as a short table cell: "yes", "no", "partial" or "inconclusive". */
export function verdictCell(holds: Holds): string {
  return holds === true ? "yes" : holds === false ? "no" : holds;
}

/** A verdict value as a phrase after the claim: "holds", "does not hold", "partly holds" or "inconclusive". */
export function verdictPhrase(holds: Holds): string {
  return holds === "partial" ? "partly holds" : verdictWord(holds);
}
