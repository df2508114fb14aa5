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

/** One shard of a job array: index `i` of `n`. */
export interface Shard {
  /** Shard index, 0 … n − 1. */
  i: number;
  /** Number of shards. */
  n: number;
}

/**
 * The shard this process trains: `--shard i/n`, else a SLURM job array (SLURM_ARRAY_TASK_ID of
 * SLURM_ARRAY_TASK_COUNT, offset by SLURM_ARRAY_TASK_MIN), else a Kubernetes indexed Job
 * (JOB_COMPLETION_INDEX of HG_SHARDS), else the whole plan (0/1). Returns the shard and the other args.
 */
export function parseShard(
  args: string[],
  env: (name: string) => string | undefined = (k) => Deno.env.get(k),
): { shard: Shard; rest: string[] } {
  const rest: string[] = [];
  let spec: string | undefined;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === "--shard") spec = args[++k] ?? "";
    else if (args[k].startsWith("--shard=")) spec = args[k].slice(8);
    else rest.push(args[k]);
  }
  let i = 0;
  let n = 1;
  let from = "";
  if (spec !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(spec);
    if (!m) throw new Error(`--shard ${JSON.stringify(spec)}: expected i/n, e.g. --shard 0/2`);
    [i, n, from] = [Number(m[1]), Number(m[2]), "--shard"];
  } else if (env("SLURM_ARRAY_TASK_ID") !== undefined) {
    i = Number(env("SLURM_ARRAY_TASK_ID")) - Number(env("SLURM_ARRAY_TASK_MIN") ?? 0);
    n = Number(env("SLURM_ARRAY_TASK_COUNT"));
    from = "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT";
  } else if (env("JOB_COMPLETION_INDEX") !== undefined) {
    i = Number(env("JOB_COMPLETION_INDEX"));
    n = Number(env("HG_SHARDS"));
    from = "JOB_COMPLETION_INDEX/HG_SHARDS";
  }
  if (!Number.isInteger(i) || !Number.isInteger(n) || n < 1 || i < 0 || i >= n) {
    throw new Error(`shard ${i}/${n} (from ${from}): need integers 0 ≤ i < n`);
  }
  return { shard: { i, n }, rest };
}

/** The models of shard `s`: every n-th model of the plan, from the i-th. */
export function shardOf<T>(plan: readonly T[], s: Shard): T[] {
  return plan.filter((_, k) => k % s.n === s.i);
}

/** Make and ship every model of the profile (or of one shard of it); returns the index entries written. */
export async function runModels(args: string[]): Promise<ShippedIndexEntry[]> {
  const { shard, rest } = parseShard(args);
  const ctx = await startExperiment("models", rest, { network: true });
  const root = defaultShippedRoot();
  await sweepStale(root);
  const plan = shardOf(zooPlan(ctx.profile), shard);
  log(
    `models: ${plan.length} models for profile ${ctx.profile.name}, dataset ${ctx.dataset}` +
      `${shard.n > 1 ? ` (shard ${shard.i}/${shard.n})` : ""} → ${root}`,
  );
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
      steps: model.manifest.step,
      seed: p.req.seed,
      snapshots: snaps,
      claims: p.claims,
      bytes,
      sha256: await weightsSha256(`${root}/${key}`),
    });
    // After every model, so an interrupted shard keeps what it finished.
    await _writeIndex(root, entries);
  }
  const total = entries.reduce((s, e) => s + e.bytes, 0);
  log(`models: shipped ${entries.length} models, ${(total / 1e6).toFixed(2)} MB of weights`);
  return entries;
}

/** Merge `entries` into the shipped index; re-read just before writing, as another shard may have added models. */
async function _writeIndex(root: string, entries: ShippedIndexEntry[]): Promise<void> {
  const keep = (await readShippedIndex(root) ?? []).filter((e) => !entries.some((x) => x.key === e.key));
  const all = [...keep, ...entries].sort((a, b) =>
    `${a.profile}/${a.dataset}/${a.key}`.localeCompare(`${b.profile}/${b.dataset}/${b.key}`)
  );
  await writeFileAtomic(shippedIndexPath(root), JSON.stringify(all, null, 1) + "\n");
}

if (import.meta.main) await runMain("models", () => runModels(Deno.args));
