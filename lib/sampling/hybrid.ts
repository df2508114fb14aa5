/**
 * Gaussian teleportation (Wang & Vastola, TMLR 2024; docs/paper.md "Objects"): replace the first part
 * of sampling by the closed-form probability-flow solution under D_G, then continue with an ODE
 * solver on any denoiser. Because a generalising D_θ is close to D_G at high noise, skipping the
 * first 15–30% of steps this way costs (almost) nothing in quality.
 *
 * @module
 */

import { type Batch, batch, type Denoiser } from "../types.ts";
import {
  initialLatents,
  type InitialNoise,
  integrateODE,
  type OdeMethod,
  type SamplerOptions,
} from "./samplers.ts";
import { assertSchedule, edmSchedule } from "./schedule.ts";

/**
 * A closed-form trajectory x_T at σ = sigmaFrom ↦ x_t at σ = sigmaTo, e.g. D_G's
 * x_t = μ + Σ_i √((σ_t²+λ_i)/(σ_T²+λ_i)) u_i u_iᵀ(x_T − μ), bound to a fitted Gaussian:
 * `(x, a, b) => gaussianTrajectory(model, x, a, b)`.
 */
export type TrajectoryFn = (xT: Batch, sigmaFrom: number, sigmaTo: number) => Batch | Promise<Batch>;

/** Options of {@link gaussianTeleportSampler}. */
export interface TeleportOptions extends SamplerOptions {
  /** Closed-form trajectory used for the jump. */
  trajectory: TrajectoryFn;
  /**
   * Fraction of the schedule's steps to skip, in [0, 1]: the jump lands on level
   * k = round(skipFraction · steps). 0 is plain sampling; 1 is the closed form all the way.
   */
  skipFraction: number;
  /** ODE rule for the remaining steps (default "heun"); `onProgress` counts those steps only. */
  method?: OdeMethod;
}

/** Result of {@link gaussianTeleportSampler}. */
export interface TeleportResult {
  /** Final samples. */
  samples: Batch;
  /** Index k of the schedule level the jump landed on. */
  landedAt: number;
  /** σ_k. */
  sigmaLanded: number;
}

/**
 * Gaussian-teleport hybrid sampler (Wang & Vastola, docs/paper.md "Objects"): x_T = σ_0·ε, jump with
 * the closed-form trajectory from σ_0 to σ_k (k = round(skipFraction·steps)), then integrate the
 * probability-flow ODE on `denoiser` over σ_k … σ_n.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser, gaussianTeleportSampler, gaussianTrajectory } from "../../gaussian.ts";
 * const model = fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1])));
 * const r = await gaussianTeleportSampler(gaussianDenoiser(model), { seed: 1, count: 4, d: 2 }, {
 *   skipFraction: 0.3, // jump over the first 30% of the steps in closed form
 *   trajectory: (x, from, to) => gaussianTrajectory(model, x, from, to),
 * });
 * ```
 */
export async function gaussianTeleportSampler(
  denoiser: Denoiser,
  init: InitialNoise,
  opts: TeleportOptions,
): Promise<TeleportResult> {
  const sigmas = opts.schedule ?? edmSchedule(18);
  assertSchedule(sigmas, "hybrid.ts");
  const f = opts.skipFraction;
  if (!(f >= 0 && f <= 1)) throw new RangeError(`hybrid.ts: skipFraction must be in [0, 1], got ${f}`);
  if (typeof opts.trajectory !== "function") {
    throw new TypeError("hybrid.ts: a trajectory function is required");
  }
  const steps = sigmas.length - 1;
  const k = Math.round(f * steps);
  const eps = initialLatents(init);
  const xT = new Float64Array(eps.data.length);
  for (let i = 0; i < xT.length; i++) xT[i] = sigmas[0] * eps.data[i];
  let x = batch(eps.n, eps.d, xT);
  if (k > 0) {
    const jumped = await opts.trajectory(x, sigmas[0], sigmas[k]);
    if (jumped.n !== x.n || jumped.d !== x.d) {
      throw new RangeError(
        `hybrid.ts: trajectory returned ${jumped.n} × ${jumped.d}, expected ${x.n} × ${x.d}`,
      );
    }
    x = jumped;
  }
  const samples = k < steps
    ? await integrateODE(denoiser, x, Array.from(sigmas).slice(k), {
      method: opts.method ?? "heun",
      batchSize: opts.batchSize,
      onProgress: opts.onProgress,
    })
    : x;
  return { samples, landedAt: k, sigmaLanded: sigmas[k] };
}
