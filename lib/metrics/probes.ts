/**
 * Noisy probe inputs x = y + σε shared by the metrics (docs/paper.md "Metrics"), and a helper that
 * runs a denoiser over a batch in chunks.
 *
 * Probe i gets the noise `sampleNoise(seed, i, d)`, whatever σ, so the same ε is scaled to every
 * noise level of a sweep and results do not depend on chunk sizes.
 *
 * @module
 */

import { type Batch, batch, type Denoiser, rows } from "../types.ts";
import { noiseRows } from "../rng.ts";

/** x_i = y_i + σ·ε_i with ε_i = sampleNoise(seed, i, d) (docs/paper.md "Metrics", x = y + σε). */
export function noisyProbes(clean: Batch, sigma: number, seed: number): Batch {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`probes.ts: sigma must be ≥ 0, got ${sigma}`);
  }
  const eps = noiseRows(seed, 0, clean.n, clean.d);
  for (let i = 0; i < eps.length; i++) eps[i] = clean.data[i] + sigma * eps[i];
  return batch(clean.n, clean.d, eps);
}

/** D(x; σ) over all rows of x, `batchSize` rows per call (default: one call), with a shape check. */
export async function applyDenoiser(
  denoiser: Denoiser,
  x: Batch,
  sigma: number,
  batchSize: number = Math.max(1, x.n),
): Promise<Batch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`probes.ts: batchSize must be an integer ≥ 1, got ${batchSize}`);
  }
  const out = new Float64Array(x.n * x.d);
  for (let s = 0; s < x.n; s += batchSize) {
    const chunk = rows(x, s, s + batchSize);
    const y = await denoiser(chunk, sigma);
    if (y.n !== chunk.n || y.d !== chunk.d) {
      throw new RangeError(
        `probes.ts: denoiser returned ${y.n} × ${y.d} for ${chunk.n} × ${chunk.d} at σ = ${sigma}`,
      );
    }
    out.set(y.data, s * x.d);
  }
  return batch(x.n, x.d, out);
}
