/**
 * `deno task verify [claim …] [--profile ci] [--dataset mnist] [--version vN]`: recompute claims and
 * compare each with its frozen result, printing a side-by-side table (field, frozen, now, difference,
 * tolerance, ok) on stdout. Exits 1 when any field is out of tolerance, naming it; 2 when a frozen result
 * is missing. The policy is experiments/tolerances.ts'.
 *
 * @module
 */
import { parseCommon } from "../lib/cli.ts";
import { compareResults, formatComparison } from "../lib/results/compare.ts";
import {
  frozenResultPath,
  latestVersion,
  MissingFrozenResultError,
  verifyManifest,
} from "../lib/results/frozen.ts";
import { readResult } from "../lib/results/io.ts";
import { log } from "../lib/progress.ts";
import { CLAIMS, getClaim } from "./claims.ts";
import { tolerancePolicy } from "./tolerances.ts";

/** Outcome of verifying one claim. */
export interface Verification {
  /** Claim id. */
  claim: string;
  /** The frozen file compared against. */
  frozen: string;
  /** Fields out of tolerance. */
  failures: string[];
  /** The printed table. */
  table: string;
}

/** Recompute and compare; `args` as on the command line (plus `--version`); `root` holds the versions. */
export async function verify(args: string[], opts0: { root?: string } = {}): Promise<Verification[]> {
  const root = opts0.root ?? "results";
  const vi = args.findIndex((a) => a === "--version" || a.startsWith("--version="));
  const inline = vi >= 0 && args[vi].startsWith("--version=");
  const value = vi < 0 ? undefined : inline ? args[vi].slice("--version=".length) : args[vi + 1];
  if (vi >= 0 && (value === undefined || value === "" || value.startsWith("-"))) {
    throw new Error("--version needs a value, e.g. --version v2");
  }
  const version = value ?? latestVersion(root);
  const rest = vi >= 0 ? [...args.slice(0, vi), ...args.slice(vi + (inline ? 1 : 2))] : args;
  const opts = parseCommon(rest, { profile: "ci" });
  const manifest = await verifyManifest(root, version);
  const named = opts.positionals.length > 0;
  // Unnamed, a claim beyond the paper (C11) is verified only once a version has frozen it.
  const claims = named ? opts.positionals.map(getClaim) : CLAIMS.filter((c) =>
    !c.beyond ||
    _listed(() => frozenResultPath(root, manifest, opts.profile, opts.dataset.toLowerCase(), c.id))
  );
  // Every frozen result is looked up before any recomputation: a missing one fails at once.
  const frozenPaths = claims.map((c) =>
    frozenResultPath(root, manifest, opts.profile, opts.dataset.toLowerCase(), c.id)
  );
  const out: Verification[] = [];
  await Deno.mkdir(".cache", { recursive: true });
  const scratch = await Deno.makeTempDir({ dir: ".cache", prefix: "verify-" });
  try {
    for (const [i, c] of claims.entries()) {
      const frozenPath = frozenPaths[i];
      const frozen = await readResult(frozenPath);
      log(`verify: recomputing ${c.id} (${opts.profile}, ${opts.dataset}) against ${frozenPath}`);
      const now = await c.run([...rest, "--profile", opts.profile, "--out", scratch]);
      const rows = compareResults(frozen, now, tolerancePolicy(c.id));
      out.push({
        claim: c.id,
        frozen: frozenPath,
        failures: rows.filter((r) => !r.ok).map((r) => r.path),
        table: formatComparison(rows, { only: "all" }),
      });
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  return out;
}

function _listed(lookup: () => string): boolean {
  try {
    lookup();
    return true;
  } catch (e) {
    if (e instanceof MissingFrozenResultError) return false;
    throw e;
  }
}

if (import.meta.main) {
  let results: Verification[];
  try {
    results = await verify(Deno.args);
  } catch (e) {
    console.error(`verify: ${(e as Error).message}`);
    Deno.exit(e instanceof MissingFrozenResultError ? 2 : 1);
  }
  for (const r of results) console.log(`## ${r.claim} against ${r.frozen}\n\n${r.table}\n`);
  const bad = results.filter((r) => r.failures.length);
  for (const r of bad) console.error(`verify: ${r.claim}: out of tolerance: ${r.failures.join(", ")}`);
  console.error(
    `verify: ${results.length - bad.length} of ${results.length} claim(s) match their frozen results`,
  );
  if (bad.length) Deno.exit(1);
}
