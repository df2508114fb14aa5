/**
 * The tolerance policy of every comparison of a recomputed result with a frozen one (snapshot tests and
 * `deno task verify`):
 *
 * - `volatile` (timestamps, wall time, host) is skipped by the schema; `provenance` and `artifactVersion`
 *   differences are shown and never fail (results/schema.json `x-compare`).
 * - `config`, `seeds`, `paper`, `verdict`, `notes`, `figures` must match exactly: a verdict never moves
 *   within a tolerance.
 * - Numbers under `metrics` match within |now − frozen| ≤ atol + rtol·|frozen|, per claim below. The
 *   computations are deterministic on one machine; the tolerance covers what another BLAS build, CPU or
 *   thread count may change in the last bits of the sums. Measured: OpenBLAS on 1 thread against 2 moved
 *   no C10 metric by more than 7.8e-11 relative.
 *
 * @module
 */
import type { ComparePolicy } from "../lib/results/compare.ts";

/** Float64 experiments with no network (C10). */
export const EXACT_MATH_POLICY: ComparePolicy = { rtol: 1e-6, atol: 1e-9 };

/** The policy for each claim's comparisons. */
export function tolerancePolicy(claim: string): ComparePolicy {
  switch (claim.toUpperCase()) {
    case "C10":
      return EXACT_MATH_POLICY;
    default:
      throw new Error(`no tolerance policy for claim '${claim}' yet: add one to experiments/tolerances.ts`);
  }
}
