/**
 * GEMM, SYRK and eigh at d = 256 and 784 on each linear-algebra tier: scalar JavaScript, the WebAssembly
 * SIMD kernel (lib/linalg/gemm_simd.wat; its strict build, one thread, and its fma build) and native OpenBLAS/LAPACK when it loads. Tiers alternate within
 * each repeat so they see similar load; prints a markdown table of medians of process CPU time (one
 * thread, OpenBLAS included) and, for the wasm-simd pool, wall time with all its threads (ms and GFLOP/s)
 * on stdout, with the load average, and progress on stderr.
 *
 * Run: `deno task bench:tiers` (or `deno run -A bench/linalg_tiers.ts --repeat 5 --sizes 256,784`).
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { dsyrk, loadBlas, setBlasThreads } from "../lib/linalg/blas.ts";
import { eigh, type EighSolver } from "../lib/linalg/eigh.ts";
import { gemm, setPortableTier } from "../lib/linalg/gemm.ts";
import { setWasmKernel, setWasmThreads, wasmThreads } from "../lib/linalg/_wasm_gemm.ts";
import { Rng } from "../lib/rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    repeat: { type: "string", default: "5" },
    sizes: { type: "string", default: "256,784" },
    eigh: { type: "string", default: "ml-matrix,lapack" },
  },
});
const repeat = Number(values.repeat);
const sizes = String(values.sizes).split(",").map(Number);
const native = loadBlas("auto").name === "openblas";
// One OpenBLAS thread, timed in CPU time like the others: with two threads on a loaded machine its
// spinning workers make wall time meaningless (eigh d = 256 once took 67 s of wall time).
if (native) setBlasThreads(1);
const poolThreads = wasmThreads();
type Tier = "js" | "wasm-simd-strict" | "wasm-simd" | "wasm-simd-pool" | "openblas";
const tiers: Tier[] = [
  "js",
  "wasm-simd-strict",
  "wasm-simd",
  ...(poolThreads > 1 ? ["wasm-simd-pool" as const] : []),
  ...(native ? ["openblas" as const] : []),
];

function rand(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

function useTier(t: Tier): void {
  if (t === "openblas") loadBlas("auto");
  else {
    loadBlas("off");
    setPortableTier(t === "js" ? "js" : "wasm-simd");
    setWasmKernel(t === "wasm-simd-strict" ? "strict" : "fma");
    setWasmThreads(t === "wasm-simd-pool" ? poolThreads : 1);
  }
}

/** Milliseconds: wall time for the pool and OpenBLAS (several threads), else process CPU time. */
function time(fn: () => void, wall: boolean): number {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  fn();
  const u = process.cpuUsage(u0);
  return wall ? performance.now() - t0 : (u.user + u.system) / 1000;
}

/** The tier a case runs on (eigh's ml-matrix runs with the wasm-simd products, LAPACK with OpenBLAS). */
function _tierOf(t: string): Tier {
  return t === "lapack" ? "openblas" : t === "ml-matrix" ? "wasm-simd" : t as Tier;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows: string[] = [];
for (const d of sizes) {
  const a = rand(d * d, 1);
  const b = rand(d * d, 2);
  const c = new Float64Array(d * d);
  const spd = new Float64Array(d * d);
  useTier(native ? "openblas" : "wasm-simd");
  dsyrk(d, d, a, spd, { alpha: 1 / d });
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) spd[i * d + j] = spd[j * d + i];
  const cases: { op: string; tier: string; flops: number; fn: () => void; reps: number }[] = [];
  for (const t of tiers) {
    cases.push({ op: "gemm", tier: t, flops: 2 * d ** 3, reps: repeat, fn: () => gemm(d, d, d, a, b, c) });
    cases.push({
      op: "syrk",
      tier: t,
      flops: d ** 3,
      reps: repeat,
      fn: () => dsyrk(d, d, a, c, { trans: true }),
    });
  }
  const solvers: EighSolver[] = String(values.eigh).split(",").filter((s) =>
    s === "ml-matrix" || (s === "lapack" && native)
  ) as EighSolver[];
  for (const s of solvers) {
    cases.push({
      op: "eigh",
      tier: s,
      flops: NaN,
      reps: d > 500 && s !== "lapack" ? Math.min(repeat, 3) : repeat,
      fn: () => eigh(spd, d, s),
    });
  }
  const times = new Map<string, number[]>();
  for (const cs of cases) {
    useTier(_tierOf(cs.tier));
    cs.fn(); // warm-up (compilation, memory growth)
  }
  for (let r = 0; r < repeat; r++) {
    for (const cs of cases) {
      if (r >= cs.reps) continue;
      const key = `${cs.op}|${cs.tier}`;
      useTier(_tierOf(cs.tier));
      const ms = time(cs.fn, cs.tier === "wasm-simd-pool");
      times.set(key, [...(times.get(key) ?? []), ms]);
      console.error(`d=${d} ${key} ${ms.toFixed(1)} ms`);
    }
  }
  for (const cs of cases) {
    const m = median(times.get(`${cs.op}|${cs.tier}`)!);
    const base = median(times.get(`${cs.op}|${cs.op === "eigh" ? "ml-matrix" : "js"}`)!);
    const gf = Number.isNaN(cs.flops) ? "" : (cs.flops / m / 1e6).toFixed(2);
    const tier = cs.tier === "wasm-simd-pool"
      ? `wasm-simd fma, ${poolThreads} threads (wall)`
      : cs.tier === "wasm-simd"
      ? "wasm-simd fma"
      : cs.tier;
    rows.push(`| ${cs.op} | ${d} | ${tier} | ${m.toFixed(1)} | ${gf} | ${(base / m).toFixed(1)}× |`);
  }
}
useTier(native ? "openblas" : "wasm-simd");
console.log(
  `load average ${
    Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
  }; ${repeat} repeats; median ms of CPU time ` +
    "(one thread) unless marked wall",
);
console.log("| op | d | tier | ms | GFLOP/s | speed-up vs js / ml-matrix |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
