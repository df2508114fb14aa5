/**
 * The closed-form denoisers beyond D_G and D_M, each against an independent fact: a one-component mixture
 * is D_G and a one-image-per-component mixture is D_M; LS with a patch covering the whole image is D_M and
 * matches a brute-force patch posterior; ELS matches a brute-force posterior over every patch of every
 * image; PCA-locality with τ = 0 is D_M; at σ = 0 each returns a training image or patch pixel.
 */
import assert from "node:assert/strict";
import { loadBlas } from "../../lib/linalg/blas.ts";
import { fitGaussian, gaussianDenoiser } from "../../lib/denoisers/gaussian.ts";
import { multiDeltaDenoiser } from "../../lib/denoisers/multi_delta.ts";
import { fitGaussianMixture, gaussianMixtureDenoiser, kMeans } from "../../lib/denoisers/gaussian_mixture.ts";
import { localScoreAll, localScoreDenoiser } from "../../lib/denoisers/local_score.ts";
import {
  equivariantLocalScoreAll,
  equivariantLocalScoreDenoiser,
  equivariantPatchSet,
} from "../../lib/denoisers/equivariant_local_score.ts";
import { localityMasks, pcaLocalityDenoiser } from "../../lib/denoisers/pca_locality.ts";
import { Rng } from "../../lib/rng.ts";
import { float64Workspace } from "../../lib/kernels/wasm/mod.ts";
import { type Batch, batch } from "../../lib/types.ts";
import { withoutWasmSimd } from "../_wasm_simd.ts";

loadBlas("auto");

function randBatch(n: number, d: number, seed: number, scale = 1): Batch {
  const r = new Rng(seed);
  return batch(n, d, Float64Array.from({ length: n * d }, () => scale * (2 * r.uniform() - 1)));
}

function maxAbsDiff(a: Batch, b: Batch): number {
  assert.equal(a.data.length, b.data.length);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

const shape = { height: 5, width: 4, channels: 1 };
const d = 20;

/** The zero-padded patch of `img` around (i, j) as a plain array (brute force, independent of _patches.ts). */
function patchOf(img: Float64Array, i: number, j: number, P: number): number[] {
  const r = (P - 1) / 2;
  const o: number[] = [];
  for (let a = i - r; a <= i + r; a++) {
    for (let b = j - r; b <= j + r; b++) {
      o.push(a < 0 || a >= shape.height || b < 0 || b >= shape.width ? 0 : img[a * shape.width + b]);
    }
  }
  return o;
}

function softmaxMean(logits: number[], values: number[]): number {
  const m = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - m));
  return w.reduce((s, x, k) => s + x * values[k], 0) / w.reduce((s, x) => s + x, 0);
}

const dist2 = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0);

Deno.test("GMM: one component is D_G; one image per component is D_M", async () => {
  const train = randBatch(30, 6, 1);
  const x = randBatch(7, 6, 2, 1.5);
  const DG = gaussianDenoiser(fitGaussian(train));
  const one = gaussianMixtureDenoiser(fitGaussianMixture(train, 1, { seed: 3 }));
  for (const s of [0.01, 0.3, 2, 50]) {
    assert.ok(maxAbsDiff(await one(x, s), await DG(x, s)) < 1e-10, `K = 1 at σ = ${s}`);
  }
  const all = fitGaussianMixture(train, 30, { seed: 3 });
  assert.equal(all.components.length, 30);
  assert.ok(all.components.every((c) => c.r === 0 && c.n === 1));
  const DM = multiDeltaDenoiser(train);
  for (const s of [0.05, 0.4, 3]) {
    assert.ok(
      maxAbsDiff(await gaussianMixtureDenoiser(all)(x, s), await DM(x, s)) < 1e-10,
      `K = N, σ = ${s}`,
    );
  }
});

Deno.test("k-means finds two well-separated clusters and is deterministic for a seed", () => {
  const a = randBatch(20, 4, 5, 0.1);
  const data = new Float64Array(40 * 4);
  data.set(a.data);
  const b = randBatch(20, 4, 6, 0.1);
  for (let i = 0; i < b.data.length; i++) data[80 + i] = b.data[i] + 5;
  const x = batch(40, 4, data);
  const lab = kMeans(x, 2, { seed: 9 });
  assert.ok(lab.slice(0, 20).every((l) => l === lab[0]));
  assert.ok(lab.slice(20).every((l) => l === lab[20]));
  assert.notEqual(lab[0], lab[20]);
  assert.deepEqual(kMeans(x, 2, { seed: 9 }), lab);
  assert.throws(() => kMeans(x, 41, { seed: 1 }), /K must be in 1 … 40/);
});

Deno.test("LS: a whole-image patch is D_M; P = 3 matches a brute-force patch posterior; σ = 0 copies the nearest patch's pixel", async () => {
  const train = randBatch(9, d, 11);
  const x = randBatch(3, d, 12, 1.3);
  const DM = multiDeltaDenoiser(train);
  for (const s of [0.1, 0.7, 4]) {
    const [whole] = localScoreAll(train, shape, x, s, [9]);
    assert.ok(maxAbsDiff(whole, await DM(x, s)) < 1e-9, `whole patch at σ = ${s}`);
  }
  const s = 0.45;
  const [p3, p1] = localScoreAll(train, shape, x, s, [3, 1]);
  for (let q = 0; q < x.n; q++) {
    const xq = x.data.subarray(q * d, (q + 1) * d);
    for (let i = 0; i < shape.height; i++) {
      for (let j = 0; j < shape.width; j++) {
        const p = i * shape.width + j;
        const ys = Array.from({ length: train.n }, (_, n) => train.data.subarray(n * d, (n + 1) * d));
        const want = softmaxMean(
          ys.map((y) => -dist2(patchOf(xq, i, j, 3), patchOf(y, i, j, 3)) / (2 * s * s)),
          ys.map((y) => y[p]),
        );
        assert.ok(Math.abs(p3.data[q * d + p] - want) < 1e-12, `P = 3 pixel ${p}`);
        const want1 = softmaxMean(ys.map((y) => -((xq[p] - y[p]) ** 2) / (2 * s * s)), ys.map((y) => y[p]));
        assert.ok(Math.abs(p1.data[q * d + p] - want1) < 1e-12, `P = 1 pixel ${p}`);
      }
    }
  }
  // σ = 0: each pixel is the pixel of a training image (the one whose patch is nearest).
  const zero = await localScoreDenoiser(train, shape, 3)(x, 0);
  for (let p = 0; p < d; p++) {
    const v = zero.data[p];
    assert.ok([...Array(train.n).keys()].some((n) => train.data[n * d + p] === v), `σ = 0 pixel ${p}`);
  }
  // A training image denoised at σ = 0 is itself.
  const y0 = batch(1, d, train.data.slice(0, d));
  assert.deepEqual((await localScoreDenoiser(train, shape, (_s) => 5)(y0, 0)).data, y0.data);
  assert.throws(() => localScoreAll(train, shape, x, 1, [4]), /odd integer/);
});

Deno.test("LS: the WebAssembly kernel (one channel) agrees with the JavaScript loop at every σ, odd widths and patches past the border", () => {
  assert.notEqual(float64Workspace(), null, "the float64 kernels instantiate");
  for (const sh of [shape, { height: 3, width: 5, channels: 1 }]) {
    const dd = sh.height * sh.width;
    const train = randBatch(23, dd, 61);
    const x = randBatch(4, dd, 62, 1.3);
    const patches = [1, 3, 5, 11];
    for (const s of [0.02, 0.3, 1.5, 40, Infinity]) {
      const simd = localScoreAll(train, sh, x, s, patches);
      const js = withoutWasmSimd(() => localScoreAll(train, sh, x, s, patches));
      patches.forEach((P, k) => {
        const diff = maxAbsDiff(simd[k], js[k]);
        assert.ok(diff < 1e-13, `${sh.height}×${sh.width}, P = ${P}, σ = ${s}: ${diff}`);
      });
    }
  }
});

Deno.test("LS with two channels matches a brute-force patch posterior (distances summed over channels)", () => {
  const sh = { height: 3, width: 4, channels: 2 };
  const dd = 24;
  const train = randBatch(7, dd, 21);
  const x = randBatch(2, dd, 22, 1.2);
  const s = 0.6;
  const [p3] = localScoreAll(train, sh, x, s, [3]);
  const at = (img: Float64Array, a: number, b: number, ch: number) =>
    a < 0 || a >= sh.height || b < 0 || b >= sh.width ? 0 : img[(a * sh.width + b) * 2 + ch];
  for (let q = 0; q < x.n; q++) {
    const xq = x.data.subarray(q * dd, (q + 1) * dd);
    for (let i = 0; i < sh.height; i++) {
      for (let j = 0; j < sh.width; j++) {
        const ys = Array.from({ length: train.n }, (_, n) => train.data.subarray(n * dd, (n + 1) * dd));
        const logits = ys.map((y) => {
          let e = 0;
          for (let a = i - 1; a <= i + 1; a++) {
            for (let b = j - 1; b <= j + 1; b++) {
              for (const ch of [0, 1]) e += (at(xq, a, b, ch) - at(y, a, b, ch)) ** 2;
            }
          }
          return -e / (2 * s * s);
        });
        for (const ch of [0, 1]) {
          const k = (i * sh.width + j) * 2 + ch;
          const want = softmaxMean(logits, ys.map((y) => y[k]));
          assert.ok(Math.abs(p3.data[q * dd + k] - want) < 1e-12, `pixel (${i}, ${j}) channel ${ch}`);
        }
      }
    }
  }
});

Deno.test("ELS: the full patch set matches a brute-force posterior over every patch; σ = 0 returns a patch centre", async () => {
  const train = randBatch(3, d, 21);
  const x = randBatch(2, d, 22, 1.2);
  const set = equivariantPatchSet(train, shape, { maxPatches: 1000, seed: 1 });
  assert.equal(set.image.length, 3 * d);
  assert.equal(set.subsampled, false);
  const s = 0.6;
  const [p3] = equivariantLocalScoreAll(set, x, s, [3]);
  const ys = Array.from({ length: train.n }, (_, n) => train.data.subarray(n * d, (n + 1) * d));
  const patches: number[][] = [];
  const centres: number[] = [];
  for (const y of ys) {
    for (let i = 0; i < shape.height; i++) {
      for (let j = 0; j < shape.width; j++) {
        patches.push(patchOf(y, i, j, 3));
        centres.push(y[i * shape.width + j]);
      }
    }
  }
  for (let q = 0; q < x.n; q++) {
    const xq = x.data.subarray(q * d, (q + 1) * d);
    for (let i = 0; i < shape.height; i++) {
      for (let j = 0; j < shape.width; j++) {
        const xp = patchOf(xq, i, j, 3);
        const want = softmaxMean(patches.map((t) => -dist2(xp, t) / (2 * s * s)), centres);
        assert.ok(Math.abs(p3.data[q * d + i * shape.width + j] - want) < 1e-10, `pixel (${i}, ${j})`);
      }
    }
  }
  // σ = 0: the centre of the nearest patch; a training image is returned unchanged.
  const zero = await equivariantLocalScoreDenoiser(set, 3)(x, 0);
  for (let p = 0; p < d; p++) {
    const xp = patchOf(x.data.subarray(0, d), Math.floor(p / shape.width), p % shape.width, 3);
    const k = patches.map((t) => dist2(xp, t)).reduce((b, v, i, a) => (v < a[b] ? i : b), 0);
    assert.equal(zero.data[p], centres[k], `σ = 0 pixel ${p}`);
  }
  const y1 = batch(1, d, train.data.slice(d, 2 * d));
  assert.deepEqual((await equivariantLocalScoreDenoiser(set, 3)(y1, 0)).data, y1.data);
  // A subsample: the budget, deterministic per seed, and a different draw under another seed.
  const sub = equivariantPatchSet(train, shape, { maxPatches: 25, seed: 4 });
  assert.equal(sub.image.length, 25);
  assert.ok(sub.subsampled);
  assert.deepEqual(equivariantPatchSet(train, shape, { maxPatches: 25, seed: 4 }).pixel, sub.pixel);
  assert.notDeepEqual(equivariantPatchSet(train, shape, { maxPatches: 25, seed: 5 }).pixel, sub.pixel);
});

Deno.test("ELS: patch sides in any order share their ring products; the WebAssembly softmax agrees with the JavaScript passes", () => {
  const train = randBatch(6, d, 71);
  const x = randBatch(3, d, 72, 1.3);
  const set = equivariantPatchSet(train, shape, { maxPatches: 100, seed: 7 });
  for (const s of [0.05, 0.6, 5, Infinity]) {
    const simd = equivariantLocalScoreAll(set, x, s, [5, 1, 3, 5, 9]);
    const js = withoutWasmSimd(() => equivariantLocalScoreAll(set, x, s, [5, 1, 3, 5, 9]));
    assert.deepEqual(simd[0].data, simd[3].data, "a side asked twice");
    [5, 1, 3, 5, 9].forEach((P, k) => {
      // Each side alone (no rings shared) is the same denoiser.
      const alone = equivariantLocalScoreAll(set, x, s, [P])[0];
      assert.ok(
        maxAbsDiff(simd[k], alone) < 1e-12,
        `P = ${P}, σ = ${s}: alone ${maxAbsDiff(simd[k], alone)}`,
      );
      assert.ok(maxAbsDiff(simd[k], js[k]) < 1e-13, `P = ${P}, σ = ${s}: ${maxAbsDiff(simd[k], js[k])}`);
    });
  }
});

Deno.test("PCA-locality: τ = 0 is D_M; masks shrink as τ grows; σ = 0 copies a training pixel", async () => {
  const train = randBatch(25, d, 31);
  const x = randBatch(4, d, 32, 1.4);
  const model = fitGaussian(train);
  const DM = multiDeltaDenoiser(train);
  for (const s of [0.05, 0.5, 3]) {
    assert.ok(
      maxAbsDiff(await pcaLocalityDenoiser(train, model, 0)(x, s), await DM(x, s)) < 1e-10,
      `σ = ${s}`,
    );
  }
  const size = (tau: number) => localityMasks(model, 0.5, tau).reduce((t, m) => t + m.length, 0);
  assert.equal(size(0), d * d);
  assert.ok(size(0.5) < size(0.05) && size(0.05) <= size(0.005));
  for (const m of localityMasks(model, 0.5, 1)) assert.ok(m.length >= 1);
  // Brute force at τ = 0.3: pixel p's posterior over the masked distance.
  const tau = 0.3;
  const s = 0.5;
  const masks = localityMasks(model, s, tau);
  const out = await pcaLocalityDenoiser(train, model, tau)(x, s);
  for (let p = 0; p < d; p++) {
    const logits = Array.from(
      { length: train.n },
      (_, n) =>
        -[...masks[p]].reduce((t, j) => t + (x.data[j] - train.data[n * d + j]) ** 2, 0) / (2 * s * s),
    );
    const want = softmaxMean(logits, Array.from({ length: train.n }, (_, n) => train.data[n * d + p]));
    assert.ok(Math.abs(out.data[p] - want) < 1e-10, `pixel ${p}`);
  }
  const zero = await pcaLocalityDenoiser(train, model, tau)(x, 0);
  for (let p = 0; p < d; p++) {
    assert.ok([...Array(train.n).keys()].some((n) => train.data[n * d + p] === zero.data[p]));
  }
});

Deno.test("PCA-locality: the WebAssembly softmax kernel agrees with the JavaScript passes; its e^x is within 2 ulps of Math.exp", () => {
  const ws = float64Workspace();
  assert.notEqual(ws, null, "the float64 kernels instantiate");
  // e^x on [−708.39, 0] (and 0 below: no subnormal weights), against Math.exp.
  const r = new Rng(8);
  const xs = Float64Array.from({ length: 20001 }, (_, i) => (i < 20000 ? -708.39 * r.uniform() ** 3 : -0));
  const extra = [0, -1e-300, -0.3465735902799726, -0.34657359027997264, -708.39, -708.4, -745.2, -1e6];
  const [xv, ev] = ws!.views([xs.length + extra.length, xs.length + extra.length]);
  xv.set(xs);
  xv.set(extra, xs.length);
  ws!.expNonPositiveRows(ws!.offset(xv), ws!.offset(ev), xv.length);
  let worst = 0;
  for (let i = 0; i < xv.length; i++) {
    const want = Math.exp(xv[i]);
    if (xv[i] < -708.39) {
      assert.equal(ev[i], 0, `e^${xv[i]} is taken as 0`);
      continue;
    }
    const ulp = 2 ** (Math.floor(Math.log2(want)) - 52);
    worst = Math.max(worst, Math.abs(ev[i] - want) / ulp);
  }
  assert.ok(worst <= 2, `worst error ${worst} ulps`);
  // The same denoiser with the kernel and with the JavaScript passes (HG_WASM_SIMD=0), odd N for the tail.
  const train = randBatch(37, d, 41);
  const x = randBatch(5, d, 42, 1.3);
  const model = fitGaussian(train);
  for (const tau of [0, 0.05, 0.3]) {
    for (const s of [0.02, 0.5, 3, Infinity]) {
      const simd = pcaLocalityDenoiser(train, model, tau)(x, s) as Batch;
      const js = withoutWasmSimd(() => pcaLocalityDenoiser(train, model, tau)(x, s) as Batch);
      assert.ok(maxAbsDiff(simd, js) < 1e-13, `τ = ${tau}, σ = ${s}: ${maxAbsDiff(simd, js)}`);
    }
  }
});

Deno.test("PCA-locality: scores updated from the previous pixel's (masks that differ little) match a brute-force posterior, kernel and JavaScript passes", () => {
  // Smooth images (a random walk along the pixels): neighbouring Wiener rows, and so masks, overlap.
  const r = new Rng(81);
  const smooth = (n: number, scale: number) => {
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < d; j++) out[i * d + j] = scale * (v += r.uniform() - 0.5);
    }
    return batch(n, d, out);
  };
  const train = smooth(40, 1);
  const x = smooth(20, 1.2); // 20 queries: the gathered scores, pixel by pixel
  const model = fitGaussian(train);
  for (const tau of [0.02, 0.2]) {
    for (const s of [0.1, 0.8]) {
      const masks = localityMasks(model, s, tau);
      const changed = (p: number) =>
        masks[p].filter((j) => !masks[p - 1].includes(j)).length +
        masks[p - 1].filter((j) => !masks[p].includes(j)).length;
      assert.ok(
        masks.some((m, p) => p > 0 && changed(p) < m.length),
        `τ = ${tau}, σ = ${s}: some pixel updates`,
      );
      const simd = pcaLocalityDenoiser(train, model, tau)(x, s) as Batch;
      const js = withoutWasmSimd(() => pcaLocalityDenoiser(train, model, tau)(x, s) as Batch);
      for (let q = 0; q < x.n; q++) {
        for (let p = 0; p < d; p++) {
          const logits = Array.from(
            { length: train.n },
            (_, n) =>
              -[...masks[p]].reduce((t, j) => t + (x.data[q * d + j] - train.data[n * d + j]) ** 2, 0) /
              (2 * s * s),
          );
          const want = softmaxMean(logits, Array.from({ length: train.n }, (_, n) => train.data[n * d + p]));
          for (const [name, out] of [["kernel", simd], ["JavaScript", js]] as const) {
            const got = out.data[q * d + p];
            assert.ok(
              Math.abs(got - want) < 1e-10,
              `${name}, τ = ${tau}, σ = ${s}, query ${q}, pixel ${p}: ${got} vs ${want}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("PCA-locality: the masked-product scores (≤ 16 queries, large masks) equal the gathered ones", () => {
  const train = randBatch(37, d, 51);
  const model = fitGaussian(train);
  const many = randBatch(20, d, 52, 1.2); // 20 queries: gathered, pixel by pixel
  const few = batch(4, d, many.data.slice(0, 4 * d)); // 4 queries: one masked product per block of pixels
  for (const tau of [0, 0.05]) {
    assert.ok(localityMasks(model, 0.5, tau).reduce((t, m) => t + m.length, 0) >= 0.25 * d * d);
    for (const s of [0, 0.3, 2]) {
      const D = pcaLocalityDenoiser(train, model, tau);
      const a = D(few, s) as Batch;
      const b = D(many, s) as Batch;
      assert.ok(maxAbsDiff(a, batch(4, d, b.data.slice(0, 4 * d))) < 1e-12, `τ = ${tau}, σ = ${s}`);
    }
  }
});
