/**
 * Adam and the weight EMA of a training step as one fused pass per tensor (lib/kernels/adam_ema.ts)
 * instead of ~13 tfjs kernels per tensor ({@link adamStep} then {@link emaUpdate}): on unet8 that is
 * ~900 kernel dispatches fewer per step. Same bits as the two unfused calls (the pass rounds every
 * operation to float32 in the same order), so trained weights and checkpoints do not change.
 *
 * Where the step runs:
 * - `wasm` backend: on the variables' own memory in the WebAssembly heap (no copies, no kernels), with
 *   the WebAssembly SIMD kernel of lib/kernels/wasm/ when it instantiates and the JavaScript pass
 *   otherwise. θ and θ_ema are written to new buffers that the variables then point to (`assign`, no
 *   kernel), because tfjs-backend-wasm caches XNNPACK operators with packed weights per tensor: a
 *   weight changed in place would not be seen by Conv2D or MatMul. The moments are updated in place
 *   when no other tensor shares their buffer (the backend's reference count is 1; lib/kernels/
 *   identity.ts makes clones share), else into new buffers too;
 * - any other backend, or when two state tensors share memory (e.g. on `cpu`, where `tf.tensor`
 *   keeps the caller's array): on copies, then `assign` — correct anywhere, not fast.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { ADAM_DEFAULTS, type AdamConfig, adamStep } from "./adam.ts";
import { emaUpdate } from "./ema.ts";
import { adamEmaPass, adamEmaScalars } from "../kernels/adam_ema.ts";
import { wasmSimdKernels } from "../kernels/wasm/mod.ts";

/** Which implementation ran a fused step. */
export type FusedStepPath = "wasm-simd" | "wasm-js" | "copy-js";

/** Options of {@link fusedAdamEmaStep}. */
export interface FusedStepOptions {
  /** `auto` (default): SIMD when available; `js`: the JavaScript pass even on wasm. */
  kernel?: "auto" | "js";
}

const _FILE = "lib/training/fused_adam.ts";

// deno-lint-ignore no-explicit-any
type _AnyBackend = any;

/** Byte offsets of the tensors on the wasm heap, or null when any two writable ones overlap. */
function _heapOffsets(be: _AnyBackend, groups: readonly (readonly tf.Tensor[])[]): number[][] | null {
  const spans: [number, number, boolean][] = [];
  const offs = groups.map((ts, gi) =>
    ts.map((t) => {
      const off = be.dataIdMap.get(t.dataId)?.memoryOffset;
      if (typeof off !== "number") throw new Error(`${_FILE}: a tensor has no memory on the wasm heap`);
      spans.push([off, off + 4 * t.size, gi !== 1]);
      return off;
    })
  );
  spans.sort((a, b) => a[0] - b[0]);
  let end = -1;
  let endWritable = false;
  for (const [lo, hi, w] of spans) {
    // Gradients (group 1) may share memory with each other, not with anything written.
    if (lo < end && (w || endWritable)) return null;
    if (hi > end) {
      end = hi;
      endWritable = w;
    } else endWritable ||= w;
  }
  return offs;
}

/** Point `x` at the memory of `info` (a new buffer made by the backend); the old one is released. */
function _swap(x: tf.Variable, info: tf.TensorInfo, be: _AnyBackend): void {
  const t = tf.engine().makeTensorFromTensorInfo(info, be);
  x.assign(t);
  t.dispose();
}

/**
 * One Adam step number `t` (1-based) at learning rate `lr`, then θ_ema ← θ + β·(θ_ema − θ) with
 * β = `emaBeta`: the same result, bit for bit, as `adamStep(params, grads, m, v, t, lr, cfg)` followed
 * by `emaUpdate(ema, params, emaBeta)` (Kingma & Ba's update; EDM's EMA). Updates `params`, `m`, `v`
 * and `ema` in place; does not dispose `grads`; returns which implementation ran.
 *
 * @example
 * ```ts
 * fusedAdamEmaStep(state.params, grads, state.adamM, state.adamV, state.ema, step + 1, lr, beta);
 * ```
 */
export function fusedAdamEmaStep(
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  m: readonly tf.Variable[],
  v: readonly tf.Variable[],
  ema: readonly tf.Variable[],
  t: number,
  lr: number,
  emaBeta: number,
  cfg: AdamConfig = ADAM_DEFAULTS,
  opts: FusedStepOptions = {},
): FusedStepPath {
  const n = params.length;
  if (grads.length !== n || m.length !== n || v.length !== n || ema.length !== n) {
    throw new RangeError(
      `${_FILE}: ${n} parameters, ${grads.length} gradients, ${m.length}/${v.length} moments, ` +
        `${ema.length} EMA tensors`,
    );
  }
  for (let i = 0; i < n; i++) {
    const size = params[i].size;
    for (const x of [grads[i], m[i], v[i], ema[i]]) {
      if (x.size !== size || x.dtype !== "float32" || params[i].dtype !== "float32") {
        throw new RangeError(
          `${_FILE}: tensor ${i} (${params[i].name}): parameter [${params[i].shape}] ${params[i].dtype}, ` +
            `got a partner [${x.shape}] ${x.dtype}`,
        );
      }
    }
  }
  const k = adamEmaScalars(cfg, t, lr, emaBeta);
  if (tf.getBackend() === "wasm") {
    const be = tf.backend() as _AnyBackend;
    const offs = _heapOffsets(be, [params, grads, m, v, ema]);
    if (offs !== null) {
      // New buffers for θ and θ_ema, and for a moment whose buffer another tensor shares (allocated
      // before anything reads the heap: it may grow).
      const fresh = (x: tf.Tensor) => be.makeOutput(x.shape, "float32") as tf.TensorInfo;
      const shared = (x: tf.Tensor) => be.refCount(x.dataId) !== 1;
      const pNew = params.map(fresh);
      const eNew = ema.map(fresh);
      const mNew = m.map((x) => shared(x) ? fresh(x) : null);
      const vNew = v.map((x) => shared(x) ? fresh(x) : null);
      const off = (info: tf.TensorInfo) => be.dataIdMap.get(info.dataId).memoryOffset as number;
      const simd = opts.kernel === "js" ? null : wasmSimdKernels(be);
      for (let i = 0; i < n; i++) {
        const s = params[i].size;
        const [p, g, mi, vi, e] = offs.map((o) => o[i]);
        const [po, eo] = [off(pNew[i]), off(eNew[i])];
        const mo = mNew[i] === null ? mi : off(mNew[i]!);
        const vo = vNew[i] === null ? vi : off(vNew[i]!);
        if (simd !== null) simd.adamEma(p, po, g, mi, mo, vi, vo, e, eo, s, k);
        else {
          const buf = be.wasm.HEAPU8.buffer as ArrayBuffer;
          const f = (o: number) => new Float32Array(buf, o, s);
          adamEmaPass(f(p), f(g), f(mi), f(vi), f(e), s, k, f(po), f(eo), { m: f(mo), v: f(vo) });
        }
      }
      for (let i = 0; i < n; i++) {
        _swap(params[i], pNew[i], be);
        _swap(ema[i], eNew[i], be);
        if (mNew[i] !== null) _swap(m[i], mNew[i]!, be);
        if (vNew[i] !== null) _swap(v[i], vNew[i]!, be);
      }
      return simd !== null ? "wasm-simd" : "wasm-js";
    }
  }
  for (let i = 0; i < n; i++) {
    const copy = (x: tf.Tensor) => Float32Array.from(x.dataSync() as Float32Array);
    const [p, g, mi, vi, e] = [params[i], grads[i], m[i], v[i], ema[i]].map(copy);
    adamEmaPass(p, g, mi, vi, e, p.length, k);
    for (const [x, a] of [[params[i], p], [m[i], mi], [v[i], vi], [ema[i], e]] as const) {
      tf.tidy(() => x.assign(tf.tensor(a, x.shape, "float32")));
    }
  }
  return "copy-js";
}

/** The unfused reference: {@link adamStep} then {@link emaUpdate} (tfjs kernels; for tests and benches). */
export function unfusedAdamEmaStep(
  params: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  m: readonly tf.Variable[],
  v: readonly tf.Variable[],
  ema: readonly tf.Variable[],
  t: number,
  lr: number,
  emaBeta: number,
  cfg: AdamConfig = ADAM_DEFAULTS,
): void {
  adamStep(params, grads, m, v, t, lr, cfg);
  emaUpdate(ema, params, emaBeta);
}
