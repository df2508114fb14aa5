/**
 * `deno task freeze [--version vN] [--from results/latest]`: freeze the latest results into a new,
 * never-overwritten version `results/vN/` with a sha256 manifest (default: the next free version).
 *
 * `deno task freeze --retire vN --reason "…"`: retire a frozen version from the working tree. Its files
 * leave unchanged into git history (the commit checked out now, which must hold them as frozen); the
 * folder keeps its manifest and a RETIRED.json naming that commit and the reason. Commit the removal.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { freezeVersion, listVersions, retireVersion } from "../lib/results/frozen.ts";
import { ARTIFACT_VERSION, gitHead } from "../lib/results/provenance.ts";
import { log } from "../lib/progress.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      version: { type: "string" },
      from: { type: "string", default: "results/latest" },
      retire: { type: "string" },
      reason: { type: "string" },
    },
  });
  if (values.retire !== undefined) {
    try {
      const r = await retireVersion("results", values.retire, {
        commit: await gitHead(), // "unknown" is refused by retireVersion (not 40 hex digits)
        reason: values.reason ?? "",
        retiredIn: ARTIFACT_VERSION,
      });
      log(`freeze: retired results/${r.version}; its files are in commit ${r.commit} (commit the removal)`);
    } catch (e) {
      console.error(`freeze: ${(e as Error).message}`);
      Deno.exit(1);
    }
    Deno.exit(0);
  }
  const next = `v${(listVersions().map((v) => Number(v.slice(1))).at(-1) ?? 0) + 1}`;
  const version = values.version ?? next;
  let m;
  try {
    m = await freezeVersion(values.from!, version, { artifactVersion: ARTIFACT_VERSION });
  } catch (e) {
    console.error(`freeze: ${(e as Error).message.replace(/^freeze: /, "")}`);
    Deno.exit(1);
  }
  log(`freeze: wrote results/${version} (${m.files.length} files)`);
}
