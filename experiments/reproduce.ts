/**
 * `deno task reproduce [--profile P] [--dataset D] [claim …]`: run every claim (or the ones named) in
 * sequence, writing each result under `results/latest/<profile>/<dataset>/`, then print the verdict
 * table (claim, the paper's value, ours, holds or not) on stdout. Progress goes to stderr.
 *
 * @module
 */
import { parseCommon } from "../lib/cli.ts";
import { formatSeconds, log } from "../lib/progress.ts";
import type { Result } from "../lib/results/schema.ts";
import { CLAIMS, getClaim } from "./claims.ts";
import { verdictCell } from "../lib/results/verdict.ts";

/** Markdown verdict table of results. */
export function verdictTable(results: Result[]): string {
  const lines = [
    "| claim | profile | dataset | paper | ours | holds |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const holds = verdictCell(r.verdict.holds);
    const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
    lines.push(
      `| ${r.claim} | ${r.profile} | ${r.dataset} | ${cell(r.paper.reported)} | ${
        cell(r.verdict.summary)
      } | ${holds} |`,
    );
  }
  return lines.join("\n");
}

/** Run the claims named in `args` (all when none) and return their results. */
export async function reproduce(args: string[]): Promise<Result[]> {
  const opts = parseCommon(args);
  const claims = opts.positionals.length ? opts.positionals.map(getClaim) : CLAIMS;
  const results: Result[] = [];
  const t0 = performance.now();
  const times: string[] = [];
  for (const [i, c] of claims.entries()) {
    log(`reproduce: [${i + 1}/${claims.length}] ${c.id} (deno task ${c.task})`);
    const t1 = performance.now();
    // A claim's run ignores positionals (parseCommon allows them), so the claim ids can stay in `args`.
    results.push(await c.run(args));
    times.push(`${c.id} ${formatSeconds((performance.now() - t1) / 1000)}`);
  }
  log(
    `reproduce: ${claims.length} claim(s) in ${formatSeconds((performance.now() - t0) / 1000)} (${
      times.join(", ")
    })`,
  );
  return results;
}

if (import.meta.main) {
  const results = await reproduce(Deno.args);
  console.log(verdictTable(results));
}
