/**
 * Subprocess of the kill -9 tests: `deno run -A _child.ts <what> <args…>` writes (or exports, or trains)
 * in a loop and prints `ready` once the first round is done, so the parent can kill it at a random point.
 *
 * - `write <dir>`: result JSON + figure sets, round i tagged i in both (lib/results/io.ts writeFilesTogether);
 * - `export <entryDir> <root> <key>`: exportShipped of the same model over and over;
 * - `train <root>`: getTrainedModel of {@link TRAIN_SPEC} with a checkpoint every step.
 *
 * @module
 */
import { writeFilesTogether } from "../../lib/results/io.ts";
import { exportShipped } from "../../lib/training/shipped.ts";
import { getTrainedModel } from "../../lib/training/model.ts";
import { TRAIN_SPEC, trainData } from "./_spec.ts";
import { testBackend } from "../training/_backend.ts";

const [what, ...args] = Deno.args;
const ready = () => console.log("ready");
if (what === "write") {
  for (let i = 0;; i++) {
    await writeFilesTogether(args[0], [
      { name: "c1_fig.svg", data: `<svg>${i}</svg>` + " ".repeat(100_000) },
      { name: "c1.json", data: JSON.stringify({ round: i, pad: "x".repeat(300_000) }) },
    ]);
    if (i === 0) ready();
  }
} else if (what === "export") {
  for (let i = 0;; i++) {
    await exportShipped(args[0], args[1], args[2]);
    if (i === 0) ready();
  }
} else if (what === "train") {
  await testBackend();
  ready();
  await getTrainedModel(TRAIN_SPEC, trainData, { root: args[0], log: false, checkpointEvery: 1 });
  console.log("done");
}
