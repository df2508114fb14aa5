import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  groupCount,
  initUNet,
  type UNetConfig,
  unetForward,
  unetParamCount,
  unetParamSpecs,
} from "../../lib/denoisers/unet.ts";
import { Rng } from "../../lib/rng.ts";
import { testBackend } from "../training/_backend.ts";

const cfg = (C: number, extra: Partial<UNetConfig> = {}): UNetConfig => ({
  resolution: 16,
  channels: 1,
  baseChannels: C,
  attention: false,
  dropout: 0,
  ...extra,
});

/**
 * Hand count from the architecture (module doc): conv-in, the 2-layer embedding MLP (C → 4C → 4C),
 * blocks C→C, C→2C, 2C→2C, 4C→2C, 3C→C (each: 2 GroupNorms, two 3×3 convs, a 4C→out affine,
 * a 1×1 skip when in ≠ out), output GroupNorm and 3×3 conv; attention adds GN(2C) + qkv + proj.
 */
function handCount(C: number, ch: number, attention: boolean): number {
  const conv = (k: number, a: number, b: number) => k * k * a * b + b;
  const lin = (a: number, b: number) => a * b + b;
  const E = 4 * C;
  const block = (a: number, b: number) =>
    2 * a + conv(3, a, b) + lin(E, b) + 2 * b + conv(3, b, b) + (a !== b ? conv(1, a, b) : 0);
  let n = conv(3, ch, C) + lin(C, E) + lin(E, E);
  n += block(C, C) + block(C, 2 * C) + block(2 * C, 2 * C) + block(4 * C, 2 * C) + block(3 * C, C);
  n += 2 * C + conv(3, C, ch);
  if (attention) n += 4 * C + lin(2 * C, 6 * C) + lin(2 * C, 2 * C);
  return n;
}

Deno.test("unetParamCount: matches the hand count and 353C² + 78C + 18·ch·C + ch (+16C² + 12C attention)", () => {
  for (const C of [4, 8, 16, 32, 64, 128]) {
    for (const ch of [1, 3]) {
      for (const attention of [false, true]) {
        const n = unetParamCount(cfg(C, { channels: ch, attention }));
        assert.equal(n, handCount(C, ch, attention), `C=${C} ch=${ch} attn=${attention}`);
        assert.equal(n, 353 * C * C + 78 * C + 18 * ch * C + ch + (attention ? 16 * C * C + 12 * C : 0));
      }
    }
  }
  // The pilot's sizes (8.3k … 1.34M) are the same order of magnitude.
  assert.equal(unetParamCount(cfg(4)), 6033);
  assert.equal(unetParamCount(cfg(64)), 1452033);
});

Deno.test("groupCount: EDM's min(32, ⌊c/4⌋), dividing c, ≥ 4 channels per group", () => {
  assert.equal(groupCount(4), 1);
  assert.equal(groupCount(8), 2);
  assert.equal(groupCount(12), 3);
  assert.equal(groupCount(128), 32);
  assert.equal(groupCount(384), 32);
  assert.equal(groupCount(2), 1);
  for (let c = 2; c <= 400; c += 2) {
    const g = groupCount(c);
    assert.ok(c % g === 0 && g <= 32 && g >= 1, `c=${c} g=${g}`);
    if (c >= 4) assert.ok(c / g >= 4, `c=${c} g=${g}`);
  }
});

Deno.test("initUNet: seeded, shapes as specified, F_θ ≈ 0 at init", () => {
  const c = cfg(4, { resolution: 8 });
  const a = initUNet(c, 7);
  const b = initUNet(c, 7);
  const other = initUNet(c, 8);
  const specs = unetParamSpecs(c);
  assert.equal(a.length, specs.length);
  a.forEach((p, i) => {
    assert.deepEqual(p.shape, specs[i].shape);
    assert.deepEqual(p.data, b[i].data);
  });
  assert.notDeepEqual(a[0].data, other[0].data);
  // Xavier bound √(6/(fanIn+fanOut)) holds for the first conv.
  const w = a.find((p) => p.name === "convIn.w")!;
  const bound = Math.sqrt(6 / (9 * 1 + 9 * 4));
  assert.ok(w.data.every((v) => Math.abs(v) <= bound) && w.data.some((v) => Math.abs(v) > bound / 2));
  assert.throws(() => unetParamSpecs(cfg(5)), /baseChannels/);
  assert.throws(() => unetParamSpecs(cfg(4, { dropout: 0.1 })), /dropout/);
  assert.throws(() => unetParamSpecs(cfg(4, { resolution: 15 })), /resolution/);
});

Deno.test("unetForward: output shape = input shape at 8, 16 and 28 px, 1 and 3 channels, with attention", async () => {
  await testBackend();
  for (const [R, ch, attention] of [[8, 1, false], [16, 3, true], [28, 1, true]] as const) {
    const c = cfg(4, { resolution: R, channels: ch, attention });
    const params: Record<string, tf.Tensor> = {};
    for (const p of initUNet(c, 1)) params[p.name] = tf.tensor(p.data, p.shape);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(new Rng(2).normals(2 * R * R * ch)), [2, R, R, ch]);
      return unetForward(c, params, x, tf.tensor1d([-1, 0.5]));
    });
    assert.deepEqual(out.shape, [2, R, R, ch]);
    const v = out.dataSync();
    assert.ok(v.every(Number.isFinite));
    // Output conv weights are scaled by 1e-5, so F_θ starts near zero.
    assert.ok(v.every((y) => Math.abs(y) < 1e-3), `max |F| = ${Math.max(...v.map(Math.abs))}`);
    out.dispose();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(Object.values(params));
  }
  const c = cfg(4, { resolution: 8 });
  assert.throws(() => unetForward(c, {}, tf.zeros([1, 16, 16, 1]), tf.zeros([1])), /does not match/);
});
