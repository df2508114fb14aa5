/**
 * Adam (Kingma & Ba) with its state held explicitly, so checkpoints can save and restore it:
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ),
 * v̂ = v/(1−β2ᵗ) — the update of `tf.train.adam` and of PyTorch's Adam (EDM: β 0.9, 0.999, ε 1e-8).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Adam's constants. */
export interface AdamConfig {
  /** First-moment decay (0.9). */
  beta1: number;
  /** Second-moment decay (0.999). */
  beta2: number;
  /** Denominator guard (1e-8). */
  epsilon: number;
}

/** EDM's Adam constants: β1 0.9, β2 0.999, ε 1e-8. */
export const ADAM_DEFAULTS: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/**
 * One Adam step number `t` (1-based) at learning rate `lr`: updates `params`, `m` and `v` in place
 * from `grads` (same order). Leaves no tensors behind; does not dispose `grads`.
 */
export function adamStep(
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  m: readonly tf.Variable[],
  v: readonly tf.Variable[],
  t: number,
  lr: number,
  cfg: AdamConfig = ADAM_DEFAULTS,
): void {
  if (grads.length !== params.length || m.length !== params.length || v.length !== params.length) {
    throw new RangeError(
      `adamStep: ${params.length} parameters, ${grads.length} gradients, ${m.length}/${v.length} moments`,
    );
  }
  if (!(t >= 1)) throw new RangeError(`adamStep: step number t must be ≥ 1, got ${t}`);
  const { beta1, beta2, epsilon } = cfg;
  const c1 = 1 / (1 - Math.pow(beta1, t));
  const c2 = 1 / (1 - Math.pow(beta2, t));
  tf.tidy(() => {
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1));
      const vi = tf.add(tf.mul(v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
      m[i].assign(mi);
      v[i].assign(vi);
      const upd = tf.div(tf.mul(mi, c1), tf.add(tf.sqrt(tf.mul(vi, c2)), epsilon));
      params[i].assign(tf.sub(params[i], tf.mul(upd, lr)));
    }
  });
}
