/**
 * PAPER.md's closing section on work that goes beyond the paper (claims marked `beyond` in
 * experiments/claims.ts, today C11): what each asks, the command, its frozen results with their summary,
 * table, notes and figures — and no verdict, since no claim of the paper is judged there. Self-contained so
 * that experiments/paper.ts only calls it after the paper's claims.
 *
 * @module
 */
import { join } from "node:path";
import type { Result } from "../lib/results/schema.ts";
import { CLAIMS } from "./claims.ts";

/**
 * The "Beyond the paper" section: one subsection per `beyond` claim, one block per frozen result of it
 * (`results`, with their `files` and the manifest's `hash` of each file, from the version at `root/version`).
 */
export function beyondPaperSection(
  results: readonly Result[],
  files: readonly string[],
  hash: (file: string) => string,
  root: string,
  version: string,
): string[] {
  const out: string[] = [
    "## Beyond the paper",
    "",
    "The experiments below go beyond the paper: they judge none of its claims, and their results carry no",
    "verdict. They use the same zoo of trained denoisers, probes and noise as C1–C9.",
    "",
  ];
  for (const c of CLAIMS.filter((c) => c.beyond)) {
    const rs = results.filter((r) => r.claim === c.id);
    out.push(`### ${c.id} (beyond the paper) — ${rs[0]?.title ?? "no frozen result yet"}`, "");
    out.push(`**The question.** ${c.statement} Published: ${c.reported}.`, "");
    if (rs.length === 0) {
      out.push(
        `_No frozen result in this version; \`deno task ${c.task} --profile ci\` writes one under results/latest/._`,
        "",
      );
      continue;
    }
    for (const r of rs) {
      const f = files[results.indexOf(r)];
      out.push(`#### ${r.profile} profile, ${r.dataset}`, "");
      out.push(
        `- Command: \`deno task ${c.task} --profile ${r.profile} --dataset ${r.dataset}\``,
        `- Result: \`${f}\` (sha256 \`${hash(f)}\`), config hash \`${r.configHash.slice(0, 12)}\``,
        `- Summary: ${r.verdict.summary}`,
        "",
      );
      if (c.table) out.push(c.table(r), "");
      for (const n of r.notes) out.push(`> ${n}`, ">");
      if (r.notes.length) out.pop();
      out.push("");
      for (const fig of r.figures) {
        out.push(
          `![${fig.caption}](${join(root, version, r.profile, r.dataset, fig.path)})`,
          "",
          `*${fig.caption}*`,
          "",
        );
      }
    }
  }
  return out;
}
