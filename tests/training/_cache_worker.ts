/**
 * Subprocess for the cache concurrency test: `deno run -A _cache_worker.ts <root> <log> <ms>` asks
 * the cache for one fixed spec; its train function appends `train <pid>` to <log> and takes <ms> ms.
 * Prints the entry as JSON on stdout.
 *
 * @module
 */
import { getOrTrain } from "../../lib/training/cache.ts";

const [root, log, ms] = Deno.args;
const entry = await getOrTrain({ test: "concurrent", n: 1 }, async (dir) => {
  await Deno.writeTextFile(log, `train ${Deno.pid}\n`, { append: true });
  await new Promise((r) => setTimeout(r, Number(ms)));
  await Deno.writeTextFile(`${dir}/weights.txt`, `by ${Deno.pid}`);
}, { root, pollMs: 50 });
console.log(JSON.stringify(entry));
