/** A valid result to start tests from, and helpers shared by tests/results. */

import type { Result } from "../../lib/results/schema.ts";

/**
 * sha256 of `{"dim":784,"n":1000,"sigmas":[80,0.002]}` — the canonical JSON of the fixture's config,
 * computed outside this code (`printf '%s' '{"dim":784,"n":1000,"sigmas":[80,0.002]}' | sha256sum`).
 */
export const FIXTURE_CONFIG_HASH = "6838754895a4f0141cc038ef824a847e7b771168447db8af061feaf4f2c76b79";

/** A fresh, valid result (deep copy each call). */
export function goodResult(): Result {
  return {
    schemaVersion: 1,
    id: "C10/ci/mnist",
    claim: "C10",
    title: "Theorem 1: the optimal linear denoiser is the Wiener filter",
    artifactVersion: "0.1.0",
    profile: "ci",
    dataset: "mnist",
    config: { sigmas: [80, 0.002], n: 1000, dim: 784 },
    configHash: FIXTURE_CONFIG_HASH,
    seeds: { data: 7, noise: [1, 2, 3] },
    provenance: {
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
      gitDirty: false,
      deno: "2.9.6",
      v8: "15.0.245.2-rusty",
      typescript: "6.0.3",
      tfjs: "4.22.0",
      backend: "none",
      blas: "none",
      os: "linux",
      arch: "x86_64",
    },
    metrics: {
      rmse: [0.01, 0.02, 0.03, 0.04],
      nmse: { "80": 0.1, "0.002": null },
      maxAbsDiff: 1.5e-12,
    },
    paper: { reported: "exact (Theorem 1, Appendix E)", values: { maxAbsDiff: 0 } },
    verdict: {
      holds: true,
      criterion: "max |W_learned − W_Wiener| < 1e-6 at every σ",
      summary: "max difference 1.5e-12",
    },
    notes: ["MNIST instead of FFHQ"],
    figures: [{ path: "c10_rmse.svg", kind: "svg", caption: "RMSE against σ" }],
    volatile: { createdAt: "2025-01-02T03:04:05.678Z", wallSeconds: 12.5, hostname: "box" },
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "hg-results-test-" });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}
