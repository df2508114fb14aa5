/**
 * A compact U-Net F_θ in the style of EDM's SongUNet (DDPM++), sized for MNIST-scale images
 * (docs/scale.md "Setting"), written with `@tensorflow/tfjs-core` ops only: parameters are plain named
 * arrays, the forward pass is a function of (config, params, x, c_noise).
 *
 * Layout (C = `baseChannels`, E = 4C the embedding width, R = `resolution`):
 *
 * ```
 * c_noise ─ sinusoidal(C) ─ Linear(C→E) ─ SiLU ─ Linear(E→E) ─ SiLU ─► emb (added in every block)
 * x [R×R×ch] ─ conv3×3 (ch→C) ─ enc0: Block(C→C) ──────────────────────────────┐ skip
 *            ─ avgpool 2×2 ─ enc1: Block(C→2C) at R/2 ─────────────────┐ skip  │
 *            ─ mid: Block(2C→2C) [+ self-attention when `attention`]   │       │
 *            ─ dec1: Block(concat 4C → 2C) ◄────────────────────────────┘       │
 *            ─ nearest ×2 ─ dec0: Block(concat 3C → C) ◄──────────────────────┘
 *            ─ GroupNorm ─ SiLU ─ conv3×3 (C→ch) ─► F_θ
 * Block(a→b): h = conv3×3(SiLU(GN(x))); h = SiLU(GN(h + Linear(emb))); h = conv3×3(h);
 *             out = (h + skip(x))·√½, skip = 1×1 conv when a ≠ b, identity otherwise.
 * Attention (single head, at R/2): out = (x + proj(softmax(q kᵀ/√c) v))·√½, q,k,v = 1×1 conv(GN(x)).
 * ```
 *
 * GroupNorm uses EDM's rule: groups = min(32, ⌊c/4⌋) (at least 1, lowered until it divides c), i.e. at
 * least 4 channels per group; for C = 4 the C-wide layers use one group (layer norm over the image).
 * Initialisation follows DDPM++: Xavier-uniform weights, zero biases, GroupNorm scale 1 / shift 0, the
 * second conv of each block, the attention projection and the output conv scaled by 1e-5 (so F_θ ≈ 0
 * and D_θ ≈ c_skip·x at the start); all values come from lib/rng.ts, one stream per parameter.
 *
 * Parameter count: 353C² + 78C + 18·ch·C + ch without attention, plus 16C² + 12C with it
 * (C = 4, 8, 16, 32, 64 at ch = 1: 6,033; 23,361; 91,905; 364,545; 1,452,033 — the pilot's
 * 8.3k … 1.34M are the same order).
 *
 * Implementation notes: GroupNorm (+ SiLU) is one operation with a hand-written gradient (about half
 * the kernels of the taped version, ~10% of a step); the ×2 upsampling is concat + reshape
 * ({@link upsampleNearest2}); downsampling is a 2×2 average pool.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { groupNormAct } from "../kernels/group_norm.ts";
import { deriveSeed, Rng } from "../rng.ts";
import type { EdmNetwork } from "./edm.ts";

/** Configuration of the U-Net (everything that fixes its shape). */
export interface UNetConfig {
  /** Image side in pixels (square images; even, e.g. 16, 28 or 32). */
  resolution: number;
  /** Image channels (1 grey, 3 RGB). */
  channels: number;
  /** Base channel count C, the capacity knob (even, ≥ 2; 4 … 128 in practice). */
  baseChannels: number;
  /** Single-head self-attention in the middle block (at resolution/2). */
  attention: boolean;
  /** Dropout probability; only 0 is supported (EDM's small-data setting). */
  dropout: number;
}

/** How a parameter is initialised. */
export type ParamInit = "xavier" | "xavierSmall" | "xavierAttn" | "zero" | "one";

/** Name, shape and initialisation of one parameter tensor. */
export interface ParamSpec {
  /** Unique name, e.g. `enc0.conv0.w`. */
  name: string;
  /** Shape: conv filters [kh, kw, in, out], linear weights [in, out], vectors [n]. */
  shape: number[];
  /** Initialisation rule. */
  init: ParamInit;
  /** Fan-in and fan-out for Xavier (in·k·k, out·k·k). */
  fanIn: number;
  /** Fan-out for Xavier. */
  fanOut: number;
}

/** A named float32 array with its shape: how parameters travel outside tfjs. */
export interface NamedArray {
  /** Parameter name. */
  name: string;
  /** Tensor shape. */
  shape: number[];
  /** Values, row-major, length = product of `shape`. */
  data: Float32Array;
}

/** Parameters handed to the forward pass: name → tensor. */
export type ParamTensors = Record<string, tf.Tensor>;

/** Number of GroupNorm groups for `c` channels: min(32, ⌊c/4⌋), at least 1, lowered until it divides c. */
export function groupCount(c: number): number {
  let g = Math.max(1, Math.min(32, Math.floor(c / 4)));
  while (c % g !== 0) g--;
  return g;
}

/** Check a config; throws a RangeError naming the bad field. */
export function validateUNetConfig(config: UNetConfig): void {
  const { resolution, channels, baseChannels, attention, dropout } = config;
  if (!Number.isInteger(resolution) || resolution < 2 || resolution % 2 !== 0) {
    throw new RangeError(`UNetConfig.resolution must be an even integer ≥ 2, got ${resolution}`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`UNetConfig.channels must be an integer ≥ 1, got ${channels}`);
  }
  if (!Number.isInteger(baseChannels) || baseChannels < 2 || baseChannels % 2 !== 0) {
    throw new RangeError(`UNetConfig.baseChannels must be an even integer ≥ 2, got ${baseChannels}`);
  }
  if (typeof attention !== "boolean") throw new RangeError(`UNetConfig.attention must be a boolean`);
  if (dropout !== 0) throw new RangeError(`UNetConfig.dropout: only 0 is supported, got ${dropout}`);
}

function _conv(specs: ParamSpec[], name: string, k: number, cin: number, cout: number, init: ParamInit) {
  specs.push({ name: `${name}.w`, shape: [k, k, cin, cout], init, fanIn: cin * k * k, fanOut: cout * k * k });
  specs.push({ name: `${name}.b`, shape: [cout], init: "zero", fanIn: 0, fanOut: 0 });
}

function _linear(specs: ParamSpec[], name: string, cin: number, cout: number, init: ParamInit = "xavier") {
  specs.push({ name: `${name}.w`, shape: [cin, cout], init, fanIn: cin, fanOut: cout });
  specs.push({ name: `${name}.b`, shape: [cout], init: "zero", fanIn: 0, fanOut: 0 });
}

function _norm(specs: ParamSpec[], name: string, c: number) {
  specs.push({ name: `${name}.scale`, shape: [c], init: "one", fanIn: 0, fanOut: 0 });
  specs.push({ name: `${name}.shift`, shape: [c], init: "zero", fanIn: 0, fanOut: 0 });
}

function _blockSpecs(specs: ParamSpec[], name: string, a: number, b: number, emb: number) {
  _norm(specs, `${name}.norm0`, a);
  _conv(specs, `${name}.conv0`, 3, a, b, "xavier");
  _linear(specs, `${name}.affine`, emb, b);
  _norm(specs, `${name}.norm1`, b);
  _conv(specs, `${name}.conv1`, 3, b, b, "xavierSmall");
  if (a !== b) _conv(specs, `${name}.skip`, 1, a, b, "xavier");
}

/** The parameter list of the U-Net, in the fixed order used everywhere (init, checkpoints). */
export function unetParamSpecs(config: UNetConfig): ParamSpec[] {
  validateUNetConfig(config);
  const C = config.baseChannels;
  const E = 4 * C;
  const ch = config.channels;
  const s: ParamSpec[] = [];
  _linear(s, "map0", C, E);
  _linear(s, "map1", E, E);
  _conv(s, "convIn", 3, ch, C, "xavier");
  _blockSpecs(s, "enc0", C, C, E);
  _blockSpecs(s, "enc1", C, 2 * C, E);
  _blockSpecs(s, "mid", 2 * C, 2 * C, E);
  if (config.attention) {
    _norm(s, "attn.norm", 2 * C);
    _linear(s, "attn.qkv", 2 * C, 6 * C, "xavierAttn");
    _linear(s, "attn.proj", 2 * C, 2 * C, "xavierSmall");
  }
  _blockSpecs(s, "dec1", 4 * C, 2 * C, E);
  _blockSpecs(s, "dec0", 3 * C, C, E);
  _norm(s, "outNorm", C);
  _conv(s, "convOut", 3, C, ch, "xavierSmall");
  return s;
}

/** Number of trainable parameters of the U-Net (sum over {@link unetParamSpecs}). */
export function unetParamCount(config: UNetConfig): number {
  return unetParamSpecs(config).reduce((acc, p) => acc + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Seeded initial parameters (DDPM++ rules, see module doc). Parameter i draws from its own stream
 * `Rng(deriveSeed(seed, i))`, so the values do not depend on anything but (config, seed).
 */
export function initUNet(config: UNetConfig, seed: number): NamedArray[] {
  return unetParamSpecs(config).map((p, i) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (p.init === "one") data.fill(1);
    else if (p.init !== "zero") {
      const gain = p.init === "xavierSmall" ? 1e-5 : p.init === "xavierAttn" ? Math.sqrt(0.2) : 1;
      const a = gain * Math.sqrt(6 / (p.fanIn + p.fanOut));
      const rng = new Rng(deriveSeed(seed, i));
      for (let j = 0; j < size; j++) data[j] = a * (2 * rng.uniform() - 1);
    }
    return { name: p.name, shape: [...p.shape], data };
  });
}

// ---- forward pass ------------------------------------------------------------------------------

function _silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** GroupNorm (eps 1e-5) with a per-channel scale and shift, optionally followed by SiLU: one fused kernel. */
function _groupNorm(p: ParamTensors, name: string, x: tf.Tensor4D, silu = false): tf.Tensor4D {
  return groupNormAct(x, p[`${name}.scale`], p[`${name}.shift`], {
    groups: groupCount(x.shape[3]),
    silu,
    epsilon: 1e-5,
  });
}

function _conv2d(p: ParamTensors, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: p[`${name}.w`] as tf.Tensor4D,
    strides: 1,
    pad: "same",
    bias: p[`${name}.b`],
  });
}

function _dense(p: ParamTensors, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, p[`${name}.w`] as tf.Tensor2D), p[`${name}.b`]) as tf.Tensor2D;
}

function _block(p: ParamTensors, name: string, x: tf.Tensor4D, emb: tf.Tensor2D): tf.Tensor4D {
  const n = x.shape[0];
  let h = _conv2d(p, `${name}.conv0`, _groupNorm(p, `${name}.norm0`, x, true));
  const e = _dense(p, `${name}.affine`, emb);
  h = tf.add(h, tf.reshape(e, [n, 1, 1, e.shape[1]]));
  h = _groupNorm(p, `${name}.norm1`, h, true);
  h = _conv2d(p, `${name}.conv1`, h);
  const skip = p[`${name}.skip.w`] ? _conv2d(p, `${name}.skip`, x) : x;
  return tf.mul(tf.add(h, skip), Math.SQRT1_2) as tf.Tensor4D;
}

function _attention(p: ParamTensors, x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const L = h * w;
  const xn = tf.reshape(_groupNorm(p, "attn.norm", x), [n * L, c]) as tf.Tensor2D;
  const qkv = tf.reshape(_dense(p, "attn.qkv", xn), [n, L, 3 * c]);
  const [q, k, v] = tf.split(qkv, 3, 2) as tf.Tensor3D[];
  const logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c));
  const a = tf.matMul(tf.softmax(logits), v);
  const out = tf.reshape(_dense(p, "attn.proj", tf.reshape(a, [n * L, c]) as tf.Tensor2D), [n, h, w, c]);
  return tf.mul(tf.add(x, out), Math.SQRT1_2) as tf.Tensor4D;
}

/**
 * Nearest-neighbour ×2 upsampling [n, h, w, c] → [n, 2h, 2w, c] by concat + reshape (rank ≤ 4; its
 * gradient needs only Concat and Reshape, avoiding tfjs-backend-cpu's faulty ResizeNearestNeighborGrad).
 */
export function upsampleNearest2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const xw = tf.reshape(x, [n * h, w, 1, c]);
  const wide = tf.reshape(tf.concat([xw, xw], 2), [n, h, 1, 2 * w * c]);
  return tf.reshape(tf.concat([wide, wide], 2), [n, 2 * h, 2 * w, c]);
}

/** Sinusoidal embedding of c_noise as in SongUNet (max_positions 10⁴, endpoint): [n] → [n, C]. */
export function noiseEmbedding(cNoise: tf.Tensor1D, features: number): tf.Tensor2D {
  const half = features / 2;
  const freqs = new Float32Array(half);
  for (let k = 0; k < half; k++) freqs[k] = Math.pow(1e-4, half > 1 ? k / (half - 1) : 0);
  const arg = tf.mul(tf.reshape(cNoise, [-1, 1]), tf.tensor2d(freqs, [1, half]));
  return tf.concat([tf.cos(arg), tf.sin(arg)], 1) as tf.Tensor2D;
}

/**
 * F_θ(x, c_noise): the U-Net forward pass. `x` [n, R, R, ch] (NHWC), `cNoise` [n] → [n, R, R, ch].
 * Call inside `tf.tidy`; it does not dispose its inputs or the parameters.
 */
export function unetForward(
  config: UNetConfig,
  p: ParamTensors,
  x: tf.Tensor4D,
  cNoise: tf.Tensor1D,
): tf.Tensor4D {
  const { resolution: R, channels: ch, baseChannels: C } = config;
  const [n, h, w, c] = x.shape;
  if (h !== R || w !== R || c !== ch) {
    throw new RangeError(
      `unetForward: input [${n}, ${h}, ${w}, ${c}] does not match the config ${R}×${R}×${ch}`,
    );
  }
  let emb = noiseEmbedding(cNoise, C);
  emb = _silu(_dense(p, "map0", emb)) as tf.Tensor2D;
  emb = _silu(_dense(p, "map1", emb)) as tf.Tensor2D;

  const h0 = _conv2d(p, "convIn", x);
  const e0 = _block(p, "enc0", h0, emb);
  const e1 = _block(p, "enc1", tf.avgPool(e0, 2, 2, "valid"), emb);
  let m = _block(p, "mid", e1, emb);
  if (config.attention) m = _attention(p, m);
  const d1 = _block(p, "dec1", tf.concat([m, e1], 3), emb);
  const up = upsampleNearest2(d1);
  const d0 = _block(p, "dec0", tf.concat([up, e0], 3), emb);
  return _conv2d(p, "convOut", _groupNorm(p, "outNorm", d0, true));
}

/** F_θ as an {@link EdmNetwork} over the given parameter tensors (e.g. the EMA weights). */
export function unetNetwork(config: UNetConfig, params: ParamTensors): EdmNetwork {
  return (x, cNoise) => unetForward(config, params, x, cNoise);
}
