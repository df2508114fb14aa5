/**
 * Wall time of C10 (Theorem 1) under a chosen linear-algebra tier and least-squares estimator, for the
 * before/after figures of bench/README.md. Runs experiments/c10_theorem1.ts in-process after setting
 * the portable tier (lib/linalg/gemm.ts `setPortableTier`) and the profile's `lsEstimator`; every other
 * argument goes to C10 (e.g. `--profile ci --blas off --out /tmp/c10`). Prints one line on stdout.
 *
 * Run: `deno run -A bench/c10_wall.ts --tier wasm-simd --ls-estimator wishart --profile ci --blas off --out /tmp/c10`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { setPortableTier } from "../lib/linalg/gemm.ts";
import { getProfile } from "../experiments/profiles.ts";
import { runC10 } from "../experiments/c10_theorem1.ts";

const { values, tokens } = parseArgs({
  args: Deno.args,
  options: {
    tier: { type: "string", default: "wasm-simd" },
    "ls-estimator": { type: "string" },
    profile: { type: "string", default: "ci" },
  },
  strict: false,
  tokens: true,
});
const tier = values.tier as "wasm-simd" | "js";
const estimator = values["ls-estimator"] as "sampled" | "wishart" | undefined;
if (estimator !== undefined && estimator !== "sampled" && estimator !== "wishart") {
  throw new Error(`bench/c10_wall.ts: --ls-estimator must be "sampled" or "wishart", got "${estimator}"`);
}
setPortableTier(tier);
const profile = String(values.profile);
// Without --ls-estimator the profile's own setting stays (so the config, and its hash, are the profile's).
if (estimator !== undefined) getProfile(profile).c10.lsEstimator = estimator;
// Forward everything except this script's own options.
const own = new Set(["tier", "ls-estimator"]);
const rest: string[] = [];
for (const t of tokens ?? []) {
  if (t.kind === "option" && !own.has(t.name)) {
    rest.push(t.rawName, ...(t.value === undefined ? [] : [t.value]));
  }
  if (t.kind === "positional") rest.push(t.value);
}
const t0 = performance.now();
const result = await runC10(rest);
const s = (performance.now() - t0) / 1000;
console.log(
  `C10 ${profile} tier=${tier} lsEstimator=${getProfile(profile).c10.lsEstimator ?? "sampled"}: ${
    s.toFixed(1)
  } s; verdict ${result.verdict.holds}; ` +
    `lsRmse@Kmax ${
      JSON.stringify((result.metrics.lsRmse as number[][]).map((r) => +r.at(-1)!.toPrecision(3)))
    }`,
);
