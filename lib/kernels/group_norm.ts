/**
 * GroupNorm with a per-channel scale and shift, optionally followed by SiLU, as one kernel forward
 * and one backward (docs/paper.md' U-Net blocks: GN → SiLU → conv).
 *
 * Why: built from tfjs ops, a GroupNorm+SiLU and its gradient take ~30 elementwise kernels, each a
 * pass over the activations (~24 ns per element per step measured on the U-Net at 28×28); here the
 * statistics, the normalisation and the gradient's reductions are a few fused JavaScript passes and
 * the sigmoid runs on the backend's own (SIMD) Sigmoid kernel (~10 ns per element).
 *
 * Maths (x [n, h, w, c], G groups of c/G channels, statistics over the pixels and channels of a group):
 * x̂ = (x − μ)·r with r = 1/√(var + ε); z = γ·x̂ + β; y = z·σ(z) (SiLU) or y = z.
 * Backward: dz = dy·s·(1 + z(1 − s)) with s = σ(z) (dz = dy without SiLU); dγ = Σ dz·x̂, dβ = Σ dz;
 * u = γ·dz; dx = r·(u − mean_g(u) − x̂·mean_g(u·x̂)).
 *
 * {@link groupNormAct} runs the kernel when the current backend has it (registered by
 * lib/kernels/mod.ts for wasm and cpu) and otherwise the same maths composed from tfjs ops.
 *
 * On wasm the element passes run as WebAssembly SIMD kernels (lib/kernels/wasm/, `gn*`) in float64
 * with the JavaScript passes' order of operations, so both give the same bits (`HG_WASM_SIMD=0`
 * selects the JavaScript passes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type BackendOps, withOps } from "./backend_ops.ts";
import { heapOffset, type WasmSimdKernels, wasmSimdKernels } from "./wasm/mod.ts";

/** Forward kernel name: inputs {x, gamma, beta}; outputs [y, mean, rstd] (mean, rstd: [n, groups]). */
export const GROUP_NORM_ACT = "HgGroupNormAct";
/** Backward kernel name: inputs {dy, x, gamma, beta, mean, rstd}; outputs [dx, dgamma, dbeta]. */
export const GROUP_NORM_ACT_GRAD = "HgGroupNormActGrad";

/** Attributes of both kernels. */
export interface GroupNormActAttrs {
  /** Number of groups (divides the channel count). */
  groups: number;
  /** Apply SiLU after the affine map. */
  silu: boolean;
  /** ε added to the variance. */
  epsilon: number;
}

const _FILE = "lib/kernels/group_norm.ts";

function _check(x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, groups: number): void {
  const c = x.shape[3];
  if (x.shape.length !== 4) throw new Error(`${_FILE}: x must be [n, h, w, c], got [${x.shape}]`);
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(`${_FILE}: ${groups} groups do not divide ${c} channels`);
  }
  if (gamma.shape.length !== 1 || gamma.shape[0] !== c || beta.shape.length !== 1 || beta.shape[0] !== c) {
    throw new Error(`${_FILE}: scale [${gamma.shape}] and shift [${beta.shape}] must be [${c}]`);
  }
}

/** Per-(image, group) mean and 1/√(var + ε), two passes with float64 accumulators. */
function _stats(x: Float32Array, n: number, hw: number, c: number, groups: number, eps: number) {
  const k = c / groups;
  const cnt = hw * k;
  const mean = new Float64Array(n * groups);
  const rstd = new Float64Array(n * groups);
  const acc = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    const base = b * hw * c;
    const end = base + hw * c;
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let i = base + j; i < end; i += c) s += x[i];
      acc[j] = s;
    }
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let j = g * k; j < (g + 1) * k; j++) s += acc[j];
      mean[b * groups + g] = s / cnt;
    }
    for (let j = 0; j < c; j++) {
      const m = mean[b * groups + Math.floor(j / k)];
      let s = 0;
      for (let i = base + j; i < end; i += c) {
        const d = x[i] - m;
        s += d * d;
      }
      acc[j] = s;
    }
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let j = g * k; j < (g + 1) * k; j++) s += acc[j];
      rstd[b * groups + g] = 1 / Math.sqrt(s / cnt + eps);
    }
  }
  return { mean, rstd };
}

/** z = x·scale[b, c] + shift[b, c] with scale = r·γ, shift = β − μ·r·γ, into `z`. */
function _affine(
  x: Float32Array,
  z: Float32Array,
  n: number,
  hw: number,
  c: number,
  groups: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  gamma: Float32Array,
  beta: Float32Array,
): void {
  const k = c / groups;
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < c; j++) {
      const g = b * groups + Math.floor(j / k);
      scale[j] = rstd[g] * gamma[j];
      shift[j] = beta[j] - mean[g] * rstd[g] * gamma[j];
    }
    for (let p = 0, i = b * hw * c; p < hw; p++) {
      for (let j = 0; j < c; j++, i++) z[i] = x[i] * scale[j] + shift[j];
    }
  }
}

/** A float64 scratch of `slots` arrays of `c` on the wasm heap: allocate now, view after the last allocation. */
function _scratch(ops: BackendOps, slots: number, c: number): () => { off: number[]; f64: Float64Array[] } {
  const t = ops.alloc([2 * slots * c + 2]);
  return () => {
    const base = (heapOffset(ops.backend, t) + 7) & ~7;
    // deno-lint-ignore no-explicit-any
    const buf = (ops.backend as any).wasm.HEAPU8.buffer as ArrayBuffer;
    const off = Array.from({ length: slots }, (_, i) => base + 8 * c * i);
    return { off, f64: off.map((o) => new Float64Array(buf, o, c)) };
  };
}

/** {@link _stats} with the element passes in WebAssembly SIMD (same bits). */
function _statsSimd(
  k: WasmSimdKernels,
  xOff: number,
  sc: { off: number[]; f64: Float64Array[] },
  n: number,
  hw: number,
  c: number,
  groups: number,
  eps: number,
) {
  const kg = c / groups;
  const cnt = hw * kg;
  const mean = new Float64Array(n * groups);
  const rstd = new Float64Array(n * groups);
  const [acc, meanC] = sc.f64;
  for (let b = 0; b < n; b++) {
    const xb = xOff + 4 * b * hw * c;
    k.gnSums(xb, sc.off[0], hw, c);
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let j = g * kg; j < (g + 1) * kg; j++) s += acc[j];
      mean[b * groups + g] = s / cnt;
    }
    for (let j = 0; j < c; j++) meanC[j] = mean[b * groups + Math.floor(j / kg)];
    k.gnSqDev(xb, sc.off[1], sc.off[0], hw, c);
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let j = g * kg; j < (g + 1) * kg; j++) s += acc[j];
      rstd[b * groups + g] = 1 / Math.sqrt(s / cnt + eps);
    }
  }
  return { mean, rstd };
}

/** {@link _affine} with the element pass in WebAssembly SIMD (scale and shift in slots 2 and 3). */
function _affineSimd(
  k: WasmSimdKernels,
  xOff: number,
  zOff: number,
  sc: { off: number[]; f64: Float64Array[] },
  n: number,
  hw: number,
  c: number,
  groups: number,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  gamma: Float32Array,
  beta: Float32Array,
): void {
  const kg = c / groups;
  const scale = sc.f64[2];
  const shift = sc.f64[3];
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < c; j++) {
      const g = b * groups + Math.floor(j / kg);
      scale[j] = rstd[g] * gamma[j];
      shift[j] = beta[j] - mean[g] * rstd[g] * gamma[j];
    }
    k.gnAffine(xOff + 4 * b * hw * c, zOff + 4 * b * hw * c, sc.off[2], sc.off[3], hw, c);
  }
}

/** The forward kernel's config for `backendName` (any backend with Sigmoid and Multiply). */
export function groupNormActConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: GROUP_NORM_ACT,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
      const { groups, silu, epsilon } = attrs as unknown as GroupNormActAttrs;
      _check(x, gamma, beta, groups);
      const [n, h, w, c] = x.shape;
      const simd = backendName === "wasm" ? wasmSimdKernels(backend) : null;
      return withOps(backendName, backend, (ops) => {
        const z = silu ? ops.alloc(x.shape) : ops.keep(ops.alloc(x.shape));
        const meanT = ops.keep(ops.alloc([n, groups]));
        const rstdT = ops.keep(ops.alloc([n, groups]));
        const scratch = simd === null ? null : _scratch(ops, 4, c);
        const xv = ops.view(x);
        if (simd !== null) {
          const sc = scratch!();
          const xo = heapOffset(backend, x);
          const { mean, rstd } = _statsSimd(simd, xo, sc, n, h * w, c, groups, epsilon);
          ops.view(meanT).set(mean);
          ops.view(rstdT).set(rstd);
          const [gv, bv] = [ops.view(gamma), ops.view(beta)];
          _affineSimd(simd, xo, heapOffset(backend, z), sc, n, h * w, c, groups, mean, rstd, gv, bv);
        } else {
          const { mean, rstd } = _stats(xv, n, h * w, c, groups, epsilon);
          ops.view(meanT).set(mean);
          ops.view(rstdT).set(rstd);
          _affine(xv, ops.view(z), n, h * w, c, groups, mean, rstd, ops.view(gamma), ops.view(beta));
        }
        if (!silu) return [z, meanT, rstdT];
        const s = ops.run(tf.Sigmoid, { x: z });
        const y = ops.keep(ops.run(tf.Multiply, { a: z, b: s }));
        return [y, meanT, rstdT];
      });
    },
  };
}

/** The backward kernel's config for `backendName`. */
export function groupNormActGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: GROUP_NORM_ACT_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, x, gamma, beta, mean, rstd } = inputs as Record<string, tf.TensorInfo>;
      const { groups, silu } = attrs as unknown as GroupNormActAttrs;
      _check(x, gamma, beta, groups);
      const [n, h, w, c] = x.shape;
      const hw = h * w;
      const k = c / groups;
      const cnt = hw * k;
      const simd = backendName === "wasm" ? wasmSimdKernels(backend) : null;
      if (simd !== null) return _gradSimd(simd, backendName, backend, inputs, attrs!);
      return withOps(backendName, backend, (ops) => {
        let z: tf.TensorInfo | null = null;
        let s: tf.TensorInfo | null = null;
        if (silu) {
          z = ops.alloc(x.shape);
          _affine(
            ops.view(x),
            ops.view(z),
            n,
            hw,
            c,
            groups,
            ops.view(mean),
            ops.view(rstd),
            ops.view(gamma),
            ops.view(beta),
          );
          s = ops.run(tf.Sigmoid, { x: z });
        }
        const dx = ops.keep(ops.alloc(x.shape));
        const dgamma = ops.keep(ops.alloc([c]));
        const dbeta = ops.keep(ops.alloc([c]));
        const xv = ops.view(x);
        const dyv = ops.view(dy);
        const dxv = ops.view(dx);
        const gv = ops.view(gamma);
        const mv = ops.view(mean);
        const rv = ops.view(rstd);
        const zv = z === null ? null : ops.view(z);
        const sv = s === null ? null : ops.view(s);
        const dg = new Float64Array(c);
        const db = new Float64Array(c);
        const su = new Float64Array(c);
        const sux = new Float64Array(c);
        const mu = new Float64Array(c);
        const r = new Float64Array(c);
        for (let b = 0; b < n; b++) {
          for (let j = 0; j < c; j++) {
            const g = b * groups + Math.floor(j / k);
            mu[j] = mv[g];
            r[j] = rv[g];
          }
          const base = b * hw * c;
          // Pass 1 (channel by channel over the image, which stays in cache): dz, dγ, dβ and the
          // channel sums of u = γ·dz and u·x̂; u is parked in dx.
          for (let j = 0; j < c; j++) {
            const m = mu[j];
            const rj = r[j];
            const gj = gv[j];
            let sdg = 0;
            let sdb = 0;
            let s1 = 0;
            let s2 = 0;
            for (let i = base + j, end = base + hw * c; i < end; i += c) {
              let dz = dyv[i];
              if (sv !== null) {
                const si = sv[i];
                dz *= si * (1 + zv![i] * (1 - si));
              }
              const xh = (xv[i] - m) * rj;
              sdg += dz * xh;
              sdb += dz;
              const u = gj * dz;
              s1 += u;
              s2 += u * xh;
              dxv[i] = u;
            }
            dg[j] += sdg;
            db[j] += sdb;
            su[j] = s1;
            sux[j] = s2;
          }
          // Group means of u and u·x̂, spread back to channels.
          for (let g = 0; g < groups; g++) {
            let a = 0;
            let q = 0;
            for (let j = g * k; j < (g + 1) * k; j++) {
              a += su[j];
              q += sux[j];
            }
            for (let j = g * k; j < (g + 1) * k; j++) {
              su[j] = a / cnt;
              sux[j] = q / cnt;
            }
          }
          // Pass 2: dx = r·(u − mean(u) − x̂·mean(u·x̂)).
          for (let p = 0, i = base; p < hw; p++) {
            for (let j = 0; j < c; j++, i++) {
              const xh = (xv[i] - mu[j]) * r[j];
              dxv[i] = r[j] * (dxv[i] - su[j] - xh * sux[j]);
            }
          }
        }
        ops.view(dgamma).set(dg);
        ops.view(dbeta).set(db);
        return [dx, dgamma, dbeta];
      });
    },
  };
}

/** The backward kernel with its element passes in WebAssembly SIMD (same bits as the JavaScript one). */
function _gradSimd(
  k: WasmSimdKernels,
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo[] {
  const { dy, x, gamma, beta, mean, rstd } = inputs as Record<string, tf.TensorInfo>;
  const { groups, silu } = attrs as unknown as GroupNormActAttrs;
  const [n, h, w, c] = x.shape;
  const hw = h * w;
  const kg = c / groups;
  const cnt = hw * kg;
  const img = 4 * hw * c;
  return withOps(backendName, backend, (ops) => {
    let z: tf.TensorInfo | null = null;
    let s: tf.TensorInfo | null = null;
    if (silu) {
      z = ops.alloc(x.shape);
      const sc = _scratch(ops, 4, c);
      const [mv, rv, gv, bv] = [mean, rstd, gamma, beta].map((t) => ops.view(t));
      _affineSimd(k, heapOffset(backend, x), heapOffset(backend, z), sc(), n, hw, c, groups, mv, rv, gv, bv);
      s = ops.run(tf.Sigmoid, { x: z });
    }
    const dx = ops.keep(ops.alloc(x.shape));
    const dgamma = ops.keep(ops.alloc([c]));
    const dbeta = ops.keep(ops.alloc([c]));
    const sc = _scratch(ops, 9, c)();
    const [mu, r, gam, sdg, sdb, s1, s2, su, sux] = sc.f64;
    const [oMu, oR, oGam, oSdg, oSdb, oS1, oS2, oSu, oSux] = sc.off;
    const [xo, dyo, dxo] = [x, dy, dx].map((t) => heapOffset(backend, t));
    const zo = z === null ? 0 : heapOffset(backend, z);
    const so = s === null ? 0 : heapOffset(backend, s);
    const mv = ops.view(mean);
    const rv = ops.view(rstd);
    gam.set(ops.view(gamma));
    const dg = new Float64Array(c);
    const db = new Float64Array(c);
    for (let b = 0; b < n; b++) {
      for (let j = 0; j < c; j++) {
        const g = b * groups + Math.floor(j / kg);
        mu[j] = mv[g];
        r[j] = rv[g];
      }
      const o = b * img;
      k.gnGrad1(
        dyo + o,
        xo + o,
        zo && zo + o,
        so && so + o,
        dxo + o,
        oMu,
        oR,
        oGam,
        oSdg,
        oSdb,
        oS1,
        oS2,
        hw,
        c,
      );
      for (let j = 0; j < c; j++) {
        dg[j] += sdg[j];
        db[j] += sdb[j];
      }
      for (let g = 0; g < groups; g++) {
        let a = 0;
        let q = 0;
        for (let j = g * kg; j < (g + 1) * kg; j++) {
          a += s1[j];
          q += s2[j];
        }
        for (let j = g * kg; j < (g + 1) * kg; j++) {
          su[j] = a / cnt;
          sux[j] = q / cnt;
        }
      }
      k.gnGrad2(xo + o, dxo + o, oMu, oR, oSu, oSux, hw, c);
    }
    ops.view(dgamma).set(dg);
    ops.view(dbeta).set(db);
    return [dx, dgamma, dbeta];
  });
}

/** The gradient of {@link GROUP_NORM_ACT}: runs {@link GROUP_NORM_ACT_GRAD}. */
export const groupNormActGrad: tf.GradConfig = {
  kernelName: GROUP_NORM_ACT,
  inputsToSave: ["x", "gamma", "beta"],
  outputsToSave: [false, true, true],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma, beta, mean, rstd] = saved;
    const dyT = Array.isArray(dy) ? dy[0] : dy;
    const [dx, dgamma, dbeta] = tf.engine().runKernel(
      GROUP_NORM_ACT_GRAD,
      { dy: dyT, x, gamma, beta, mean, rstd },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/**
 * GroupNorm(x; γ, β) with `groups` groups, then SiLU when `silu` (ε = `epsilon`, default 1e-5):
 * x [n, h, w, c], γ and β [c]. Differentiable; uses the fused kernels where registered.
 */
export function groupNormAct(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  opts: { groups: number; silu: boolean; epsilon?: number },
): tf.Tensor4D {
  const attrs: GroupNormActAttrs = { groups: opts.groups, silu: opts.silu, epsilon: opts.epsilon ?? 1e-5 };
  if (
    tf.getKernel(GROUP_NORM_ACT, tf.getBackend()) !== undefined &&
    tf.getGradient(GROUP_NORM_ACT) !== undefined
  ) {
    const [y, mean, rstd] = tf.engine().runKernel(
      GROUP_NORM_ACT,
      { x, gamma, beta },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    mean.dispose();
    rstd.dispose();
    return y as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const xg = tf.reshape(x, [n, h * w, attrs.groups, c / attrs.groups]);
    const { mean, variance } = tf.moments(xg, [1, 3], true);
    const xh = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, attrs.epsilon))), x.shape);
    const z = tf.add(tf.mul(xh, gamma), beta);
    return (attrs.silu ? tf.mul(z, tf.sigmoid(z)) : z) as tf.Tensor4D;
  });
}
