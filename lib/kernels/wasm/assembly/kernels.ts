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

/** acc[j] = Σ_p x[p, j] (float64, pixel order). */
export function gnSums(x: usize, acc: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const zero = f64x2.splat(0);
  for (let j = 0; j < c2; j += 2) v128.store(acc + ((<usize>j) << 3), zero);
  if (c2 < c) store<f64>(acc + ((<usize>c2) << 3), 0);
  let px = x;
  for (let p = 0; p < hw; p++) {
    for (let j = 0; j < c2; j += 2) {
      const a = acc + ((<usize>j) << 3);
      v128.store(a, f64x2.add(v128.load(a), ld2(px + ((<usize>j) << 2))));
    }
    if (c2 < c) {
      const a = acc + ((<usize>c2) << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(px + ((<usize>c2) << 2)));
    }
    px += (<usize>c) << 2;
  }
}

/** acc[j] = Σ_p (x[p, j] − mean[j])² (float64, pixel order). */
export function gnSqDev(x: usize, mean: usize, acc: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const zero = f64x2.splat(0);
  for (let j = 0; j < c2; j += 2) v128.store(acc + ((<usize>j) << 3), zero);
  if (c2 < c) store<f64>(acc + ((<usize>c2) << 3), 0);
  let px = x;
  for (let p = 0; p < hw; p++) {
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      const d = f64x2.sub(ld2(px + ((<usize>j) << 2)), v128.load(mean + o));
      v128.store(acc + o, f64x2.add(v128.load(acc + o), f64x2.mul(d, d)));
    }
    if (c2 < c) {
      const o = (<usize>c2) << 3;
      const d = <f64>load<f32>(px + ((<usize>c2) << 2)) - load<f64>(mean + o);
      store<f64>(acc + o, load<f64>(acc + o) + d * d);
    }
    px += (<usize>c) << 2;
  }
}

/** z[p, j] = x[p, j]·scale[j] + shift[j] (float64, rounded once to float32). */
export function gnAffine(x: usize, z: usize, scale: usize, shift: usize, hw: i32, c: i32): void {
  const c2 = c & ~1;
  const rowBytes = (<usize>c) << 2;
  for (let p = 0; p < hw; p++) {
    const px = x + (<usize>p) * rowBytes;
    const pz = z + (<usize>p) * rowBytes;
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      const f = (<usize>j) << 2;
      st2(pz + f, f64x2.add(f64x2.mul(ld2(px + f), v128.load(scale + o)), v128.load(shift + o)));
    }
    if (c2 < c) {
      const o = (<usize>c2) << 3;
      const f = (<usize>c2) << 2;
      store<f32>(pz + f, <f32>(<f64>load<f32>(px + f) * load<f64>(scale + o) + load<f64>(shift + o)));
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
