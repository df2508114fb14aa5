/**
 * `deno task models [--profile P] [--dataset D] [--retrain]`: make the shipped denoisers of a profile.
 * Trains (or finds in the model cache) every zoo model the profile's claims use ({@link zooPlan}), and
 * writes its shipped form — EMA weights, plus the snapshots C8 reads — to `models/<key>/`
 * (lib/training/shipped.ts), then records it in `models/INDEX.json` with its size. `reproduce` then
 * loads these and trains nothing.
 *
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { startExperiment } from "./_harness.ts";
import { zooKey, zooModel, zooPlan, zooSpec } from "./zoo.ts";
import {
  defaultShippedRoot,
  exportShipped,
  readShippedIndex,
  type ShippedIndexEntry,
  shippedIndexPath,
} from "../lib/training/shipped.ts";
import { weightsSha256 } from "../lib/training/integrity.ts";
import { sweepStale } from "../lib/sweep.ts";
import { snapshotDir } from "../lib/training/model.ts";
import { writeFileAtomic } from "../lib/results/io.ts";
import { log } from "../lib/progress.ts";

export { readShippedIndex, type ShippedIndexEntry, shippedIndexPath };

/** Make and ship every model of the profile; returns the index entries written. */
export async function runModels(args: string[]): Promise<ShippedIndexEntry[]> {
  const ctx = await startExperiment("models", args, { network: true });
  const root = defaultShippedRoot();
  await sweepStale(root);
  const plan = zooPlan(ctx.profile);
  log(`models: ${plan.length} models for profile ${ctx.profile.name}, dataset ${ctx.dataset} → ${root}`);
  const entries: ShippedIndexEntry[] = [];
  for (const [i, p] of plan.entries()) {
    log(
      `models: ${i + 1}/${plan.length}: N = ${p.req.n} from ${p.req.start ?? 0}, C = ${p.req.baseChannels}`,
    );
    const model = await zooModel(ctx, p.req, { shipped: false });
    const key = zooKey(zooSpec(ctx.profile, ctx.dataset, p.req, { dataDir: ctx.opts.dataDir }));
    const snaps = p.snapshots ? model.snapshots : [];
    const rel = snaps.map((s) => snapshotDir("", s).slice(1));
    const bytes = await exportShipped(model.dir, root, key, rel);
    entries.push({
      key,
      profile: ctx.profile.name,
      dataset: ctx.dataset,
      n: p.req.n,
      start: p.req.start ?? 0,
      baseChannels: p.req.baseChannels!,
      steps: p.req.steps!,
      snapshots: snaps,
      claims: p.claims,
      bytes,
      sha256: await weightsSha256(`${root}/${key}`),
    });
  }
  const keep = (await readShippedIndex(root) ?? []).filter((e) => !entries.some((x) => x.key === e.key));
  const all = [...keep, ...entries].sort((a, b) =>
    `${a.profile}/${a.dataset}/${a.key}`.localeCompare(`${b.profile}/${b.dataset}/${b.key}`)
  );
  await writeFileAtomic(shippedIndexPath(root), JSON.stringify(all, null, 1) + "\n");
  const total = entries.reduce((s, e) => s + e.bytes, 0);
  log(`models: shipped ${entries.length} models, ${(total / 1e6).toFixed(2)} MB of weights`);
  return entries;
}

if (import.meta.main) await runMain("models", () => runModels(Deno.args));
