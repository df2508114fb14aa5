/**
 * `deno task freeze [--version vN] [--from results/latest]`: freeze the latest results into a new,
 * never-overwritten version `results/vN/` with a sha256 manifest (default: the next free version).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { freezeVersion, listVersions } from "../lib/results/frozen.ts";
import { ARTIFACT_VERSION } from "../lib/results/provenance.ts";
import { log } from "../lib/progress.ts";

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { version: { type: "string" }, from: { type: "string", default: "results/latest" } },
  });
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
