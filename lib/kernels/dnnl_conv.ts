/**
 * oneDNN convolution plans on NHWC/HWIO buffers (the layout of tfjs' tensors on the wasm heap): one
 * cached plan per pass and shape, run on raw pointers with no copy into JavaScript.
 *
 * oneDNN's logical dims are N·C·H·W for activations and O·I·H·W for weights; the tfjs buffers are
 * described to it by explicit strides (NHWC: [H·W·C, 1, W·C, C]; HWIO: [1, O, W·I·O, I·O]). Two layouts:
 * - `"nhwc"`: the primitive runs on those buffers directly;
 * - `"blocked"`: the primitive chooses its own layout (`format_tag_any`, channel blocks for its SIMD
 *   width); each buffer whose chosen layout differs is reordered in (inputs) or out (outputs) through a
 *   buffer the library owns. The reorders cost 0.3–2 ns per element and the blocked kernels are about
 *   2.4× faster, so this is the default ({@link setDnnlLayout}).
 *
 * A plan binds memory objects once; each run only sets their data handles and executes.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import {
  allocate,
  check,
  CONV_DESC_BYTES,
  dims,
  DNNL,
  dnnl,
  dnnlEngine,
  implInfo,
  mdStrided,
  mdTagged,
  memory,
  primitive,
  primitiveDesc,
} from "./dnnl.ts";

/** Which convolution pass a plan computes. */
export type ConvPass = "forward" | "backwardData" | "backwardWeights";

/** Buffer layout the primitive computes in (see the module doc). */
export type DnnlLayout = "nhwc" | "blocked";

let _layout: DnnlLayout = "blocked";

/** Choose the layout of plans made from now on (default `"blocked"`); returns the previous one. */
export function setDnnlLayout(layout: DnnlLayout): DnnlLayout {
  if (layout !== "nhwc" && layout !== "blocked") {
    throw new TypeError(`lib/kernels/dnnl_conv.ts: unknown layout "${layout}" (use "nhwc" or "blocked")`);
  }
  const prev = _layout;
  _layout = layout;
  return prev;
}

/** One reorder between a user buffer and a library-owned one. */
interface _Reorder {
  prim: Deno.PointerObject;
  args: Uint8Array;
}

/** A ready-to-run convolution (see {@link convPlan}). */
export interface ConvPlan {
  /** The pass. */
  pass: ConvPass;
  /** The implementation oneDNN chose, e.g. `jit:avx2`. */
  impl: string;
  /** Memory objects over the caller's buffers, by `DNNL_ARG_*` id. */
  user: Map<number, Deno.PointerObject>;
  /** Reorders run before the primitive (user → internal). */
  pre: _Reorder[];
  /** The convolution primitive and its argument list. */
  prim: Deno.PointerObject;
  args: Uint8Array;
  /** Reorders run after it (internal → user). */
  post: _Reorder[];
  /** Everything to destroy when the plan is evicted. */
  owned: { pds: Deno.PointerObject[]; prims: Deno.PointerObject[]; mems: Deno.PointerObject[] };
  /** Descriptors and buffers kept alive while oneDNN may read them. */
  keep: unknown[];
}

/** oneDNN's N·C·H·W / O·I·H·W dims and the NHWC / HWIO strides of tfjs' buffers for `info`. */
function _tensors(info: tf.backend_util.Conv2DInfo) {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  return {
    src: { shape: [n, ci, h, w], strides: [h * w * ci, 1, w * ci, ci] },
    weights: { shape: [co, ci, kh, kw], strides: [1, co, kw * ci * co, ci * co] },
    dst: { shape: [n, co, oh, ow], strides: [oh * ow * co, 1, ow * co, co] },
    bias: { shape: [co], strides: [1] },
  };
}

function _args(pairs: [number, Deno.PointerObject][]): Uint8Array {
  const buf = new Uint8Array(16 * pairs.length);
  const dv = new DataView(buf.buffer);
  pairs.forEach(([arg, mem], i) => {
    dv.setInt32(16 * i, arg, true);
    dv.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return buf;
}

/** The convolution operation descriptor of `pass` over memory descriptors `md`. */
function _opDesc(
  pass: ConvPass | "hint",
  info: tf.backend_util.Conv2DInfo,
  md: { src: Uint8Array; weights: Uint8Array; dst: Uint8Array; bias: Uint8Array | null },
): Uint8Array {
  const s = dnnl();
  const desc = new Uint8Array(CONV_DESC_BYTES);
  const strides = dims([info.strideHeight, info.strideWidth]);
  const dil = dims([info.dilationHeight - 1, info.dilationWidth - 1]);
  const p = info.padInfo;
  const padL = dims([p.top, p.left]);
  const padR = dims([p.bottom, p.right]);
  const alg = DNNL.convolutionDirect;
  let status: number;
  if (pass === "forward" || pass === "hint") {
    status = s.dnnl_dilated_convolution_forward_desc_init(
      desc,
      DNNL.forwardTraining,
      alg,
      md.src,
      md.weights,
      md.bias,
      md.dst,
      strides,
      dil,
      padL,
      padR,
    );
  } else if (pass === "backwardData") {
    status = s.dnnl_dilated_convolution_backward_data_desc_init(
      desc,
      alg,
      md.src,
      md.weights,
      md.dst,
      strides,
      dil,
      padL,
      padR,
    );
  } else {
    status = s.dnnl_dilated_convolution_backward_weights_desc_init(
      desc,
      alg,
      md.src,
      md.weights,
      null,
      md.dst,
      strides,
      dil,
      padL,
      padR,
    );
  }
  check(status, `convolution ${pass} descriptor`);
  return desc;
}

/** Make the plan of `pass` for `info` (with a bias input when `bias`, forward only) in `layout`. */
export function makeConvPlan(
  pass: ConvPass,
  info: tf.backend_util.Conv2DInfo,
  bias: boolean,
  layout: DnnlLayout,
): ConvPlan {
  const s = dnnl();
  const { engine } = dnnlEngine();
  const t = _tensors(info);
  const user = {
    src: mdStrided(t.src.shape, t.src.strides),
    weights: mdStrided(t.weights.shape, t.weights.strides),
    dst: mdStrided(t.dst.shape, t.dst.strides),
    bias: bias ? mdStrided(t.bias.shape, t.bias.strides) : null,
  };
  const any = (shape: number[]) => mdTagged(shape, DNNL.formatAny);
  const op = layout === "nhwc" ? user : {
    src: any(t.src.shape),
    weights: any(t.weights.shape),
    dst: any(t.dst.shape),
    bias: user.bias,
  };
  const owned: ConvPlan["owned"] = { pds: [], prims: [], mems: [] };
  const keep: unknown[] = [user, op];
  let hint: Deno.PointerObject | null = null;
  if (pass !== "forward") {
    hint = primitiveDesc(_opDesc("hint", info, op), null, "forward hint");
    owned.pds.push(hint);
  }
  const pd = primitiveDesc(_opDesc(pass, info, op), hint, pass);
  owned.pds.push(pd);
  // [arg id, query, user md, is the primitive's output]
  const roles: [number, number, Uint8Array, boolean][] = pass === "forward"
    ? [
      [DNNL.argSrc, DNNL.querySrcMd, user.src, false],
      [DNNL.argWeights, DNNL.queryWeightsMd, user.weights, false],
      [DNNL.argDst, DNNL.queryDstMd, user.dst, true],
    ]
    : pass === "backwardData"
    ? [
      [DNNL.argDiffDst, DNNL.queryDiffDstMd, user.dst, false],
      [DNNL.argWeights, DNNL.queryWeightsMd, user.weights, false],
      [DNNL.argDiffSrc, DNNL.queryDiffSrcMd, user.src, true],
    ]
    : [
      [DNNL.argSrc, DNNL.querySrcMd, user.src, false],
      [DNNL.argDiffDst, DNNL.queryDiffDstMd, user.dst, false],
      [DNNL.argDiffWeights, DNNL.queryDiffWeightsMd, user.weights, true],
    ];
  const userMems = new Map<number, Deno.PointerObject>();
  const pre: _Reorder[] = [];
  const post: _Reorder[] = [];
  const primArgs: [number, Deno.PointerObject][] = [];
  const reorder = (
    from: Deno.PointerValue,
    to: Deno.PointerValue,
    a: Deno.PointerObject,
    b: Deno.PointerObject,
  ) => {
    const out = new BigUint64Array(1);
    check(s.dnnl_reorder_primitive_desc_create(out, from, engine, to, engine, null), "reorder descriptor");
    const rpd = Deno.UnsafePointer.create(out[0])!;
    owned.pds.push(rpd);
    const prim = primitive(rpd, "reorder");
    owned.prims.push(prim);
    return { prim, args: _args([[DNNL.argSrc, a], [DNNL.argDst, b]]) };
  };
  for (const [arg, query, md, isOut] of roles) {
    const mdPtr = Deno.UnsafePointer.of(md);
    const um = memory(mdPtr, null, `user ${arg}`);
    owned.mems.push(um);
    userMems.set(arg, um);
    const chosen = s.dnnl_primitive_desc_query_md(pd, query, 0);
    if (layout === "nhwc" || s.dnnl_memory_desc_equal(chosen, mdPtr) === 1) {
      primArgs.push([arg, um]);
      continue;
    }
    const im = memory(chosen, allocate(), `internal ${arg}`);
    owned.mems.push(im);
    primArgs.push([arg, im]);
    if (isOut) post.push(reorder(chosen, mdPtr, im, um));
    else pre.push(reorder(mdPtr, chosen, um, im));
  }
  if (pass === "forward" && user.bias !== null) {
    const bm = memory(Deno.UnsafePointer.of(user.bias), null, "bias");
    owned.mems.push(bm);
    userMems.set(DNNL.argBias, bm);
    primArgs.push([DNNL.argBias, bm]);
  }
  const prim = primitive(pd, pass);
  owned.prims.push(prim);
  return { pass, impl: implInfo(pd), user: userMems, pre, prim, args: _args(primArgs), post, owned, keep };
}

/** Run `plan` on the buffers `handles` (by `DNNL_ARG_*` id: each argument the plan's user side has). */
export function runConvPlan(plan: ConvPlan, handles: Map<number, Float32Array>): void {
  const s = dnnl();
  const { stream } = dnnlEngine();
  for (const [arg, mem] of plan.user) {
    const buf = handles.get(arg);
    if (buf === undefined) throw new Error(`lib/kernels/dnnl_conv.ts: no buffer for argument ${arg}`);
    check(s.dnnl_memory_set_data_handle(mem, Deno.UnsafePointer.of(buf)), "dnnl_memory_set_data_handle");
  }
  for (const r of plan.pre) check(s.dnnl_primitive_execute(r.prim, stream, 2, r.args), "reorder");
  check(
    s.dnnl_primitive_execute(plan.prim, stream, plan.args.length / 16, plan.args),
    `convolution ${plan.pass}`,
  );
  for (const r of plan.post) check(s.dnnl_primitive_execute(r.prim, stream, 2, r.args), "reorder");
  check(s.dnnl_stream_wait(stream), "dnnl_stream_wait");
}

/** Plans made so far, most recently used last; at most {@link _CACHE_SIZE}. */
const _cache = new Map<string, ConvPlan>();
const _CACHE_SIZE = 256;

/** The cached plan of `pass` for `info` (made on first use; the least recently used is freed beyond 256). */
export function convPlan(pass: ConvPass, info: tf.backend_util.Conv2DInfo, bias: boolean): ConvPlan {
  const p = info.padInfo;
  const key = [
    pass,
    _layout,
    bias,
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.bottom,
    p.left,
    p.right,
  ].join(",");
  let plan = _cache.get(key);
  if (plan !== undefined) {
    _cache.delete(key);
    _cache.set(key, plan);
    return plan;
  }
  plan = makeConvPlan(pass, info, bias, _layout);
  _cache.set(key, plan);
  if (_cache.size > _CACHE_SIZE) {
    const [oldKey, old] = _cache.entries().next().value!;
    _cache.delete(oldKey);
    _freePlan(old);
  }
  return plan;
}

/** Free every cached plan (e.g. before unloading oneDNN). */
export function clearConvPlans(): void {
  for (const plan of _cache.values()) _freePlan(plan);
  _cache.clear();
}

function _freePlan(plan: ConvPlan): void {
  const s = dnnl();
  for (const p of plan.owned.prims) s.dnnl_primitive_destroy(p);
  for (const m of plan.owned.mems) s.dnnl_memory_destroy(m);
  for (const p of plan.owned.pds) s.dnnl_primitive_desc_destroy(p);
}
