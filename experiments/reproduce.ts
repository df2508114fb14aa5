/**
 * `deno task reproduce [--profile P] [--dataset D] [--jobs J] [claim …]`: run every claim (or the ones
 * named), writing each result under `results/latest/<profile>/<dataset>/`, then print the verdict table
 * (claim, the paper's value, ours, holds or not) on stdout. Progress goes to stderr. `--jobs J` (default: one
 * per core) runs the training seeds and the unseeded claims on J workers; the results are equal within the tolerance policy (the BLAS thread count
 * changes float64 summation order: relative differences ~1e-8).
 *
 * @module
 */
import { type CommonOptions, parseCommon } from "../lib/cli.ts";
import { formatSeconds, log } from "../lib/progress.ts";
import type { Result } from "../lib/results/schema.ts";
import { type Claim, CLAIMS, getClaim } from "./claims.ts";
import { join } from "node:path";
import { readResult } from "../lib/results/io.ts";
import { getProfile } from "./profiles.ts";
import { seedFolder, writeCombined } from "./_harness.ts";
import type { ReproduceJob } from "./_reproduce_worker.ts";
import { verdictCell } from "../lib/results/verdict.ts";
import { loadBlas, setBlasThreads } from "../lib/linalg/blas.ts";

/**
 * The verdicts on one screen: a line per claim — the claim in a few words, the paper's number, ours and
 * the verdict — under a line naming the run; each claim's full summary and criterion are in its result file.
 */
export function verdictTable(results: Result[]): string {
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const runs = [...new Set(results.map((r) => `${r.profile}/${r.dataset}`))];
  const lines = [
    `Verdicts (${runs.join(", ")}; details in each claim's result file):`,
    "",
    "| claim | the paper | ours | verdict |",
    "| --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const c = getClaim(r.claim);
    lines.push(
      `| ${r.claim} ${cell(c.short)} | ${cell(c.paperNumber)} | ${cell(c.ours(r))} | ${
        verdictCell(r.verdict.holds)
      } |`,
    );
  }
  return lines.join("\n");
}

/** Run the claims named in `args` (all when none) and return their results. */
export async function reproduce(args: string[]): Promise<Result[]> {
  const { jobs, rest } = parseJobs(args);
  const opts = parseCommon(rest);
  const claims = opts.positionals.length ? opts.positionals.map(getClaim) : CLAIMS;
  const t0 = performance.now();
  const results = jobs > 1 ? await _parallel(claims, rest, opts, jobs) : await _sequential(claims, rest);
  log(`reproduce: ${claims.length} claim(s) in ${formatSeconds((performance.now() - t0) / 1000)}`);
  return results;
}

/**
 * `--jobs J` (default: one per core; 1 runs one claim after another in this process) and the other
 * arguments.
 */
export function parseJobs(args: string[]): { jobs: number; rest: string[] } {
  const rest: string[] = [];
  let jobs = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const v = a === "--jobs" ? args[++k] : a.startsWith("--jobs=") ? a.slice(7) : undefined;
    if (v === undefined) {
      rest.push(a);
      continue;
    }
    jobs = Number(v);
    if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs ${v}: expected an integer ≥ 1`);
  }
  return { jobs, rest };
}

async function _sequential(claims: readonly Claim[], args: string[]): Promise<Result[]> {
  const results: Result[] = [];
  const times: string[] = [];
  for (const [i, c] of claims.entries()) {
    log(`reproduce: [${i + 1}/${claims.length}] ${c.id} (deno task ${c.task})`);
    const t1 = performance.now();
    // A claim's run ignores positionals (parseCommon allows them), so the claim ids can stay in `args`.
    results.push(await c.run(args));
    times.push(`${c.id} ${formatSeconds((performance.now() - t1) / 1000)}`);
  }
  log(`reproduce: per claim ${times.join(", ")}`);
  return results;
}

/**
 * The same results from `jobs` workers (experiments/_reproduce_worker.ts): one job per unseeded claim and
 * per group of seeded claims and training seed ({@link planJobs}), taken in turn by the workers; then each
 * seeded claim's seeds are combined as `runSeeded` does.
 */
async function _parallel(
  claims: readonly Claim[],
  args: string[],
  opts: CommonOptions,
  jobs: number,
): Promise<Result[]> {
  const profile = getProfile(opts.profile);
  const seeds = opts.seedIndex === undefined ? profile.zoo.seeds : [profile.zoo.seeds[opts.seedIndex]];
  const seeded = claims.filter((c) => c.seeded && seeds.length > 1);
  const ids = (f: (c: Claim) => boolean) => claims.filter(f).map((c) => c.id);
  const queue = planJobs(ids((c) => !c.seeded), ids((c) => c.seeded === true), seeds.length, args);
  // One BLAS thread per job (read by OpenBLAS when a worker first loads it; oneDNN follows it).
  const threadsBefore = Deno.env.get("OPENBLAS_NUM_THREADS");
  Deno.env.set("OPENBLAS_NUM_THREADS", "1");
  // The native-library notice once for the run, here, with the workers' choice of library (they stay
  // quiet). The library is one per process: if it was loaded before with more threads, use one for now.
  const blas = loadBlas(opts.blas, opts.blasPath);
  if (blas.threads !== undefined && blas.threads > 1) setBlasThreads(1);
  const startedAt = Date.now();
  const n = Math.min(jobs, queue.length);
  log(`reproduce: ${queue.length} job(s) on ${n} worker(s)`);
  const worker = async (w: number) => {
    const runner = _jobWorker();
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const t1 = performance.now();
        const what = `${job.claims.join(", ")}${
          job.args.includes("--seed-index") ? ` (seed index ${job.args.at(-1)})` : ""
        }`;
        log(`reproduce: worker ${w + 1}: ${what}`);
        await runner.run(job);
        log(`reproduce: worker ${w + 1}: ${what} done in ${formatSeconds((performance.now() - t1) / 1000)}`);
      }
    } finally {
      runner.close();
    }
  };
  try {
    await Promise.all(Array.from({ length: n }, (_, w) => worker(w)));
  } finally {
    if (blas.threads !== undefined && blas.threads > 1) setBlasThreads(blas.threads);
    if (threadsBefore === undefined) Deno.env.delete("OPENBLAS_NUM_THREADS");
    else Deno.env.set("OPENBLAS_NUM_THREADS", threadsBefore);
  }
  const results: Result[] = [];
  for (const c of claims) {
    const at = (k?: number) =>
      join(
        opts.out,
        profile.name,
        opts.dataset,
        ...(k === undefined ? [] : [seedFolder(k)]),
        `${c.id.toLowerCase()}.json`,
      );
    results.push(
      seeded.includes(c)
        ? await writeCombined(
          await Promise.all(seeds.map((_, k) => readResult(at(k)))),
          seeds,
          startedAt,
          opts.out,
        )
        : await readResult(at(opts.seedIndex)),
    );
  }
  return results;
}

/**
 * The seeded claims of one training seed in jobs that share no work across them: C3 and C5 reuse C2's
 * held-out D_L fits of the same models (experiments/distill.ts memoises fits per worker), so the three run
 * in one job; the others fit nothing in common and are split so that the last jobs are short (full profile,
 * 2-core machine, per seed: about 2¼, 1 and 1 minutes without native libraries, 1½, ½ and ½ with them),
 * which lets the workers finish together. A seeded claim in no group runs alone.
 */
export const SEED_JOB_GROUPS: readonly (readonly string[])[] = [
  ["C2", "C3", "C5"],
  ["C1", "C4"],
  ["C6", "C7", "C8", "C9"],
];

/**
 * The jobs of a parallel run, longest first so that the workers end together: each unseeded claim alone
 * (in reverse claim order: C11 and C10 are the longest), then each {@link SEED_JOB_GROUPS} group's claims
 * that are asked for, one job per training seed (`--seed-index k`; no index when there is one seed), then
 * any other seeded claim the same way.
 */
export function planJobs(
  unseeded: readonly string[],
  seeded: readonly string[],
  seedCount: number,
  args: readonly string[],
): ReproduceJob[] {
  const groups = [
    ...SEED_JOB_GROUPS.map((g) => g.filter((c) => seeded.includes(c))),
    ...seeded.filter((c) => !SEED_JOB_GROUPS.some((g) => g.includes(c))).map((c) => [c]),
  ].filter((g) => g.length > 0);
  const perSeed = (k: number) => seedCount > 1 ? [...args, "--seed-index", String(k)] : [...args];
  return [
    ...[...unseeded].reverse().map((c) => ({ claims: [c], args: [...args] })),
    ...groups.flatMap((g) =>
      Array.from({ length: seedCount }, (_, k) => ({ claims: [...g], args: perSeed(k) }))
    ),
  ];
}

/**
 * A worker that runs jobs one after another (experiments/_reproduce_worker.ts): one per slot, so the jobs of a
 * slot share what the claims memoise per process (datasets, references, D_M's fits, which do not depend on
 * the training seed) and start without loading the modules again. A job rejects with the worker's error.
 */
function _jobWorker(): { run(job: ReproduceJob): Promise<void>; close(): void } {
  const w = new Worker(new URL("./_reproduce_worker.ts", import.meta.url).href, { type: "module" });
  let pending: { resolve(): void; reject(e: Error): void } | null = null;
  let broken: Error | null = null; // an uncaught error ends the worker: later jobs fail at once, not hang
  w.onmessage = (e: MessageEvent<{ ok: boolean; message?: string }>) => {
    const p = pending;
    pending = null;
    if (e.data.ok) p?.resolve();
    else p?.reject(new Error(e.data.message));
  };
  w.onerror = (e) => {
    e.preventDefault();
    broken = new Error(`worker: ${e.message}`);
    const p = pending;
    pending = null;
    p?.reject(broken);
  };
  return {
    run: (job) =>
      new Promise<void>((resolve, reject) => {
        if (broken) return reject(broken);
        pending = { resolve, reject };
        w.postMessage(job);
      }),
    close: () => w.terminate(),
  };
}

if (import.meta.main) {
  const results = await reproduce(Deno.args);
  console.log(verdictTable(results));
}
