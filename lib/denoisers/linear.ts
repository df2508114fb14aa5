/**
 * The linear denoiser D_L(x; σ) = W_σ x + b_σ and its distillation by Adam (docs/paper.md D_L,
 * Theorem 1).
 *
 * {@link distillLinear} learns W (d × d) and b from zero on E‖W(y+σε) + b − target(y+σε)‖² over
 * training images y and fresh noise ε, where the target is a denoiser D_θ (linear distillation,
 * claims C2–C3) or the clean image y itself (Theorem 1's denoising objective, whose optimum is the
 * Wiener filter W* = Σ(Σ+σ²I)⁻¹, b* = (I−W*)μ, i.e. D_G).
 *
 * Parameterisation, following the authors' `train_linear_model.py`: their `LinearModel` divides
 * the input by √d before an `nn.Linear` initialised at zero, and trains it with Adam at one
 * learning rate `lr`. Adam is invariant to rescaling a parameter's gradient (up to ε), so that is
 * the same as training W directly with step size lr/√d and b with step size lr; we do the latter
 * (`lrWeight` defaults to lr/√d). Their loss is `nn.MSELoss` (mean over batch and pixels); ours is
 * the same quantity (reported per epoch as the mean over its minibatches), with gradients
 * grad_W = (2/B)·Rᵀ X and grad_b = (2/B)·Σ_rows R (R = residuals, X = noisy inputs, both B × d;
 * the constant 1/d of the mean is dropped: Adam does not see it). Minibatches run over the
 * training images in order (their DataLoader has `shuffle=False`), the last one possibly short.
 *
 * @module
 */

import { type Batch, batch, type Denoiser, type SyncDenoiser } from "../types.ts";
import { gemm } from "../linalg/gemm.ts";
import { eigh } from "../linalg/eigh.ts";
import { deriveSeed, sampleNoise } from "../rng.ts";
import { createFloat64Workspace, type Float64Workspace } from "../kernels/wasm/mod.ts";

/**
 * D_L(x) = W x + b for every row of x, with W d × d row-major (docs/paper.md D_L). σ is ignored.
 *
 * @example
 * ```ts
 * import { batch, linearDenoiser } from "../../gaussian.ts";
 * const DL = linearDenoiser(Float64Array.from([0.5, 0, 0, 0.5]), Float64Array.from([0, 0]), 2); // W, b
 * const y = DL(batch(1, 2, Float64Array.from([1, -1])), 1); // W x + b = [0.5, -0.5]
 * ```
 */
export function linearDenoiser(W: Float64Array, b: Float64Array, d: number): SyncDenoiser {
  _checkParams(W, b, d);
  return (x: Batch): Batch => {
    if (x.d !== d || x.data.length !== x.n * d) {
      throw new RangeError(
        `lib/denoisers/linear.ts linearDenoiser: batch is ${x.n} × ${x.d}, model has d = ${d}`,
      );
    }
    const out = gemm(x.n, d, d, x.data, W, undefined, { transB: true });
    for (let r = 0; r < x.n; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) out[o + j] += b[j];
    }
    return batch(x.n, d, out);
  };
}

/**
 * Default Adam learning rates `lr` (authors' convention: W steps lr/√d, b steps lr) for the
 * paper's ten σ levels, keyed by `String(σ)` of `PAPER_SIGMAS`. NOT the authors' values: their
 * `train_linear_model.py` only says that "different noise levels require different learning
 * rate" and lists the grid 5e-5, 5e-4, 5e-3, 5e-2, 5e-1 in a comment; the per-σ choices are not
 * published. Ours are the grid value that brought D_L closest to D_G (RMSE on 256 held-out probes)
 * in our pilot of Theorem 1's objective — MNIST 16×16 (d = 256), N = 8192, batch 256, 40 epochs,
 * constant lr — which gave (best RMSE): σ ≥ 1.5 → 5e-3 (0.26 at σ = 80 … 0.040 at 1.5);
 * 0.47 … 0.0204 → 5e-2 (0.051, 0.029, 0.029); 0.002 → 5e-1 (0.020). Larger rates stall on the
 * noise of the gradient at high σ, smaller ones converge too slowly at low σ. Under the 1/√d
 * convention a W step moves an output pixel by about lr·σ whatever d, so the choice should carry
 * over to other d to first order; a spot check at d = 784 (MNIST 28×28, same N and budget) agreed at
 * σ = 0.47 (5e-2: 0.064 against 0.105 for 5e-3) but found the constant-rate noise floor higher at
 * σ = 80 (5e-3: 0.39 → 0.52 over 10 → 40 epochs; 5e-4: 0.35 and still falling). A decaying rate does
 * far better there (see {@link linearLearningRate}, {@link exponentialLrDecay}).
 */
export const DEFAULT_LINEAR_LR: Readonly<Record<string, number>> = Object.freeze({
  "80": 5e-3,
  "42.415": 5e-3,
  "21.109": 5e-3,
  "9.723": 5e-3,
  "4.066": 5e-3,
  "1.502": 5e-3,
  "0.47": 5e-2,
  "0.1166": 5e-2,
  "0.0204": 5e-2,
  "0.002": 5e-1,
});

/**
 * Our default learning rate at any σ (authors' convention), the piecewise rule behind
 * {@link DEFAULT_LINEAR_LR}: 5e-3 for σ ≥ 1, 5e-2 for 0.01 ≤ σ < 1, 5e-1 below. Not from the paper.
 * With a decaying rate (`lrFactor: exponentialLrDecay(epochs)`) larger rates do better: in the same
 * pilot, 20 epochs from lr 5e-2 reached RMSE(D_L, D_G) 0.060 / 0.040 / 0.024 / 0.039 at
 * σ = 80 / 21 / 4.1 / 1.5 (d = 256; 0.086 at σ = 80 for d = 784), and from lr 5e-1 0.026 / 0.064 / 0.081
 * at σ = 0.47 / 0.117 / 0.002.
 */
export function linearLearningRate(sigma: number): number {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new RangeError(
      `lib/denoisers/linear.ts linearLearningRate: σ must be finite and ≥ 0, got ${sigma}`,
    );
  }
  if (sigma >= 1) return 5e-3;
  if (sigma >= 0.01) return 5e-2;
  return 5e-1;
}

/**
 * Per-epoch multiplier for {@link DistillOptions.lrFactor} decaying geometrically from 1 at the first
 * epoch to `final` at the last: factor(e) = final^(e/(epochs−1)). Not the authors' (constant) rate.
 */
export function exponentialLrDecay(epochs: number, final = 0.01): (epoch: number) => number {
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(
      `lib/denoisers/linear.ts exponentialLrDecay: epochs must be an integer ≥ 1, got ${epochs}`,
    );
  }
  if (!(final > 0)) {
    throw new RangeError(`lib/denoisers/linear.ts exponentialLrDecay: final must be > 0, got ${final}`);
  }
  return (e) => (epochs === 1 ? 1 : final ** (e / (epochs - 1)));
}

/** What the linear model is fitted to: a denoiser D_θ, or the clean image (Theorem 1). */
export type DistillTarget = Denoiser | "clean";

/** Per-epoch report of {@link distillLinear}. */
export interface DistillEpoch {
  /** Epoch just finished, 1 … epochs. */
  epoch: number;
  /** Mean over the epoch's minibatches of the per-pixel MSE ‖W x + b − target‖²/(B·d). */
  loss: number;
  /** Adam steps taken so far. */
  steps: number;
  /** Current W (live: copy it to keep it). */
  W: Float64Array;
  /** Current b (live: copy it to keep it). */
  b: Float64Array;
  /** D_L with the current parameters (live), e.g. to record RMSE to D_G per epoch. */
  denoiser: SyncDenoiser;
  /** Wall-clock seconds since the start of training. */
  seconds: number;
}

/** Options of {@link distillLinear}. */
export interface DistillOptions {
  /** Training images y (N × d). */
  train: Batch;
  /** Noise level σ of this linear model. */
  sigma: number;
  /** D_θ to distil, or "clean" for the denoising objective of Theorem 1. */
  target: DistillTarget;
  /** Passes over the training images. */
  epochs: number;
  /** Seed of the noise: image i in epoch e gets sampleNoise(deriveSeed(seed, e), i, d). */
  seed: number;
  /** Minibatch size (default 256, the authors'). */
  batchSize?: number;
  /** Adam learning rate of b, and of W through lrWeight (default {@link linearLearningRate}(σ)). */
  lr?: number;
  /** Adam step size of W (default lr/√d: the authors' 1/√d input scaling). */
  lrWeight?: number;
  /** Adam β₁, β₂ (default 0.9, 0.999). */
  betas?: readonly [number, number];
  /** Adam ε (default 1e-8). */
  eps?: number;
  /**
   * Multiplier of both step sizes in each epoch (0-based), e.g. a decay `(e) => 0.98 ** e`.
   * Default: constant, as the authors train.
   */
  lrFactor?: (epoch: number) => number;
  /** Start from these parameters instead of zero (they are copied). */
  init?: { W: Float64Array; b: Float64Array };
  /** Called after each epoch; may be async (e.g. to evaluate). */
  onEpoch?: (e: DistillEpoch) => void | Promise<void>;
}

/** Result of {@link distillLinear}. */
export interface DistilledLinear {
  /** Learned W_σ, d × d row-major. */
  W: Float64Array;
  /** Learned b_σ. */
  b: Float64Array;
  /** Dimension. */
  d: number;
  /** Noise level it was trained at. */
  sigma: number;
  /** Loss per epoch (see {@link DistillEpoch.loss}). */
  losses: Float64Array;
  /** Adam steps taken. */
  steps: number;
  /** D_L(x) = W x + b. */
  denoiser: SyncDenoiser;
}

/**
 * Learn D_L(x) = W x + b at one σ by Adam from zero on E‖W(y+σε) + b − target(y+σε)‖²
 * (docs/paper.md D_L; with target "clean", Theorem 1's objective, optimum W* = Σ(Σ+σ²I)⁻¹).
 *
 * @example
 * ```ts
 * import { batch, distillLinear } from "../../gaussian.ts";
 * // Theorem 1's objective (target "clean"): Adam tends to the Wiener filter W* = Σ(Σ+σ²I)⁻¹.
 * const fit = await distillLinear({ train: batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1])), sigma: 0.5, target: "clean", epochs: 50, seed: 1 });
 * const y = fit.denoiser(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1])), 0.5);
 * ```
 */
export async function distillLinear(opts: DistillOptions): Promise<DistilledLinear> {
  const { train, sigma, target, epochs, seed } = opts;
  const { n: N, d } = train;
  const B = opts.batchSize ?? 256;
  const lr = opts.lr ?? linearLearningRate(sigma);
  const lrW = opts.lrWeight ?? lr / Math.sqrt(d);
  const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
  const eps = opts.eps ?? 1e-8;
  const where = "lib/denoisers/linear.ts distillLinear";
  if (N < 1) throw new RangeError(`${where}: empty training set`);
  if (train.data.length !== N * d) throw new RangeError(`${where}: training data length ≠ ${N} × ${d}`);
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`${where}: σ must be finite and ≥ 0, got ${sigma}`);
  }
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new RangeError(`${where}: epochs must be an integer ≥ 0`);
  }
  if (!Number.isInteger(B) || B < 1) {
    throw new RangeError(`${where}: batchSize must be an integer ≥ 1, got ${B}`);
  }
  if (!(lr >= 0) || !(lrW >= 0)) {
    throw new RangeError(`${where}: learning rates must be ≥ 0 (lr ${lr}, lrWeight ${lrW})`);
  }
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new RangeError(`${where}: bad Adam betas`);
  if (target !== "clean" && typeof target !== "function") {
    throw new TypeError(`${where}: target must be a Denoiser or "clean"`);
  }

  // The parameters, their gradients and Adam's moments live on a WebAssembly memory of this call's own
  // when the kernels load, where `adam64` steps them (the same bits as the JavaScript loop, about 2× faster).
  const ws = createFloat64Workspace();
  const sizes = [d * d, d, d * d, d * d, d, d, d * d, d];
  const [W, b, mW, vW, mb, vb, gW, gb] = ws?.views(sizes) ?? sizes.map((n) => new Float64Array(n));
  if (opts.init) {
    _checkParams(opts.init.W, opts.init.b, d);
    W.set(opts.init.W);
    b.set(opts.init.b);
  }
  const adam = ws === null
    ? _adam
    : (p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, ...k: _AdamScalars) =>
      _adamWasm(ws, p, g, m, v, ...k);
  const X = new Float64Array(B * d);
  const P = new Float64Array(B * d);
  const eps1 = new Float64Array(d);
  const denoiser = linearDenoiser(W, b, d);
  const losses = new Float64Array(epochs);
  const t0 = performance.now();
  let step = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    const epochSeed = deriveSeed(seed, epoch);
    const factor = opts.lrFactor ? opts.lrFactor(epoch) : 1;
    if (!(factor >= 0) || !Number.isFinite(factor)) {
      throw new RangeError(`${where}: lrFactor(${epoch}) returned ${factor}`);
    }
    let lossSum = 0;
    let batches = 0;
    for (let s = 0; s < N; s += B) {
      const m = Math.min(B, N - s);
      const md = m * d;
      // Noisy inputs x = y + σε, one noise stream per training image and epoch.
      for (let r = 0; r < m; r++) {
        sampleNoise(epochSeed, s + r, d, eps1);
        const o = r * d;
        const yo = (s + r) * d;
        for (let j = 0; j < d; j++) X[o + j] = train.data[yo + j] + sigma * eps1[j];
      }
      const xb = X.subarray(0, md);
      let T: Float64Array;
      if (target === "clean") {
        T = train.data.subarray(s * d, s * d + md);
      } else {
        const out = await target(batch(m, d, Float64Array.from(xb)), sigma);
        if (out.n !== m || out.d !== d) {
          throw new RangeError(`${where}: target returned ${out.n} × ${out.d} for ${m} × ${d}`);
        }
        T = out.data;
      }
      // Forward P = X Wᵀ + b; residual R = P − T (in place in P).
      const R = P.subarray(0, md);
      gemm(m, d, d, xb, W, R, { transB: true });
      let loss = 0;
      gb.fill(0);
      for (let r = 0; r < m; r++) {
        const o = r * d;
        for (let j = 0; j < d; j++) {
          const v = R[o + j] + b[j] - T[o + j];
          R[o + j] = v;
          loss += v * v;
          gb[j] += v;
        }
      }
      lossSum += loss / md;
      batches++;
      // Gradients: grad_W = (2/m) Rᵀ X, grad_b = (2/m) Σ_rows R.
      gemm(d, d, m, R, xb, gW, { transA: true, alpha: 2 / m });
      for (let j = 0; j < d; j++) gb[j] *= 2 / m;
      step++;
      adam(W, gW, mW, vW, factor * lrW, beta1, beta2, eps, step);
      adam(b, gb, mb, vb, factor * lr, beta1, beta2, eps, step);
    }
    losses[epoch] = lossSum / batches;
    if (opts.onEpoch) {
      await opts.onEpoch({
        epoch: epoch + 1,
        loss: losses[epoch],
        steps: step,
        W,
        b,
        denoiser,
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }
  if (ws === null) return { W, b, d, sigma, losses, steps: step, denoiser };
  // Plain copies, so the workspace memory can go.
  const [Wc, bc] = [W.slice(), b.slice()];
  return { W: Wc, b: bc, d, sigma, losses, steps: step, denoiser: linearDenoiser(Wc, bc, d) };
}

type _AdamScalars = [lr: number, beta1: number, beta2: number, eps: number, t: number];

/** {@link _adam} as the WebAssembly kernel `adam64` on views of `ws`. */
function _adamWasm(
  ws: Float64Workspace,
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  ...[lr, beta1, beta2, eps, t]: _AdamScalars
): void {
  const at = ws.offset;
  const { stepSize, bc2, a1, a2 } = _adamScalars(lr, beta1, beta2, t);
  ws.adam64(at(p), at(g), at(m), at(v), p.length, stepSize, beta1, a1, beta2, a2, bc2, eps);
}

/** Adam's per-step scalars: lr/(1−β₁ᵗ), √(1−β₂ᵗ), 1−β₁, 1−β₂ (shared by {@link _adam} and {@link _adamWasm}). */
function _adamScalars(lr: number, beta1: number, beta2: number, t: number) {
  return { stepSize: lr / (1 - beta1 ** t), bc2: Math.sqrt(1 - beta2 ** t), a1: 1 - beta1, a2: 1 - beta2 };
}

/** One Adam step (PyTorch's form): p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε). */
function _adam(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  t: number,
): void {
  const { stepSize, bc2, a1, a2 } = _adamScalars(lr, beta1, beta2, t);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + a1 * gi;
    const vi = beta2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps);
  }
}

function _checkParams(W: Float64Array, b: Float64Array, d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`lib/denoisers/linear.ts: bad dimension d = ${d}`);
  if (W.length !== d * d) {
    throw new RangeError(`lib/denoisers/linear.ts: W has ${W.length} entries, expected ${d * d}`);
  }
  if (b.length !== d) {
    throw new RangeError(`lib/denoisers/linear.ts: b has ${b.length} entries, expected ${d}`);
  }
}

/** Options of {@link leastSquaresLinear}. */
export interface LeastSquaresOptions {
  /** Training images y (N × d). */
  train: Batch;
  /** Noise level σ. */
  sigma: number;
  /** D_θ to fit, or "clean" for the denoising objective of Theorem 1. */
  target: DistillTarget;
  /** Numbers K of noise draws per image at which to solve, increasing (e.g. [1, 2, 4, 8]). */
  draws: number[];
  /** Seed of the noise: draw k of image i is sampleNoise(deriveSeed(seed, k), i, d), as in {@link distillLinear}. */
  seed: number;
  /** Images per block while accumulating (default 512). */
  blockSize?: number;
}

/** The exact minimiser after K draws per image. */
export interface LeastSquaresFit {
  /** Draws per image K (M = K·N samples). */
  draws: number;
  /** W = C_tx C_xx⁻¹ (d × d row-major). */
  W: Float64Array;
  /** b = t̄ − W x̄. */
  b: Float64Array;
  /** D_L with these parameters. */
  denoiser: SyncDenoiser;
}

/**
 * Exact minimiser of the sampled objective Σ‖W(y+σε)+b − target(y+σε)‖² over N images × K noise draws
 * (normal equations: W = C_tx C_xx⁻¹, b = t̄ − W x̄, with the sample covariances of inputs x and targets
 * t). By Theorem 1 (docs/paper.md), with the clean target it tends to the Wiener filter, i.e. D_G, as
 * K → ∞; returns the solution at each K of `draws`.
 *
 * @example
 * ```ts
 * import { batch, fitGaussian, gaussianDenoiser, leastSquaresLinear } from "../../gaussian.ts";
 * const train = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));
 * const DG = gaussianDenoiser(fitGaussian(train));
 * // The exact minimiser of E‖W(y+σε) + b − D(y+σε; σ)‖² over K noise draws per image, for each K.
 * const fits = await leastSquaresLinear({ train, sigma: 0.5, target: DG, draws: [4, 16], seed: 1 });
 * ```
 */
export async function leastSquaresLinear(opts: LeastSquaresOptions): Promise<LeastSquaresFit[]> {
  const { train, sigma, target, draws, seed } = opts;
  const { n: N, d } = train;
  const where = "lib/denoisers/linear.ts leastSquaresLinear";
  if (
    draws.length === 0 || draws.some((k, i) => !Number.isInteger(k) || k < 1 || (i > 0 && k <= draws[i - 1]))
  ) {
    throw new RangeError(`${where}: draws must be increasing positive integers, got ${draws.join(", ")}`);
  }
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`${where}: σ must be finite and > 0, got ${sigma}`);
  }
  const B = opts.blockSize ?? 512;
  const Sxx = new Float64Array(d * d);
  const Stx = new Float64Array(d * d);
  const sx = new Float64Array(d);
  const st = new Float64Array(d);
  const X = new Float64Array(B * d);
  const out: LeastSquaresFit[] = [];
  let k = 0;
  for (const K of draws) {
    for (; k < K; k++) {
      const drawSeed = deriveSeed(seed, k);
      for (let s = 0; s < N; s += B) {
        const m = Math.min(B, N - s);
        for (let r = 0; r < m; r++) {
          const xr = X.subarray(r * d, (r + 1) * d);
          sampleNoise(drawSeed, s + r, d, xr);
          const yo = (s + r) * d;
          for (let j = 0; j < d; j++) xr[j] = train.data[yo + j] + sigma * xr[j];
        }
        const xb = X.subarray(0, m * d);
        const T = target === "clean"
          ? train.data.subarray(s * d, (s + m) * d)
          : (await target(batch(m, d, xb.slice()), sigma)).data;
        gemm(d, d, m, xb, xb, Sxx, { transA: true, beta: 1 });
        gemm(d, d, m, T, xb, Stx, { transA: true, beta: 1 });
        for (let r = 0; r < m; r++) {
          for (let j = 0; j < d; j++) {
            sx[j] += xb[r * d + j];
            st[j] += T[r * d + j];
          }
        }
      }
    }
    out.push({ draws: K, ..._solveNormal(Sxx, Stx, sx, st, K * N, d) });
  }
  return out;
}

function _solveNormal(
  Sxx: Float64Array,
  Stx: Float64Array,
  sx: Float64Array,
  st: Float64Array,
  M: number,
  d: number,
): { W: Float64Array; b: Float64Array; denoiser: SyncDenoiser } {
  const xm = sx.map((v) => v / M);
  const tm = st.map((v) => v / M);
  const Cxx = new Float64Array(d * d);
  const Ctx = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      Cxx[i * d + j] = Sxx[i * d + j] / M - xm[i] * xm[j];
      Ctx[i * d + j] = Stx[i * d + j] / M - tm[i] * xm[j];
    }
  }
  // C_xx = V diag(e) Vᵀ is positive definite (the noise adds σ² in every direction): W = C_tx V diag(1/e) Vᵀ.
  const { values, vectors } = eigh(Cxx, d);
  const CV = gemm(d, d, d, Ctx, vectors);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) CV[i * d + j] /= values[j];
  const W = gemm(d, d, d, CV, vectors, undefined, { transB: true });
  const b = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += W[i * d + j] * xm[j];
    b[i] = tm[i] - s;
  }
  return { W, b, denoiser: linearDenoiser(W, b, d) };
}
