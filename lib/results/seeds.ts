/**
 * Metrics over independent training seeds: the per-seed metrics of one claim combined elementwise into
 * their seed mean and spread (the verdict over seeds is lib/results/verdict.ts's `combineVerdicts`).
 *
 * @module
 */
import type { NumericTree } from "./schema.ts";

function _zip(
  trees: readonly NumericTree[],
  leaf: (xs: number[]) => number | null,
  path: string,
): NumericTree {
  const t0 = trees[0];
  if (typeof t0 === "number" || t0 === null) {
    const xs = trees.map((t) => (typeof t === "number" ? t : NaN));
    if (xs.some((x) => !Number.isFinite(x))) return null;
    const v = leaf(xs);
    return v === null || !Number.isFinite(v) ? null : v;
  }
  if (Array.isArray(t0)) {
    for (const t of trees) {
      if (!Array.isArray(t) || t.length !== t0.length) {
        throw new RangeError(
          `seed results differ in shape at ${path || "metrics"}: arrays of unequal length`,
        );
      }
    }
    return t0.map((_, i) => _zip(trees.map((t) => (t as NumericTree[])[i]), leaf, `${path}[${i}]`));
  }
  const out: { [key: string]: NumericTree } = {};
  for (const k of Object.keys(t0)) {
    const sub = trees.map((t) => {
      const o = t as { [key: string]: NumericTree };
      if (typeof o !== "object" || o === null || Array.isArray(o) || !(k in o)) {
        throw new RangeError(`seed results differ in shape at ${path ? `${path}.` : ""}${k}`);
      }
      return o[k];
    });
    out[k] = _zip(sub, leaf, path ? `${path}.${k}` : k);
  }
  return out;
}

/** Elementwise mean of numeric trees of one shape (a leaf that is not finite in every tree is null). */
export function meanTree(trees: readonly NumericTree[]): NumericTree {
  return _zip(trees, (xs) => xs.reduce((a, b) => a + b, 0) / xs.length, "");
}

/** Elementwise sample standard deviation (n − 1) of numeric trees of one shape (null for one tree). */
export function sdTree(trees: readonly NumericTree[]): NumericTree {
  return _zip(trees, (xs) => {
    if (xs.length < 2) return null;
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  }, "");
}

/** Elementwise minimum and maximum of numeric trees of one shape. */
export function rangeTree(trees: readonly NumericTree[]): { min: NumericTree; max: NumericTree } {
  return { min: _zip(trees, (xs) => Math.min(...xs), ""), max: _zip(trees, (xs) => Math.max(...xs), "") };
}

/**
 * The metrics of a seeded result: the per-seed metrics' mean, sample standard deviation, minimum and
 * maximum (elementwise), and each seed's own metrics.
 * @example
 * ```ts
 * const m = seedMetrics([{ ratio: 0.8 }, { ratio: 0.9 }, { ratio: 1.0 }]);
 * // m.mean.ratio ≈ 0.9, m.sd.ratio = 0.1, m.perSeed[2].ratio = 1.0
 * ```
 */
export function seedMetrics(perSeed: readonly { [key: string]: NumericTree }[]): {
  mean: NumericTree;
  sd: NumericTree;
  min: NumericTree;
  max: NumericTree;
  perSeed: NumericTree[];
} {
  const { min, max } = rangeTree(perSeed);
  return { mean: meanTree(perSeed), sd: sdTree(perSeed), min, max, perSeed: [...perSeed] };
}

/**
 * The metrics a reader of one result wants: the seed mean for a result over several seeds (whose metrics
 * are {@link seedMetrics}'s), else the metrics themselves.
 */
export function metricsOf(r: { metrics: { [key: string]: NumericTree } }): { [key: string]: NumericTree } {
  return _seeded(r.metrics) ? r.metrics.mean as { [key: string]: NumericTree } : r.metrics;
}

/**
 * One claim's metrics of a result, typed as the claim's metrics type `T` (the shape its experiment writes):
 * {@link metricsOf}, so the seed mean for a result over several seeds. Checks that `r` is a result of
 * `claim` and throws an Error naming the result (its `id` where it has one) when not.
 * @example
 * ```ts
 * type C8Metrics = { steps: number[]; rise: number };
 * const m = claimMetricsOf<C8Metrics>(result, "C8");
 * // m.rise: the seed mean of the seeds' `rise` for a seeded result, else the result's own
 * ```
 */
export function claimMetricsOf<T>(
  r: { claim: string; id?: string; metrics: { [key: string]: NumericTree } },
  claim: string,
): T {
  if (r.claim !== claim) {
    throw new Error(
      `lib/results/seeds.ts claimMetricsOf: ${r.id ?? "the result"} is a ${r.claim} result, not ${claim}`,
    );
  }
  return metricsOf(r) as unknown as T;
}

/** Each seed's metrics of a result over several seeds, else the result's own metrics as the one entry. */
export function perSeedMetricsOf(
  r: { metrics: { [key: string]: NumericTree } },
): { [key: string]: NumericTree }[] {
  return _seeded(r.metrics) ? r.metrics.perSeed as { [key: string]: NumericTree }[] : [r.metrics];
}

/** Whether metrics are {@link seedMetrics}'s (mean, sd, min, max, perSeed). */
function _seeded(m: { [key: string]: NumericTree }): boolean {
  return "perSeed" in m && Array.isArray(m.perSeed) && "mean" in m && typeof m.mean === "object" &&
    m.mean !== null && !Array.isArray(m.mean);
}
