import assert from "node:assert/strict";
import { parseShard, shardOf } from "../../experiments/models.ts";
import { getProfile } from "../../experiments/profiles.ts";
import { zooPlan } from "../../experiments/zoo.ts";

const none = (_: string) => undefined;

Deno.test("--shard i/n picks every n-th model from the i-th, and the shards cover the plan once", () => {
  const plan = zooPlan(getProfile("ci"));
  const a = shardOf(plan, parseShard(["--shard", "0/2"], none).shard);
  const b = shardOf(plan, parseShard(["--shard=1/2"], none).shard);
  assert.equal(a.length + b.length, plan.length);
  assert.deepEqual(new Set([...a, ...b]), new Set(plan));
  assert.ok(a.every((p) => !b.includes(p)));
});

Deno.test("the shard comes from SLURM or Kubernetes job arrays when --shard is absent", () => {
  const slurm = { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "4", SLURM_ARRAY_TASK_COUNT: "3" };
  assert.deepEqual(parseShard([], (k) => (slurm as Record<string, string>)[k]).shard, { i: 1, n: 3 });
  const k8s = { JOB_COMPLETION_INDEX: "2", HG_SHARDS: "4" };
  assert.deepEqual(parseShard(["--profile", "ci"], (k) => (k8s as Record<string, string>)[k]), {
    shard: { i: 2, n: 4 },
    rest: ["--profile", "ci"],
  });
  assert.deepEqual(parseShard([], none).shard, { i: 0, n: 1 });
});

Deno.test("a bad shard is an error naming it", () => {
  assert.throws(() => parseShard(["--shard", "2/2"], none), /shard 2\/2 \(from --shard\)/);
  assert.throws(() => parseShard(["--shard", "x"], none), /--shard "x": expected i\/n/);
  assert.throws(
    () => parseShard([], (k) => ({ JOB_COMPLETION_INDEX: "0" } as Record<string, string>)[k]),
    /JOB_COMPLETION_INDEX\/HG_SHARDS/,
  );
});

Deno.test("the ci plan trains every model once per seed, with seeds of its own", () => {
  const p = getProfile("ci");
  const plan = zooPlan(p);
  const seeds = new Set(plan.map((m) => m.req.seed));
  for (const s of p.zoo.seeds) assert.ok(seeds.has(s), `seed ${s} is planned`);
  assert.ok(!seeds.has(getProfile("full").zoo.seed), "ci shares no training seed with full");
  assert.equal(plan.length % p.zoo.seeds.length, 0);
});
