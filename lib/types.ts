/**
 * Shared shapes: batches of flattened images and the denoiser signature that every
 * denoiser (D_θ, D_G, D_M, D_L) implements, so samplers and metrics take any of them.
 *
 * Images are flattened channels-last (HWC) into rows of length d = height·width·channels,
 * stored row-major in a Float64Array. Pixels are scaled to [-1, 1] (docs/paper.md, preamble).
 *
 * @module
 */

/** A batch of `n` flattened images, row-major `n × d`, float64. */
export interface Batch {
  /** Number of rows (images). */
  readonly n: number;
  /** Length of each row: pixels × channels. */
  readonly d: number;
  /** Row-major values, length `n · d`. */
  readonly data: Float64Array;
}

/** A named image set: a batch plus its image geometry and optional labels. */
export interface ImageSet extends Batch {
  /** Dataset name and split, e.g. `mnist/train`. */
  readonly name: string;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Channels per pixel (1 grey, 3 RGB). */
  readonly channels: number;
  /** Class labels, one per image, when the source has them. */
  readonly labels?: Uint8Array;
  /** Indices of these images in the source set they were taken from. */
  readonly indices?: Int32Array;
}

/**
 * A denoiser D(x; σ): maps a noisy batch at noise level σ to its estimate of the clean batch. It may
 * answer asynchronously (a network on a tfjs backend); samplers and metrics accept any denoiser.
 */
export type Denoiser = (x: Batch, sigma: number) => Batch | Promise<Batch>;

/**
 * A denoiser that answers synchronously: the exact float64 ones (D_G, D_M, D_L). Every SyncDenoiser is a
 * {@link Denoiser}; its result can be used without `await`.
 */
export type SyncDenoiser = (x: Batch, sigma: number) => Batch;

/** Make a batch, checking that the data length is `n · d`. */
export function batch(n: number, d: number, data: Float64Array = new Float64Array(n * d)): Batch {
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d <= 0) {
    throw new RangeError(`batch: invalid shape ${n} × ${d}`);
  }
  if (data.length !== n * d) {
    throw new RangeError(`batch: data has length ${data.length}, expected ${n} × ${d} = ${n * d}`);
  }
  return { n, d, data };
}

/** Row `i` of a batch, as a view (no copy). */
export function row(x: Batch, i: number): Float64Array {
  return x.data.subarray(i * x.d, (i + 1) * x.d);
}

/** Rows `[start, end)` of a batch, as a view (no copy). */
export function rows(x: Batch, start: number, end: number): Batch {
  const e = Math.min(end, x.n);
  return batch(e - start, x.d, x.data.subarray(start * x.d, e * x.d));
}

/** Rows at the given indices, copied into a new batch. */
export function selectRows(x: Batch, indices: ArrayLike<number>): Batch {
  const out = new Float64Array(indices.length * x.d);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (i < 0 || i >= x.n) throw new RangeError(`selectRows: index ${i} outside 0..${x.n - 1}`);
    out.set(row(x, i), k * x.d);
  }
  return batch(indices.length, x.d, out);
}
