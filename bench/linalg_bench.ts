/**
 * Benchmarks of the exact float64 Gaussian machinery: symmetric eigendecomposition (LAPACK dsyevd
 * vs ml-matrix), covariance (dsyrk vs the blocked JavaScript kernel) and D_M over N = 60000
 * training rows (native vs JavaScript gemm). Inputs are seeded uniform [-1, 1] data; the
 * JavaScript D_M cases take ~10 s per call on a 2-core machine, so they run once.
 *
 * Run: `deno bench -A bench/linalg_bench.ts` (native cases are skipped when OpenBLAS is missing).
 *
 * @module
 */

import { loadBlas } from "../lib/linalg/blas.ts";
import { covariance } from "../lib/linalg/covariance.ts";
import { eigh } from "../lib/linalg/eigh.ts";
import { multiDeltaDenoiser } from "../lib/denoisers/multi_delta.ts";
import { Rng } from "../lib/rng.ts";
import { type Batch, batch } from "../lib/types.ts";

const native = loadBlas("auto").name === "openblas";

const _cache = new Map<string, Batch>();

/** Seeded n × d uniform [-1, 1] batch, built once per shape. */
function uniform(n: number, d: number, seed: number): Batch {
  const key = `${n}x${d}:${seed}`;
  let b = _cache.get(key);
  if (b === undefined) {
    const r = new Rng(seed);
    b = batch(n, d, Float64Array.from({ length: n * d }, () => 2 * r.uniform() - 1));
    _cache.set(key, b);
  }
  return b;
}

const _covs = new Map<number, Float64Array>();

/** A covariance matrix of order d (from 4000 seeded rows), built once. */
function cov(d: number): Float64Array {
  let c = _covs.get(d);
  if (c === undefined) {
    c = covariance(uniform(4000, d, d));
    _covs.set(d, c);
  }
  return c;
}

for (const d of [256, 784]) {
  Deno.bench({
    name: `eigh d=${d} LAPACK dsyevd`,
    group: `eigh d=${d}`,
    baseline: true,
    ignore: !native,
    n: 5,
    warmup: 1,
    fn: () => void eigh(cov(d), d, "lapack"),
  });
  Deno.bench({
    name: `eigh d=${d} ml-matrix`,
    group: `eigh d=${d}`,
    n: d > 500 ? 2 : 5,
    warmup: 1,
    fn: () => void eigh(cov(d), d, "ml-matrix"),
  });
}

for (const [n, d] of [[10000, 784], [60000, 256]]) {
  Deno.bench({
    name: `covariance N=${n} d=${d} native dsyrk`,
    group: `covariance N=${n} d=${d}`,
    baseline: true,
    ignore: !native,
    n: 5,
    warmup: 1,
    fn: () => void covariance(uniform(n, d, 1), undefined, { backend: "native" }),
  });
  Deno.bench({
    name: `covariance N=${n} d=${d} JS`,
    group: `covariance N=${n} d=${d}`,
    n: 1,
    warmup: 0,
    fn: () => void covariance(uniform(n, d, 1), undefined, { backend: "js" }),
  });
}

for (const sigma of [1, 80]) {
  Deno.bench({
    name: `D_M N=60000 d=256, 256 queries, σ=${sigma}, native`,
    group: `D_M σ=${sigma}`,
    baseline: true,
    ignore: !native,
    n: 3,
    warmup: 1,
    fn: async () => {
      loadBlas("auto");
      await multiDeltaDenoiser(uniform(60000, 256, 2))(uniform(256, 256, 3), sigma);
    },
  });
  Deno.bench({
    name: `D_M N=60000 d=256, 256 queries, σ=${sigma}, JS`,
    group: `D_M σ=${sigma}`,
    n: 1,
    warmup: 0,
    fn: async () => {
      loadBlas("off");
      try {
        await multiDeltaDenoiser(uniform(60000, 256, 2))(uniform(256, 256, 3), sigma);
      } finally {
        if (native) loadBlas("auto");
      }
    },
  });
}
