/**
 * A verdict judges only sane numbers: every metric must be finite, and an RMSE per pixel (eq. 10) between
 * two denoisers' outputs for images in [-1, 1] cannot exceed {@link RMSE_BOUND} unless a model diverged.
 * {@link checkMetricsSane} lists what fails, so a claim refuses to write a verdict on it.
 *
 * @module
 */

/**
 * Bound on any RMSE per pixel (a metric whose key contains `rmse`): pixels lie in [-1, 1], so two images
 * in range are at most 2 apart and sane denoisers stay near the range; 10 = five times that.
 */
export const RMSE_BOUND = 10;

/** Problems of a metrics object: non-finite numbers, and RMSEs above {@link RMSE_BOUND}; empty when sane. */
export function checkMetricsSane(metrics: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (x: unknown, path: string, rmse: boolean) => {
    if (typeof x === "number") {
      if (!Number.isFinite(x)) out.push(`${path} = ${x} is not finite`);
      else if (rmse && Math.abs(x) > RMSE_BOUND) {
        out.push(
          `${path} = ${x} is above the bound ${RMSE_BOUND} for an RMSE per pixel (pixels lie in [-1, 1])`,
        );
      }
    } else if (Array.isArray(x)) x.forEach((v, i) => walk(v, `${path}[${i}]`, rmse));
    else if (x !== null && typeof x === "object") {
      for (const [k, v] of Object.entries(x)) walk(v, `${path}.${k}`, rmse || /rmse/i.test(k));
    }
  };
  walk(metrics, "metrics", false);
  return out;
}
