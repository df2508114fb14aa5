/**
 * The WebAssembly SIMD kernels (lib/kernels/wasm/assembly/kernels.ts, embedded by build.ts),
 * instantiated on tfjs-backend-wasm's own memory so they work in place on tensors: a pointer is a
 * tensor's `memoryOffset`. They allocate nothing, so the heap never grows under them, and they keep
 * working after tfjs grows it (a WebAssembly memory grows in place). The float64 kernels (the closed-form
 * denoisers' softmax passes and LS, the linear distillation's Adam step) run on instances with memories of
 * their own: the process's shared {@link float64Workspace}, or one of the caller's
 * ({@link createFloat64Workspace}).
 *
 * `HG_WASM_SIMD=0` turns them off (the JavaScript passes run instead), e.g. to compare the two.
 *
 * @module
 */
import type { AdamEmaScalars } from "../adam_ema.ts";
import { decodeBase64 } from "./_base64.ts";
import { KERNELS_WASM_BASE64 } from "./_kernels_wasm.ts";

/** The kernels bound to one backend's memory. */
export interface WasmSimdKernels {
  /**
   * Fused Adam + EMA over `n` floats at byte offsets (lib/kernels/adam_ema.ts): θ from p to pOut, m
   * from m to mOut, v to vOut, θ_ema from e to eOut (an output may be its input).
   */
  adamEma(
    p: number,
    pOut: number,
    g: number,
    m: number,
    mOut: number,
    v: number,
    vOut: number,
    e: number,
    eOut: number,
    n: number,
    k: AdamEmaScalars,
  ): void;
  /** GroupNorm passes over one image (assembly/kernels.ts; byte offsets, float64 channel arrays). */
  gnSums(x: number, acc: number, hw: number, c: number): void;
  /** Σ (x − mean[j])² per channel. */
  gnSqDev(x: number, mean: number, acc: number, hw: number, c: number): void;
  /** z = x·scale[j] + shift[j]. */
  gnAffine(x: number, z: number, scale: number, shift: number, hw: number, c: number): void;
  /** Backward pass 1 (s = 0: no SiLU). */
  gnGrad1(
    dy: number,
    x: number,
    z: number,
    s: number,
    du: number,
    mu: number,
    r: number,
    gam: number,
    sdg: number,
    sdb: number,
    s1: number,
    s2: number,
    hw: number,
    c: number,
  ): void;
  /** Backward pass 2, in place on du. */
  gnGrad2(x: number, du: number, mu: number, r: number, su: number, sux: number, hw: number, c: number): void;
  /**
   * out = a ∘ b over four loops (lib/kernels/broadcast_binary.ts `broadcastLoops`): `op` indexes
   * Add, Sub, Multiply, RealDiv; byte offsets; sizes and element strides as [d, a strides, b strides].
   */
  broadcastBinary(op: number, a: number, b: number, out: number, loops: number[][]): void;
  /** For i < blocks: `len` floats from src + i·srcStride to dst + i·dstStride (byte offsets, element strides). */
  copyRuns(src: number, srcStride: number, dst: number, dstStride: number, blocks: number, len: number): void;
}

/** Byte offset of a tensor's data on tfjs-backend-wasm's heap. */
export function heapOffset(backend: object, info: { dataId: object }): number {
  const off = (backend as _AnyBackend).dataIdMap?.get(info.dataId)?.memoryOffset;
  if (typeof off !== "number") throw new Error("lib/kernels/wasm/mod.ts: a tensor has no wasm heap memory");
  return off;
}

// deno-lint-ignore no-explicit-any
type _AnyBackend = any;

const _bound = new WeakMap<object, WasmSimdKernels | null>();
let _module: WebAssembly.Module | null = null;

function _enabled(): boolean {
  try {
    return Deno.env.get("HG_WASM_SIMD") !== "0";
  } catch {
    return true; // no env permission: default on
  }
}

/**
 * The kernels on `backend` (a started tfjs-backend-wasm instance), or null when they are turned off,
 * the backend exposes no WebAssembly memory, or the module does not instantiate (no SIMD support).
 */
export function wasmSimdKernels(backend: object): WasmSimdKernels | null {
  if (!_enabled()) return null;
  if (_bound.has(backend)) return _bound.get(backend)!;
  let k: WasmSimdKernels | null = null;
  const memory = (backend as _AnyBackend).wasm?.asm?.memory;
  if (memory instanceof WebAssembly.Memory) {
    try {
      _module ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
      const ex = new WebAssembly.Instance(_module, { env: { memory } }).exports as Record<
        string,
        CallableFunction
      >;
      const adamEma = ex.adamEma;
      const gn = ex as unknown as Omit<WasmSimdKernels, "adamEma" | "broadcastBinary">;
      const bcast = [ex.bcastAdd, ex.bcastSub, ex.bcastMul, ex.bcastDiv];
      k = {
        broadcastBinary: (op, a, b, out, [d, sa, sb]) =>
          bcast[op](
            a,
            b,
            out,
            d[0],
            d[1],
            d[2],
            d[3],
            sa[0],
            sa[1],
            sa[2],
            sa[3],
            sb[0],
            sb[1],
            sb[2],
            sb[3],
          ),
        copyRuns: gn.copyRuns,
        gnSums: gn.gnSums,
        gnSqDev: gn.gnSqDev,
        gnAffine: gn.gnAffine,
        gnGrad1: gn.gnGrad1,
        gnGrad2: gn.gnGrad2,
        adamEma: (p, pOut, g, m, mOut, v, vOut, e, eOut, n, s) =>
          adamEma(
            p,
            pOut,
            g,
            m,
            mOut,
            v,
            vOut,
            e,
            eOut,
            n,
            s.beta1,
            s.oneMinusBeta1,
            s.beta2,
            s.oneMinusBeta2,
            s.c1,
            s.c2,
            s.epsilon,
            s.lr,
            s.emaBeta,
          ),
      };
    } catch {
      k = null;
    }
  }
  _bound.set(backend, k);
  return k;
}

/** The float64 kernels on a WebAssembly memory of their own, and float64 views of that memory. */
export interface Float64Workspace {
  /**
   * Float64 views of consecutive regions of the given lengths (each 16-byte aligned), growing the memory
   * as needed. They stay valid until the next call (which may grow, and so detach, the memory).
   */
  views(lengths: readonly number[]): Float64Array[];
  /** Byte offset of a view from {@link views} (the kernels' pointer). */
  offset(view: Float64Array): number;
  /** lib/kernels/wasm/assembly/kernels.ts `scoreSoftmaxMean` (one PCA-locality or ELS pixel; g is not written). */
  scoreSoftmaxMean(g: number, yn: number, y: number, n: number, c: number): number;
  /** e^x for x ≤ 0, n values from x to out (byte offsets; 0 below −708.39, where e^x is subnormal). */
  expNonPositiveRows(x: number, out: number, n: number): void;
  /** lib/kernels/wasm/assembly/kernels.ts `localScoreQuery` (one LS query, one channel). */
  localScoreQuery(
    x: number,
    y: number,
    n: number,
    h: number,
    w: number,
    radii: number,
    nP: number,
    R: number,
    sat: number,
    dist: number,
    best: number,
    sum: number,
    acc: number,
    c: number,
  ): void;
  /** lib/kernels/wasm/assembly/kernels.ts `adam64` (one float64 Adam step, as lib/denoisers/linear.ts). */
  adam64(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    stepSize: number,
    beta1: number,
    a1: number,
    beta2: number,
    a2: number,
    bc2: number,
    eps: number,
  ): void;
}

let _workspace: Float64Workspace | null | undefined;

/**
 * The process's float64 workspace, or null when the kernels are turned off (`HG_WASM_SIMD=0`) or do not
 * instantiate (no WebAssembly SIMD). One per process: callers take their views at the start of a
 * synchronous computation and finish with them before returning.
 */
export function float64Workspace(): Float64Workspace | null {
  if (!_enabled()) return null;
  if (_workspace === undefined) _workspace = _newWorkspace();
  return _workspace;
}

/**
 * A float64 workspace of the caller's own (a fresh memory), for a computation that keeps its views across
 * awaits or calls other code meanwhile; null as for {@link float64Workspace}.
 */
export function createFloat64Workspace(): Float64Workspace | null {
  return _enabled() ? _newWorkspace() : null;
}

function _newWorkspace(): Float64Workspace | null {
  try {
    _module ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
    const ex = new WebAssembly.Instance(_module, { env: { memory } }).exports as Record<
      string,
      CallableFunction
    >;
    return {
      views(lengths) {
        const offs: number[] = [];
        let end = 0;
        for (const n of lengths) {
          offs.push(end);
          end += Math.ceil((8 * n) / 16) * 16;
        }
        const have = memory.buffer.byteLength;
        if (end > have) memory.grow(Math.ceil((end - have) / 65536));
        return lengths.map((n, i) => new Float64Array(memory.buffer, offs[i], n));
      },
      offset: (view) => view.byteOffset,
      scoreSoftmaxMean: ex.scoreSoftmaxMean as Float64Workspace["scoreSoftmaxMean"],
      expNonPositiveRows: ex.expNonPositiveRows as Float64Workspace["expNonPositiveRows"],
      localScoreQuery: ex.localScoreQuery as Float64Workspace["localScoreQuery"],
      adam64: ex.adam64 as Float64Workspace["adam64"],
    };
  } catch {
    return null;
  }
}
