/**
 * EDM preconditioning (Karras et al. 2022) around a network F_θ, giving the trained denoiser
 * D_θ(x; σ) = c_skip(σ)·x + c_out(σ)·F_θ(c_in(σ)·x, c_noise(σ)) (D_θ, docs/paper.md Objects).
 *
 * Two levels:
 * - {@link edmDenoiser} works on tfjs tensors with one σ per sample (what training needs);
 * - {@link asDenoiser} exposes it as the library's {@link Denoiser} on float64 {@link Batch}es,
 *   converting to float32 at the edge and running in chunks of `batchSize` rows.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type Batch, batch, type Denoiser } from "../types.ts";

/** σ_data of EDM: the assumed standard deviation of the data (pixels in [-1, 1]). */
export const SIGMA_DATA = 0.5;

/** The four preconditioning coefficients at one σ. */
export interface EdmPrecond {
  /** c_skip = σd²/(σ²+σd²): weight of the skip connection. */
  cSkip: number;
  /** c_out = σ·σd/√(σ²+σd²): scale of the network output. */
  cOut: number;
  /** c_in = 1/√(σ²+σd²): scale of the network input. */
  cIn: number;
  /** c_noise = ln(σ)/4: the noise conditioning the network sees. */
  cNoise: number;
}

/**
 * EDM preconditioning coefficients c_skip, c_out, c_in, c_noise at σ (D_θ, docs/paper.md Objects).
 *
 * @example
 * ```ts
 * import { edmPrecond } from "../../mod.ts";
 * const { cSkip, cOut, cIn, cNoise } = edmPrecond(1.5); // σ_d = 0.5
 * ```
 */
export function edmPrecond(sigma: number, sigmaData: number = SIGMA_DATA): EdmPrecond {
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`edmPrecond: σ must be > 0, got ${sigma}`);
  }
  if (!(sigmaData > 0)) throw new RangeError(`edmPrecond: σ_data must be > 0, got ${sigmaData}`);
  const s2 = sigma * sigma + sigmaData * sigmaData;
  return {
    cSkip: (sigmaData * sigmaData) / s2,
    cOut: (sigma * sigmaData) / Math.sqrt(s2),
    cIn: 1 / Math.sqrt(s2),
    cNoise: Math.log(sigma) / 4,
  };
}

/**
 * A network F_θ in NHWC layout: `x` is [n, H, W, C] (already scaled by c_in), `cNoise` is [n]
 * (one c_noise per sample); returns [n, H, W, C]. It must not dispose its inputs.
 */
export type EdmNetwork = (x: tf.Tensor4D, cNoise: tf.Tensor1D) => tf.Tensor4D;

/** A tensor-level denoiser: `x` [n, H, W, C] and σ [n] (one per sample) → D(x; σ) [n, H, W, C]. */
export type TensorDenoiser = (x: tf.Tensor4D, sigma: tf.Tensor1D) => tf.Tensor4D;

/**
 * Wrap F_θ into D_θ(x; σ) = c_skip·x + c_out·F_θ(c_in·x, c_noise) with per-sample σ
 * (D_θ, docs/paper.md Objects). The coefficients are computed in float32 tensors; call inside `tf.tidy`.
 */
export function edmDenoiser(net: EdmNetwork, params: { sigmaData?: number } = {}): TensorDenoiser {
  const sd = params.sigmaData ?? SIGMA_DATA;
  return (x, sigma) => {
    const n = x.shape[0];
    if (sigma.shape[0] !== n) {
      throw new RangeError(`edmDenoiser: ${sigma.shape[0]} σ values for a batch of ${n}`);
    }
    const s2 = tf.add(tf.square(sigma), sd * sd);
    const cSkip = tf.reshape(tf.div(sd * sd, s2), [n, 1, 1, 1]);
    const cOut = tf.reshape(tf.div(tf.mul(sigma, sd), tf.sqrt(s2)), [n, 1, 1, 1]);
    const cIn = tf.reshape(tf.rsqrt(s2), [n, 1, 1, 1]);
    const cNoise = tf.div(tf.log(sigma), 4) as tf.Tensor1D;
    const f = net(tf.mul(cIn, x) as tf.Tensor4D, cNoise);
    return tf.add(tf.mul(cSkip, x), tf.mul(cOut, f)) as tf.Tensor4D;
  };
}

/** Image geometry of the rows a {@link Denoiser} receives (flattened HWC). */
export interface ImageShape {
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** Channels per pixel. */
  channels: number;
}

/**
 * Expose a tensor-level denoiser as the library's {@link Denoiser}: float64 rows (flattened HWC)
 * in, float64 rows out, σ the same for the whole batch; runs `batchSize` rows at a time
 * (default 256) inside `tf.tidy`, so no tensors outlive a call. Synchronous on the CPU backends; on
 * webgpu (whose results can only be read asynchronously) it returns a promise.
 */
export function asDenoiser(
  denoise: TensorDenoiser,
  shape: ImageShape,
  opts: { batchSize?: number } = {},
): Denoiser {
  const { height, width, channels } = shape;
  const d = height * width * channels;
  const chunk = opts.batchSize ?? 256;
  if (!(chunk >= 1)) throw new RangeError(`asDenoiser: batchSize must be ≥ 1, got ${chunk}`);
  const check = (x: Batch, sigma: number): void => {
    if (x.d !== d) {
      throw new RangeError(
        `asDenoiser: rows have d = ${x.d}, the network expects ${height}×${width}×${channels}`,
      );
    }
    if (!(sigma > 0) || !Number.isFinite(sigma)) {
      throw new RangeError(`asDenoiser: σ must be > 0, got ${sigma}`);
    }
  };
  const run = (x: Batch, sigma: number, start: number, m: number): tf.Tensor4D => {
    const f32 = Float32Array.from(x.data.subarray(start * d, (start + m) * d));
    return tf.tidy(() => {
      const xt = tf.tensor4d(f32, [m, height, width, channels]);
      const st = tf.fill([m], sigma) as tf.Tensor1D;
      return denoise(xt, st);
    });
  };
  const sync = (x: Batch, sigma: number): Batch => {
    check(x, sigma);
    const out = new Float64Array(x.n * d);
    for (let start = 0; start < x.n; start += chunk) {
      const m = Math.min(chunk, x.n - start);
      const y = run(x, sigma, start, m);
      const vals = y.dataSync();
      y.dispose();
      out.set(vals, start * d);
    }
    return batch(x.n, d, out);
  };
  // A GPU backend (webgpu) can only read results asynchronously; the CPU backends keep the sync path.
  const async_ = async (x: Batch, sigma: number): Promise<Batch> => {
    check(x, sigma);
    const out = new Float64Array(x.n * d);
    for (let start = 0; start < x.n; start += chunk) {
      const m = Math.min(chunk, x.n - start);
      const y = run(x, sigma, start, m);
      const vals = await y.data();
      y.dispose();
      out.set(vals, start * d);
    }
    return batch(x.n, d, out);
  };
  return (x, sigma) => tf.getBackend() === "webgpu" ? async_(x, sigma) : sync(x, sigma);
}
