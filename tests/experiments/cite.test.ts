/** `deno task cite`: the line names the claim, the frozen file and its real sha256. */
import assert from "node:assert/strict";
import { citation } from "../../experiments/cite.ts";
import { latestVersion, resultPath } from "../../lib/results/frozen.ts";
import { sha256File } from "../../lib/results/io.ts";

Deno.test("cite C10 gives claim, version, file and sha256", async () => {
  const v = latestVersion();
  const line = await citation("c10", { profile: "ci" });
  const file = resultPath(`results/${v}`, "ci", "mnist", "C10");
  assert.match(line, /^C10 (holds|does not hold|partly holds) \(ci, mnist\)/);
  assert.ok(line.includes(file), line);
  assert.ok(line.includes(await sha256File(file)), line);
  assert.ok(line.includes(`version ${v}`), line);
  await assert.rejects(() => citation("C99"), /unknown claim 'C99'/);
});
