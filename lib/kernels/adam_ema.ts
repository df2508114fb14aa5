/**
 * One fused pass of Adam and the weight EMA over flat float32 buffers: for every element
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·(m·c1)/(√(v·c2) + ε), θ_ema ← θ + β·(θ_ema − θ)
 * with c1 = 1/(1−β1ᵗ), c2 = 1/(1−β2ᵗ) (lib/training/adam.ts, lib/training/ema.ts).
 *
 * Every operation is rounded to float32 in the order tfjs' kernels apply it in lib/training/adam.ts
 * and lib/training/ema.ts (one kernel per operation, float32 scalars), so this pass gives the same
 * bits as those ~13 kernels per tensor: a product or sum of two float32 values computed in float64 and
 * rounded once (`Math.fround`) is the correctly rounded float32 result, and so are a quotient and a
 * square root (float64 has more than 2·24 + 2 bits). The WebAssembly SIMD version
 * (lib/kernels/wasm/kernels.ts `adamEma`) does the same operations in f32x4.
 *
 * @module
 */

/** The float32 scalars of one fused step (each already rounded to float32). */
export interface AdamEmaScalars {
  /** β1. */
  beta1: number;
  /** 1 − β1. */
  oneMinusBeta1: number;
  /** β2. */
  beta2: number;
  /** 1 − β2. */
  oneMinusBeta2: number;
  /** Bias correction of the first moment, 1/(1 − β1ᵗ). */
  c1: number;
  /** Bias correction of the second moment, 1/(1 − β2ᵗ). */
  c2: number;
  /** ε. */
  epsilon: number;
  /** Learning rate of the step. */
  lr: number;
  /** EMA decay β of the step (lib/training/ema.ts `emaBeta`). */
  emaBeta: number;
}

/**
 * The scalars of step number `t` (1-based) at learning rate `lr` and EMA decay `emaBeta`, computed in
 * float64 and rounded to float32 exactly as tfjs rounds a JavaScript number passed to a float32 op.
 *
 * @example
 * ```ts
 * const k = adamEmaScalars({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }, 1, 2e-3, 0.99);
 * ```
 */
export function adamEmaScalars(
  cfg: { beta1: number; beta2: number; epsilon: number },
  t: number,
  lr: number,
  emaBeta: number,
): AdamEmaScalars {
  if (!(t >= 1)) throw new RangeError(`lib/kernels/adam_ema.ts: step number t must be ≥ 1, got ${t}`);
  const f = Math.fround;
  return {
    beta1: f(cfg.beta1),
    oneMinusBeta1: f(1 - cfg.beta1),
    beta2: f(cfg.beta2),
    oneMinusBeta2: f(1 - cfg.beta2),
    c1: f(1 / (1 - Math.pow(cfg.beta1, t))),
    c2: f(1 / (1 - Math.pow(cfg.beta2, t))),
    epsilon: f(cfg.epsilon),
    lr: f(lr),
    emaBeta: f(emaBeta),
  };
}

/**
 * The fused step in JavaScript over elements [0, n) from `g`: θ read from `p` and written to `pOut`,
 * θ_ema from `e` to `eOut`, the moments from `m`, `v` to `out.m`, `out.v` (each output by default its
 * input: in place). The views are float32, at least n long, and overlap only where an output is its
 * own input.
 */
export function adamEmaPass(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  e: Float32Array,
  n: number,
  k: AdamEmaScalars,
  pOut: Float32Array = p,
  eOut: Float32Array = e,
  out: { m: Float32Array; v: Float32Array } = { m, v },
): void {
  const mOut = out.m;
  const vOut = out.v;
  const f = Math.fround;
  const { beta1, oneMinusBeta1, beta2, oneMinusBeta2, c1, c2, epsilon, lr, emaBeta } = k;
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * beta1) + f(gi * oneMinusBeta1));
    const vi = f(f(v[i] * beta2) + f(f(gi * gi) * oneMinusBeta2));
    mOut[i] = mi;
    vOut[i] = vi;
    const upd = f(f(mi * c1) / f(f(Math.sqrt(f(vi * c2))) + epsilon));
    const pi = f(p[i] - f(upd * lr));
    pOut[i] = pi;
    eOut[i] = pi + f(f(e[i] - pi) * emaBeta);
  }
}
