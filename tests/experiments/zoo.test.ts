/**
 * The model zoo: equal requests give one cache key and different N, C or steps give different keys; the
 * profiles are laid out so that C6, C7 and C8 share models; the criteria's helpers (Spearman, band mean)
 * agree with hand-computed values.
 *
 * @module
 */
import assert from "node:assert/strict";
import { getProfile, PROFILES } from "../../experiments/profiles.ts";
import { C9_SEED_OFFSET, zooKey, zooPlan, zooSpec } from "../../experiments/zoo.ts";
import { meanAt, rankCorrelation } from "../../lib/metrics/stats.ts";
import { PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";

const smoke = getProfile("smoke");

Deno.test("zooSpec: the same request gives the same key; N, C, steps or dataset change it", () => {
  const key = (n: number, extra: object = {}, dataset = "mnist") =>
    zooKey(zooSpec(smoke, dataset, { n, ...extra }));
  assert.equal(key(8), key(8));
  assert.equal(key(8), key(8, { baseChannels: smoke.zoo.baseChannels, steps: smoke.zoo.steps }));
  const distinct = [
    key(8),
    key(32),
    key(8, { baseChannels: 2 }),
    key(8, { steps: 39 }),
    key(8, {}, "fashion-mnist"),
  ];
  assert.equal(new Set(distinct).size, distinct.length);
  // Snapshot order and duplicates do not split a model; snapshots at or after the last step are dropped.
  const z = smoke.zoo.snapshotSteps;
  assert.equal(key(8, { snapshotSteps: [...z].reverse().concat(z[0]) }), key(8));
  assert.equal(key(8, { snapshotSteps: [...z, smoke.zoo.steps, 10 * smoke.zoo.steps] }), key(8));
  assert.notEqual(key(8, { snapshotSteps: z.slice(1) }), key(8));
});

Deno.test("zooSpec: training data are the first N images at the profile's resolution; bad requests fail", () => {
  const s = zooSpec(smoke, "mnist", { n: 8, baseChannels: 2 });
  assert.deepEqual(s.data.subset, { rule: "first", n: 8 });
  assert.equal(s.data.resolution, smoke.zoo.resolution);
  assert.equal(s.net.resolution, smoke.zoo.resolution);
  assert.equal(s.net.baseChannels, 2);
  assert.equal(s.train.seed, smoke.zoo.seed);
  assert.ok(s.snapshotSteps!.every((x) => x < s.train.steps));
  assert.throws(() => zooSpec(smoke, "mnist", { n: 0 }), /n must be an integer ≥ 1/);
  assert.throws(() => zooSpec(smoke, "mnist", { n: 8, baseChannels: 5 }), /baseChannels must be an even/);
  assert.throws(() => zooSpec(smoke, "ffhq", { n: 8 }), /needs its image folder/);
});

Deno.test("profiles: C6, C7 and C8 share zoo models; sweeps have the sizes the claims need", () => {
  for (const name of ["smoke", "ci", "full", "paper"]) {
    const p = PROFILES[name];
    const key = (n: number, c: number, steps?: number) =>
      zooKey(zooSpec(p, "mnist", { n, baseChannels: c, steps }));
    // C7's model at C6's capacity is C6's model at C7's N.
    assert.ok(p.c6.ns.includes(p.c7.n), `${name}: c7.n is one of c6.ns`);
    assert.ok(
      p.c7.capacities.includes(p.c6.baseChannels),
      `${name}: c6.baseChannels is one of c7.capacities`,
    );
    // C8's run is C7's largest model (outside the paper profile, whose C8 run is the paper's long one).
    const c8 = key(p.c8.n, p.c8.baseChannels, p.c8.steps);
    const c7Keys = p.c7.capacities.map((c) => key(p.c7.n, c));
    if (name !== "paper") assert.equal(c8, c7Keys.at(-1), `${name}: C8 reads C7's largest run`);
    // C8 needs ≥ 6 points (snapshots before its last step, plus the last step).
    const points = zooSpec(p, "mnist", { n: p.c8.n, steps: p.c8.steps }).snapshotSteps!.length + 1;
    assert.ok(points >= 6, `${name}: C8 has ${points} points`);
    if (name !== "smoke") assert.ok(p.c7.capacities.length >= 4, `${name}: ≥ 4 capacities`);
    for (const c of [p.c6, p.c7, p.c8]) assert.deepEqual(c.sigmas, [...PAPER_SIGMAS]);
    assert.ok(p.zoo.nProbe >= p.zoo.nSamples, `${name}: GL_ref needs nSamples probes`);
  }
});

Deno.test("rankCorrelation is Spearman's ρ: ±1 for monotone series, 0.8 for one adjacent swap of four", () => {
  assert.equal(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 45]), 1);
  assert.equal(rankCorrelation([16, 64, 256, 1024], [0.3, 0.2, 0.1, 0.05]), -1);
  // ρ = 1 − 6Σd²/(n(n²−1)) = 1 − 6·2/60 = 0.8 for one adjacent swap.
  assert.ok(Math.abs(rankCorrelation([1, 2, 3, 4], [1, 3, 2, 4]) - 0.8) < 1e-12);
  // n = 5, one swap: 1 − 12/120 = 0.9.
  assert.ok(Math.abs(rankCorrelation([1, 2, 3, 4, 5], [2, 1, 3, 4, 5]) - 0.9) < 1e-12);
  // Ties take their mean rank: y ranks (1.5, 1.5, 3) against (1, 2, 3) give ρ = √3/2.
  assert.ok(Math.abs(rankCorrelation([1, 2, 3], [5, 5, 7]) - Math.sqrt(3) / 2) < 1e-12);
  assert.throws(() => rankCorrelation([1], [1]), /equal length ≥ 2/);
});

Deno.test("meanAt averages the listed σ levels and rejects levels off the grid", () => {
  const sigmas = [...PAPER_SIGMAS];
  const values = sigmas.map((_, k) => k);
  // 4.066, 1.502, 0.47, 0.1166 are entries 4, 5, 6, 7 of the grid.
  assert.equal(meanAt(sigmas, values, [4.066, 1.502, 0.47, 0.1166]), 5.5);
  assert.throws(() => meanAt(sigmas, values, [4]), /σ = 4 is not on the grid/);
  assert.throws(() => meanAt(sigmas, values.slice(1), [80]), /9 values for 10 σ levels/);
});

Deno.test("zooSpec: start and seed give new keys; start 0 keeps the key of the first-N rule", () => {
  const key = (req: object) => zooKey(zooSpec(smoke, "mnist", { n: 8, ...req }));
  assert.equal(key({ start: 0 }), key({}));
  assert.deepEqual(zooSpec(smoke, "mnist", { n: 8, start: 8 }).data.subset, {
    rule: "range",
    start: 8,
    n: 8,
  });
  const distinct = [
    key({}),
    key({ start: 8 }),
    key({ seed: smoke.zoo.seed + 1 }),
    key({ start: 8, seed: 1 }),
  ];
  assert.equal(new Set(distinct).size, distinct.length);
  assert.throws(() => zooSpec(smoke, "mnist", { n: 8, start: -1 }), /start must be an integer ≥ 0/);
});

Deno.test("zooPlan: every model the claims use, once; C8's snapshots shipped; C9's halves disjoint with own seed", () => {
  for (const name of ["smoke", "ci", "full"]) {
    const p = getProfile(name);
    const plan = zooPlan(p);
    const keys = plan.map((m) => zooKey(zooSpec(p, "mnist", m.req)));
    assert.equal(new Set(keys).size, plan.length, `${name}: no model twice`);
    const claims = new Set(plan.flatMap((m) => m.claims));
    assert.deepEqual([...claims].sort(), ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9"]);
    assert.deepEqual(
      plan.filter((m) => m.snapshots).map((m) => m.req.n),
      p.zoo.seeds.map(() => p.c8.n),
      `${name}: C8 only, once per seed`,
    );
    for (const seed of p.zoo.seeds) {
      for (const n of [p.c9.nGeneralising, p.c9.nMemorising]) {
        const half = plan.find((m) =>
          m.req.n === n && m.req.start === n && m.req.seed === seed + C9_SEED_OFFSET
        );
        assert.ok(half, `${name}: C9's second half of ${n} with seed ${seed} + ${C9_SEED_OFFSET}`);
        assert.ok(
          plan.some((m) => m.req.n === n && !m.req.start && m.req.seed === seed && m.claims.includes("C9")),
        );
      }
    }
  }
  // The ci plan per seed: 4 N at C = 8 (C1–C6), C = 2, 4, 16 at N = 64 (C7, C8), and two C9 halves.
  assert.equal(zooPlan(getProfile("ci")).length, 9 * getProfile("ci").zoo.seeds.length);
});
