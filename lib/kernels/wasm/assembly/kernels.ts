// WebAssembly SIMD kernels on tfjs-backend-wasm's own memory (AssemblyScript; built by
// lib/kernels/wasm/build.ts into lib/kernels/wasm/_kernels_wasm.ts). Every pointer is a byte offset
// into the imported memory (a tensor's `memoryOffset`). Rules: no allocation, no stack, no static data
// (the memory belongs to tfjs); constants are splatted once, before each loop.

/**
 * Fused Adam + EMA over n float32 elements from g: each of θ (p), m, v and θ_ema (e) read from its
 * input and written to its output (which may be the input), with the float32 operations of
 * lib/kernels/adam_ema.ts `adamEmaPass` in the same order (same bits).
 */
export function adamEma(
  p: usize,
  pOut: usize,
  g: usize,
  m: usize,
  mOut: usize,
  v: usize,
  vOut: usize,
  e: usize,
  eOut: usize,
  n: i32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  c1: f32,
  c2: f32,
  epsilon: f32,
  lr: f32,
  emaBeta: f32,
): void {
  const vb1 = f32x4.splat(beta1);
  const va1 = f32x4.splat(oneMinusBeta1);
  const vb2 = f32x4.splat(beta2);
  const va2 = f32x4.splat(oneMinusBeta2);
  const vc1 = f32x4.splat(c1);
  const vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(epsilon);
  const vlr = f32x4.splat(lr);
  const vbe = f32x4.splat(emaBeta);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, va1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), va2));
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
    const upd = f32x4.div(f32x4.mul(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.mul(vi, vc2)), veps));
    const pi = f32x4.sub(v128.load(p + o), f32x4.mul(upd, vlr));
    v128.store(pOut + o, pi);
    v128.store(eOut + o, f32x4.add(pi, f32x4.mul(f32x4.sub(v128.load(e + o), pi), vbe)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const gi = load<f32>(g + o);
    const mi: f32 = load<f32>(m + o) * beta1 + gi * oneMinusBeta1;
    const vi: f32 = load<f32>(v + o) * beta2 + (gi * gi) * oneMinusBeta2;
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
    const upd: f32 = (mi * c1) / (Mathf.sqrt(vi * c2) + epsilon);
    const pi: f32 = load<f32>(p + o) - upd * lr;
    store<f32>(pOut + o, pi);
    store<f32>(eOut + o, pi + (load<f32>(e + o) - pi) * emaBeta);
  }
}

// ---- GroupNorm(+SiLU) element passes (lib/kernels/group_norm.ts) ----------------------------------
// One image [hw, c] (channels innermost) per call. Per-channel values (f64 arrays of c) live in a
// scratch tensor the caller allocates on the heap. Arithmetic is float64 in the JavaScript passes'
// order (two channels per f64x2, each channel's pixels summed in order), so results are bitwise equal.

// @ts-ignore: decorator
@inline
function ld2(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

// @ts-ignore: decorator
@inline
function st2(ptr: usize, a: v128): void {
  v128.store64_lane(ptr, f32x4.demote_f64x2_zero(a), 0);
}

/**
 * acc[j] = Σ_p x[p, j] (float64, pixel order). Two channels at a time, each pair's sums kept in a
 * register over the pixels (channels innermost in memory, so the loads are strided).
 */
export function gnSums(x: usize, acc: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const rowBytes = (<usize>c) << 2;
  const end = x + (<usize>hw) * rowBytes;
  for (let j = 0; j < c2; j += 2) {
    let s = f64x2.splat(0);
    for (let px = x + ((<usize>j) << 2); px < end; px += rowBytes) s = f64x2.add(s, ld2(px));
    v128.store(acc + ((<usize>j) << 3), s);
  }
  if (c2 < c) {
    let s: f64 = 0;
    for (let px = x + ((<usize>c2) << 2); px < end; px += rowBytes) s += <f64>load<f32>(px);
    store<f64>(acc + ((<usize>c2) << 3), s);
  }
}

/** acc[j] = Σ_p (x[p, j] − mean[j])² (float64, pixel order; registers as in {@link gnSums}). */
export function gnSqDev(x: usize, mean: usize, acc: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const rowBytes = (<usize>c) << 2;
  const end = x + (<usize>hw) * rowBytes;
  for (let j = 0; j < c2; j += 2) {
    const m = v128.load(mean + ((<usize>j) << 3));
    let s = f64x2.splat(0);
    for (let px = x + ((<usize>j) << 2); px < end; px += rowBytes) {
      const d = f64x2.sub(ld2(px), m);
      s = f64x2.add(s, f64x2.mul(d, d));
    }
    v128.store(acc + ((<usize>j) << 3), s);
  }
  if (c2 < c) {
    const m = load<f64>(mean + ((<usize>c2) << 3));
    let s: f64 = 0;
    for (let px = x + ((<usize>c2) << 2); px < end; px += rowBytes) {
      const d = <f64>load<f32>(px) - m;
      s += d * d;
    }
    store<f64>(acc + ((<usize>c2) << 3), s);
  }
}

/** z[p, j] = x[p, j]·scale[j] + shift[j] (float64, rounded once to float32); two channels at a time. */
export function gnAffine(x: usize, z: usize, scale: usize, shift: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const rowBytes = (<usize>c) << 2;
  const end = x + (<usize>hw) * rowBytes;
  const dz = z - x;
  for (let j = 0; j < c2; j += 2) {
    const a = v128.load(scale + ((<usize>j) << 3));
    const b = v128.load(shift + ((<usize>j) << 3));
    for (let px = x + ((<usize>j) << 2); px < end; px += rowBytes) {
      st2(px + dz, f64x2.add(f64x2.mul(ld2(px), a), b));
    }
  }
  if (c2 < c) {
    const a = load<f64>(scale + ((<usize>c2) << 3));
    const b = load<f64>(shift + ((<usize>c2) << 3));
    for (let px = x + ((<usize>c2) << 2); px < end; px += rowBytes) {
      store<f32>(px + dz, <f32>(<f64>load<f32>(px) * a + b));
    }
  }
}

/**
 * Backward pass 1 of one image: dz = dy (·s·(1 + z(1 − s)) when s ≠ 0: SiLU), x̂ = (x − mu[j])·r[j],
 * u = gam[j]·dz; per channel Σdz·x̂ → sdg, Σdz → sdb, Σu → s1, Σu·x̂ → s2 (each f64[c], overwritten);
 * u (rounded to float32) → du.
 */
export function gnGrad1(
  dy: usize,
  x: usize,
  z: usize,
  s: usize,
  du: usize,
  mu: usize,
  r: usize,
  gam: usize,
  sdg: usize,
  sdb: usize,
  s1: usize,
  s2: usize,
  hw: i32,
  c: i32,
): void {
  const c2 = c & ~1;
  const one = f64x2.splat(1);
  for (let j = 0; j < c; j++) {
    const o = (<usize>j) << 3;
    store<f64>(sdg + o, 0);
    store<f64>(sdb + o, 0);
    store<f64>(s1 + o, 0);
    store<f64>(s2 + o, 0);
  }
  const rowBytes = (<usize>c) << 2;
  for (let p = 0; p < hw; p++) {
    const row = (<usize>p) * rowBytes;
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      const f = row + ((<usize>j) << 2);
      let dz = ld2(dy + f);
      if (s != 0) {
        const si = ld2(s + f);
        dz = f64x2.mul(dz, f64x2.mul(si, f64x2.add(one, f64x2.mul(ld2(z + f), f64x2.sub(one, si)))));
      }
      const xh = f64x2.mul(f64x2.sub(ld2(x + f), v128.load(mu + o)), v128.load(r + o));
      v128.store(sdg + o, f64x2.add(v128.load(sdg + o), f64x2.mul(dz, xh)));
      v128.store(sdb + o, f64x2.add(v128.load(sdb + o), dz));
      const u = f64x2.mul(v128.load(gam + o), dz);
      v128.store(s1 + o, f64x2.add(v128.load(s1 + o), u));
      v128.store(s2 + o, f64x2.add(v128.load(s2 + o), f64x2.mul(u, xh)));
      st2(du + f, u);
    }
    if (c2 < c) {
      const o = (<usize>c2) << 3;
      const f = row + ((<usize>c2) << 2);
      let dz = <f64>load<f32>(dy + f);
      if (s != 0) {
        const si = <f64>load<f32>(s + f);
        dz *= si * (1 + <f64>load<f32>(z + f) * (1 - si));
      }
      const xh = (<f64>load<f32>(x + f) - load<f64>(mu + o)) * load<f64>(r + o);
      store<f64>(sdg + o, load<f64>(sdg + o) + dz * xh);
      store<f64>(sdb + o, load<f64>(sdb + o) + dz);
      const u = load<f64>(gam + o) * dz;
      store<f64>(s1 + o, load<f64>(s1 + o) + u);
      store<f64>(s2 + o, load<f64>(s2 + o) + u * xh);
      store<f32>(du + f, <f32>u);
    }
  }
}

/** Backward pass 2 of one image, in place on du: dx = r[j]·(u − su[j] − x̂·sux[j]), x̂ = (x − mu[j])·r[j]. */
export function gnGrad2(x: usize, du: usize, mu: usize, r: usize, su: usize, sux: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const rowBytes = (<usize>c) << 2;
  for (let p = 0; p < hw; p++) {
    const row = (<usize>p) * rowBytes;
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      const f = row + ((<usize>j) << 2);
      const rj = v128.load(r + o);
      const xh = f64x2.mul(f64x2.sub(ld2(x + f), v128.load(mu + o)), rj);
      const d = f64x2.sub(f64x2.sub(ld2(du + f), v128.load(su + o)), f64x2.mul(xh, v128.load(sux + o)));
      st2(du + f, f64x2.mul(rj, d));
    }
    if (c2 < c) {
      const o = (<usize>c2) << 3;
      const f = row + ((<usize>c2) << 2);
      const rj = load<f64>(r + o);
      const xh = (<f64>load<f32>(x + f) - load<f64>(mu + o)) * rj;
      store<f32>(du + f, <f32>(rj * (<f64>load<f32>(du + f) - load<f64>(su + o) - xh * load<f64>(sux + o))));
    }
  }
}

// ---- Broadcast binary ops (lib/kernels/broadcast_binary.ts) -----------------------------------
// out = a ∘ b over four loops of sizes d0…d3 with element strides a0…a3 and b0…b3 (0 where an operand
// is broadcast), the output contiguous. Float32 IEEE operations: the same bits as the JavaScript
// loops' double-precision operation rounded once to float32 (exact for +, −, ×, ÷ of float32 values).

// @ts-ignore: decorator
@inline
function opV(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.add(x, y);
  if (op == 1) return f32x4.sub(x, y);
  if (op == 2) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

// @ts-ignore: decorator
@inline
function opS(op: i32, x: f32, y: f32): f32 {
  if (op == 0) return x + y;
  if (op == 1) return x - y;
  if (op == 2) return x * y;
  return x / y;
}

// @ts-ignore: decorator
@inline
function bcast(
  op: i32,
  a: usize,
  b: usize,
  out: usize,
  d0: i32,
  d1: i32,
  d2: i32,
  d3: i32,
  a0: i32,
  a1: i32,
  a2: i32,
  a3: i32,
  b0: i32,
  b1: i32,
  b2: i32,
  b3: i32,
): void {
  const n4 = d3 & ~3;
  let o = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pa = a + ((<usize>(i0 * a0 + i1 * a1 + i2 * a2)) << 2);
        const pb = b + ((<usize>(i0 * b0 + i1 * b1 + i2 * b2)) << 2);
        let k = 0;
        if (a3 == 1 && b3 == 1) {
          for (; k < n4; k += 4) {
            const f = (<usize>k) << 2;
            v128.store(o + f, opV(op, v128.load(pa + f), v128.load(pb + f)));
          }
          for (; k < d3; k++) {
            const f = (<usize>k) << 2;
            store<f32>(o + f, opS(op, load<f32>(pa + f), load<f32>(pb + f)));
          }
        } else if (a3 == 1 && b3 == 0) {
          const y = load<f32>(pb);
          const vy = f32x4.splat(y);
          for (; k < n4; k += 4) {
            const f = (<usize>k) << 2;
            v128.store(o + f, opV(op, v128.load(pa + f), vy));
          }
          for (; k < d3; k++) {
            const f = (<usize>k) << 2;
            store<f32>(o + f, opS(op, load<f32>(pa + f), y));
          }
        } else if (a3 == 0 && b3 == 1) {
          const x = load<f32>(pa);
          const vx = f32x4.splat(x);
          for (; k < n4; k += 4) {
            const f = (<usize>k) << 2;
            v128.store(o + f, opV(op, vx, v128.load(pb + f)));
          }
          for (; k < d3; k++) {
            const f = (<usize>k) << 2;
            store<f32>(o + f, opS(op, x, load<f32>(pb + f)));
          }
        } else {
          for (; k < d3; k++) {
            const x = load<f32>(pa + ((<usize>(k * a3)) << 2));
            store<f32>(o + ((<usize>k) << 2), opS(op, x, load<f32>(pb + ((<usize>(k * b3)) << 2))));
          }
        }
        o += (<usize>d3) << 2;
      }
    }
  }
}

/** out = a + b, broadcast (see above). */
export function bcastAdd(
  a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32,
): void {
  bcast(0, a, b, out, d0, d1, d2, d3, a0, a1, a2, a3, b0, b1, b2, b3);
}

/** out = a − b, broadcast. */
export function bcastSub(
  a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32,
): void {
  bcast(1, a, b, out, d0, d1, d2, d3, a0, a1, a2, a3, b0, b1, b2, b3);
}

/** out = a × b, broadcast. */
export function bcastMul(
  a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32,
): void {
  bcast(2, a, b, out, d0, d1, d2, d3, a0, a1, a2, a3, b0, b1, b2, b3);
}

/** out = a ÷ b, broadcast. */
export function bcastDiv(
  a: usize, b: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32,
): void {
  bcast(3, a, b, out, d0, d1, d2, d3, a0, a1, a2, a3, b0, b1, b2, b3);
}

// ---- Block copies (lib/kernels/block_copy.ts) -------------------------------------------------

/**
 * For i < blocks: `len` floats from src + i·srcStride to dst + i·dstStride (element strides; the
 * regions do not overlap): Concat's inner loop. Four floats per v128, the rest one by one.
 */
export function copyRuns(src: usize, srcStride: i32, dst: usize, dstStride: i32, blocks: i32, len: i32): void {
  const n4 = len & ~3;
  const sb = (<usize>srcStride) << 2;
  const db = (<usize>dstStride) << 2;
  let s = src;
  let d = dst;
  for (let i = 0; i < blocks; i++) {
    let k = 0;
    for (; k < n4; k += 4) {
      const f = (<usize>k) << 2;
      v128.store(d + f, v128.load(s + f));
    }
    for (; k < len; k++) {
      const f = (<usize>k) << 2;
      store<f32>(d + f, load<f32>(s + f));
    }
    s += sb;
    d += db;
  }
}

// ---- Softmax-weighted means in float64 (lib/denoisers/pca_locality.ts) -------------------------
// These run on a memory of their own (lib/kernels/wasm/mod.ts `float64Workspace`), not on tfjs's.

const INVLN2: f64 = 1.44269504088896338700e+00;
const LN2HI: f64 = 6.93147180369123816490e-01;
const LN2LO: f64 = 1.90821492927058770002e-10;
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;
/** 1.5·2^52: adding it rounds a double of magnitude below 2^51 to an integer, held in the low bits. */
const ROUND_MAGIC: f64 = 6755399441055744.0;
/** Weights below e^EXP_NORMAL (subnormal numbers) are taken as 0: see {@link scoreSoftmaxMean}. */
const EXP_NORMAL: f64 = -708.39;

/**
 * e^x in each f64x2 lane for x ≤ 0: fdlibm's reduction x = k·ln2 + r, |r| ≤ ln2/2, and its rational
 * approximation of e^r (error below 1 ulp), times 2^k; 0 where e^x is below the smallest normal number
 * (x < −708.39), so no lane ever computes with subnormal numbers (slow on x86).
 */
// @ts-ignore: decorator
@inline
function expNonPositive(x0: v128): v128 {
  const x = f64x2.pmax(x0, f64x2.splat(EXP_NORMAL)); // 2^k stays normal; lanes below are masked to 0
  // k = nearest(x/ln2) by adding 1.5·2^52 (round to nearest even, as f64x2.nearest), whose low mantissa
  // bits then hold k as an integer: 2^k is those bits + 1023 shifted into the exponent field.
  const kb = f64x2.add(f64x2.mul(x, f64x2.splat(INVLN2)), f64x2.splat(ROUND_MAGIC));
  const k = f64x2.sub(kb, f64x2.splat(ROUND_MAGIC));
  const hi = f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2HI)));
  const lo = f64x2.mul(k, f64x2.splat(LN2LO));
  const r = f64x2.sub(hi, lo);
  const t = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(t, p));
  const c = f64x2.sub(r, f64x2.mul(t, p));
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2), c));
  const y = f64x2.sub(f64x2.splat(1), f64x2.sub(f64x2.sub(lo, q), hi));
  const scale = i64x2.shl(i64x2.add(kb, i64x2.splat(1023)), 52);
  return v128.and(f64x2.mul(y, scale), f64x2.ge(x0, f64x2.splat(EXP_NORMAL)));
}

/** {@link expNonPositive} of n values from x to out (float64, byte offsets): for tests. */
export function expNonPositiveRows(x: usize, out: usize, n: i32): void {
  const n2 = n & ~1;
  let k = 0;
  for (; k < n2; k += 2) {
    const o = (<usize>k) << 3;
    v128.store(out + o, expNonPositive(v128.load(x + o)));
  }
  if (k < n) {
    const o = (<usize>k) << 3;
    store<f64>(out + o, f64x2.extract_lane(expNonPositive(f64x2.splat(load<f64>(x + o))), 0));
  }
}

/**
 * One PCA-locality pixel (or ELS query pixel) over n training images or patches (float64 at byte offsets):
 * with l[k] = 2·g[k] − yn[k], Σ_k w_k·y[k] / Σ_k w_k, w_k = e^((l[k] − max l)·c). g is left as it is. The sums run in two lanes (even
 * and odd k) added at the end. Weights below the smallest normal number (2^−1022) count as 0: the largest
 * weight is 1, so Σ w ≥ 1, and they change the mean by less than n·2^−1022 in absolute value.
 */
export function scoreSoftmaxMean(g: usize, yn: usize, y: usize, n: i32, c: f64): f64 {
  const n2 = n & ~1;
  const two = f64x2.splat(2);
  // Two independent running maxima (pmax: one instruction; no NaN reaches it), merged at the end.
  let vmax = f64x2.splat(-Infinity);
  let vmax2 = vmax;
  const n4 = n & ~3;
  let k = 0;
  for (; k < n4; k += 4) {
    const o = (<usize>k) << 3;
    vmax = f64x2.pmax(vmax, f64x2.sub(f64x2.mul(two, v128.load(g + o)), v128.load(yn + o)));
    vmax2 = f64x2.pmax(vmax2, f64x2.sub(f64x2.mul(two, v128.load(g + o, 16)), v128.load(yn + o, 16)));
  }
  for (; k < n2; k += 2) {
    const o = (<usize>k) << 3;
    vmax = f64x2.pmax(vmax, f64x2.sub(f64x2.mul(two, v128.load(g + o)), v128.load(yn + o)));
  }
  vmax = f64x2.pmax(vmax, vmax2);
  let m = max(f64x2.extract_lane(vmax, 0), f64x2.extract_lane(vmax, 1));
  if (n2 < n) {
    const o = (<usize>n2) << 3;
    m = max(m, 2 * load<f64>(g + o) - load<f64>(yn + o));
  }
  const vm = f64x2.splat(m);
  const vc = f64x2.splat(c);
  let s = f64x2.splat(0);
  let a = f64x2.splat(0);
  const under = f64x2.splat(EXP_NORMAL);
  for (let k = 0; k < n2; k += 2) {
    const o = (<usize>k) << 3;
    const l = f64x2.sub(f64x2.mul(two, v128.load(g + o)), v128.load(yn + o));
    const e = f64x2.mul(f64x2.sub(l, vm), vc);
    if (!v128.any_true(f64x2.ge(e, under))) continue; // both weights exactly 0
    const w = expNonPositive(e);
    s = f64x2.add(s, w);
    a = f64x2.add(a, f64x2.mul(w, v128.load(y + o)));
  }
  let st = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  let at = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  if (n2 < n) {
    const o = (<usize>n2) << 3;
    const l = 2 * load<f64>(g + o) - load<f64>(yn + o);
    const w = f64x2.extract_lane(expNonPositive(f64x2.splat((l - m) * c)), 0);
    st += w;
    at += w * load<f64>(y + o);
  }
  return at / st;
}

// ---- The local score machine LS, one channel (lib/denoisers/local_score.ts) --------------------

/**
 * One LS query against n training images of one channel (float64 and int32 at byte offsets, on the
 * float64 workspace). For each image y_k: the summed-area table S of (x − y_k)², stored padded by R (the
 * largest patch radius) on every side with S's own values at the clamped index (rows and columns of 0
 * above and left, copies of the last row and column below and right), so that every patch window's four
 * corners are in it and a row of windows reads them contiguously; the nP·npx patch distances
 * ((S[i1][j1] − S[i0][j1]) − S[i1][j0]) + S[i0][j0] for radii[k] (int32); then the online softmax of
 * lib/denoisers/local_score.ts per patch side and pixel: `best` the nearest distance so far, `sum` Σ w and
 * `acc` Σ w·y_k[p] relative to it, rescaled when it changes; w = e^((best − dist)·c). The same values and
 * operations in the same order as the JavaScript loop, with {@link expNonPositive} for e^x (0 below
 * 2^−1022, as in {@link scoreSoftmaxMean}). The caller zeroes sat ((h + 1 + 2R)·(w + 1 + 2R)), fills best
 * with +∞ and sum, acc with 0, and divides acc by sum.
 */
export function localScoreQuery(
  x: usize,
  y: usize,
  n: i32,
  h: i32,
  w: i32,
  radii: usize,
  nP: i32,
  R: i32,
  sat: usize,
  dist: usize,
  best: usize,
  sum: usize,
  acc: usize,
  c: f64,
): void {
  const npx = h * w;
  const PW = w + 1 + 2 * R;
  const m = nP * npx; // patch side k, pixel p at k·npx + p
  const vc = f64x2.splat(c);
  const under = f64x2.splat(EXP_NORMAL);
  const rowBytes = (<usize>PW) << 3;
  const last = sat + <usize>(R + h) * rowBytes; // S's last row, copied below
  for (let k = 0; k < n; k++) {
    const yk = y + ((<usize>k * <usize>npx) << 3);
    // S, padded: row R + i, column R + j holds S[i][j].
    for (let i = 0; i < h; i++) {
      let rowSum: f64 = 0;
      const up = sat + <usize>(R + i) * rowBytes + ((<usize>(R + 1)) << 3);
      const here = up + rowBytes;
      const xr = x + ((<usize>(i * w)) << 3);
      const yr = yk + ((<usize>(i * w)) << 3);
      for (let j = 0; j < w; j++) {
        const o = (<usize>j) << 3;
        const t = load<f64>(xr + o) - load<f64>(yr + o);
        rowSum += t * t;
        store<f64>(here + o, load<f64>(up + o) + rowSum);
      }
      const edge = load<f64>(here + ((<usize>(w - 1)) << 3));
      for (let j = w; j < w + R; j++) store<f64>(here + ((<usize>j) << 3), edge);
    }
    for (let i = R + h + 1; i < h + 1 + 2 * R; i++) memory.copy(sat + <usize>i * rowBytes, last, rowBytes);
    // Patch distances, a row of windows at a time.
    for (let q = 0; q < nP; q++) {
      const r = load<i32>(radii + ((<usize>q) << 2));
      for (let i = 0; i < h; i++) {
        const a0 = sat + <usize>(R + i - r) * rowBytes + ((<usize>(R - r)) << 3);
        const a1 = sat + <usize>(R + i + r + 1) * rowBytes + ((<usize>(R - r)) << 3);
        const b = (<usize>(2 * r + 1)) << 3; // from column j0 to j1
        const out = dist + ((<usize>(q * npx + i * w)) << 3);
        let j = 0;
        for (; j + 1 < w; j += 2) {
          const o = (<usize>j) << 3;
          const s = f64x2.add(
            f64x2.sub(f64x2.sub(v128.load(a1 + o + b), v128.load(a0 + o + b)), v128.load(a1 + o)),
            v128.load(a0 + o),
          );
          v128.store(out + o, s);
        }
        if (j < w) {
          const o = (<usize>j) << 3;
          store<f64>(out + o, load<f64>(a1 + o + b) - load<f64>(a0 + o + b) - load<f64>(a1 + o) + load<f64>(a0 + o));
        }
      }
    }
    for (let t0 = 0; t0 < m; t0 += npx) {
      let p = 0;
      for (; p + 1 < npx; p += 2) {
        const t = t0 + p;
        const o = (<usize>t) << 3;
        const dd = v128.load(dist + o);
        const bt = v128.load(best + o);
        if (v128.any_true(f64x2.lt(dd, bt))) {
          _localScoreOne(t, p, yk, dist, best, sum, acc, c);
          _localScoreOne(t + 1, p + 1, yk, dist, best, sum, acc, c);
          continue;
        }
        const e = f64x2.mul(f64x2.sub(bt, dd), vc);
        if (!v128.any_true(f64x2.ge(e, under))) continue; // both weights exactly 0
        const wgt = expNonPositive(e);
        v128.store(sum + o, f64x2.add(v128.load(sum + o), wgt));
        const yv = v128.load(yk + ((<usize>p) << 3));
        v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(wgt, yv)));
      }
      if (p < npx) _localScoreOne(t0 + p, p, yk, dist, best, sum, acc, c);
    }
  }
}

/** Entry t (pixel p) of {@link localScoreQuery}'s online softmax, as the JavaScript loop. */
// @ts-ignore: decorator
@inline
function _localScoreOne(
  t: i32,
  p: i32,
  yk: usize,
  dist: usize,
  best: usize,
  sum: usize,
  acc: usize,
  c: f64,
): void {
  const o = (<usize>t) << 3;
  const dd = load<f64>(dist + o);
  const bt = load<f64>(best + o);
  const yv = load<f64>(yk + ((<usize>p) << 3));
  let wgt: f64;
  if (dd < bt) {
    const s0 = load<f64>(sum + o);
    if (s0 > 0) {
      const scale = f64x2.extract_lane(expNonPositive(f64x2.splat((dd - bt) * c)), 0);
      store<f64>(sum + o, s0 * scale);
      store<f64>(acc + o, load<f64>(acc + o) * scale);
    }
    store<f64>(best + o, dd);
    wgt = 1;
  } else {
    const e = (bt - dd) * c;
    if (e < EXP_NORMAL) return;
    wgt = f64x2.extract_lane(expNonPositive(f64x2.splat(e)), 0);
  }
  store<f64>(sum + o, load<f64>(sum + o) + wgt);
  store<f64>(acc + o, load<f64>(acc + o) + wgt * yv);
}

// ---- Float64 Adam (lib/denoisers/linear.ts) --------------------------------------------------------

/**
 * One Adam step (PyTorch's form) over n float64 parameters at byte offsets, as lib/denoisers/linear.ts
 * `_adam` in the same order (same bits: WebAssembly, like JavaScript, never fuses a multiply-add):
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g·g, p ← p − (stepSize·m) / (√v / bc2 + ε).
 */
export function adam64(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  stepSize: f64,
  beta1: f64,
  a1: f64,
  beta2: f64,
  a2: f64,
  bc2: f64,
  eps: f64,
): void {
  const n2 = n & ~1;
  const vs = f64x2.splat(stepSize);
  const vb1 = f64x2.splat(beta1);
  const va1 = f64x2.splat(a1);
  const vb2 = f64x2.splat(beta2);
  const va2 = f64x2.splat(a2);
  const vbc = f64x2.splat(bc2);
  const ve = f64x2.splat(eps);
  for (let i = 0; i < n2; i += 2) {
    const o = (<usize>i) << 3;
    const gi = v128.load(g + o);
    const mi = f64x2.add(f64x2.mul(vb1, v128.load(m + o)), f64x2.mul(va1, gi));
    const vi = f64x2.add(f64x2.mul(vb2, v128.load(v + o)), f64x2.mul(f64x2.mul(va2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const den = f64x2.add(f64x2.div(f64x2.sqrt(vi), vbc), ve);
    v128.store(p + o, f64x2.sub(v128.load(p + o), f64x2.div(f64x2.mul(vs, mi), den)));
  }
  for (let i = n2; i < n; i++) {
    const o = (<usize>i) << 3;
    const gi = load<f64>(g + o);
    const mi = beta1 * load<f64>(m + o) + a1 * gi;
    const vi = beta2 * load<f64>(v + o) + a2 * gi * gi;
    store<f64>(m + o, mi);
    store<f64>(v + o, vi);
    store<f64>(p + o, load<f64>(p + o) - (stepSize * mi) / (Math.sqrt(vi) / bc2 + eps));
  }
}
