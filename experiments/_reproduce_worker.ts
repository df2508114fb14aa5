/**
 * A worker of `reproduce --jobs J` (experiments/reproduce.ts): runs the jobs it is sent one after another,
 * each job's claims in order with the job's arguments (e.g. one training seed's `--seed-index k`), and
 * writes their results as the claims' own tasks do. What the claims memoise per process (data, references,
 * D_L fits) stays for the worker's later jobs. Single-threaded
 * float64 linear algebra (the jobs share the cores; OpenBLAS reads OPENBLAS_NUM_THREADS set by the parent), and
 * no BLAS notice (the parent printed it once).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { getClaim } from "./claims.ts";
import { setWasmThreads } from "../lib/linalg/_wasm_gemm.ts";
import { quietBlasNotices } from "../lib/linalg/blas.ts";

/** What the parent sends: claim ids and their arguments. */
export interface ReproduceJob {
  /** Claim ids, run in this order. */
  claims: string[];
  /** Command-line arguments of every claim of the job. */
  args: string[];
}

self.onmessage = async (e: MessageEvent<ReproduceJob>) => {
  try {
    setWasmThreads(1);
    quietBlasNotices(); // the parent printed them once for the run
    for (const id of e.data.claims) await getClaim(id).run(e.data.args);
    self.postMessage({ ok: true });
  } catch (err) {
    self.postMessage({ ok: false, message: (err as Error).message });
  }
};
