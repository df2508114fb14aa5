/**
 * `deno task cite <claim> [--version vN] [--profile full] [--dataset mnist]`: print one line to cite a
 * frozen result — claim, verdict and its numbers, artifact version, file and its sha256.
 *
 * @module
 */
import { verdictPhrase } from "../lib/results/verdict.ts";
import { parseArgs } from "node:util";
import { runMain } from "../lib/cli.ts";
import { frozenResultPath, latestVersion, verifyManifest } from "../lib/results/frozen.ts";
import { readResult, sha256File } from "../lib/results/io.ts";
import { getClaim } from "./claims.ts";

/** The citation line for a claim's frozen result. */
export async function citation(
  claimId: string,
  opts: { root?: string; version?: string; profile?: string; dataset?: string } = {},
): Promise<string> {
  const root = opts.root ?? "results";
  const claim = getClaim(claimId);
  const version = opts.version ?? latestVersion(root);
  const manifest = await verifyManifest(root, version);
  const path = frozenResultPath(root, manifest, opts.profile ?? "full", opts.dataset ?? "mnist", claim.id);
  const r = await readResult(path);
  const holds = verdictPhrase(r.verdict.holds);
  return `${r.claim} ${holds} (${r.profile}, ${r.dataset}): ${r.verdict.summary} — hidden-gaussian ` +
    `${r.artifactVersion}, ${path}, version ${version}, sha256 ${await sha256File(path)}`;
}

if (import.meta.main) {
  await runMain("cite", async () => {
    const { values, positionals } = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: { version: { type: "string" }, profile: { type: "string" }, dataset: { type: "string" } },
    });
    if (positionals.length === 0) {
      throw new Error("usage: deno task cite <claim> [--version vN] [--profile P]");
    }
    for (const id of positionals) console.log(await citation(id, { ...values }));
  });
}
