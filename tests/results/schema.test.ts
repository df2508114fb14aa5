import assert from "node:assert/strict";
import {
  COMPARISON,
  FIGURE_KEYS,
  PATTERNS,
  PROVENANCE_KEYS,
  type Result,
  RESULT_KEYS,
  ResultValidationError,
  validateResult,
  VERDICT_KEYS,
  VOLATILE_KEYS,
} from "../../lib/results/schema.ts";
import { goodResult } from "./_fixture.ts";
import { jsonSchemaErrors } from "./_jsonschema.ts";

const schemaJson = JSON.parse(
  await Deno.readTextFile(new URL("../../results/schema.json", import.meta.url)),
) as Record<string, unknown>;
const props = schemaJson.properties as Record<string, Record<string, unknown>>;

type Mutation = [string, (r: Record<string, unknown>) => void, string];
const R = (r: Record<string, unknown>) => r as unknown as Result;

/** Run `fn`, expecting it to throw a ResultValidationError; return that error. */
function rejection(fn: () => unknown): ResultValidationError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ResultValidationError, `expected a ResultValidationError, got ${e}`);
    return e;
  }
  assert.fail("expected validateResult to throw");
}

/** Mutations both the TS validator and results/schema.json must reject; the third entry is the path the TS error names. */
const BAD_BOTH: Mutation[] = [
  ["missing metrics", (r) => delete r.metrics, "metrics: missing"],
  ["extra top-level key", (r) => (r.extra = 1), "extra: unknown field"],
  ["schemaVersion 2", (r) => (r.schemaVersion = 2), "schemaVersion: expected 1"],
  ["claim lower case", (r) => (r.claim = "c10"), "claim:"],
  ["title empty", (r) => (r.title = " "), "title: must not be empty"],
  ["artifactVersion not semver", (r) => (r.artifactVersion = "v1"), "artifactVersion:"],
  ["configHash short", (r) => (r.configHash = "abc"), "configHash:"],
  ["seed not integer", (r) => (R(r).seeds.data = 1.5), "seeds.data:"],
  [
    "seed array with string",
    (r) => ((R(r).seeds as Record<string, unknown>).noise = [1, "2"]),
    "seeds.noise[1]:",
  ],
  [
    "gitDirty string",
    (r) => ((R(r).provenance as unknown as Record<string, unknown>).gitDirty = "yes"),
    "provenance.gitDirty:",
  ],
  [
    "provenance.tfjs missing",
    (r) => delete (R(r).provenance as unknown as Record<string, unknown>).tfjs,
    "provenance.tfjs: missing",
  ],
  ["gitCommit short", (r) => (R(r).provenance.gitCommit = "abc123"), "provenance.gitCommit:"],
  ["metric string leaf", (r) => ((R(r).metrics.rmse as unknown[])[3] = "0.04"), "metrics.rmse[3]:"],
  [
    "metric boolean leaf",
    (r) => ((R(r).metrics.nmse as Record<string, unknown>)["80"] = true),
    'metrics.nmse["80"]:',
  ],
  [
    "paper.reported missing",
    (r) => delete (R(r).paper as unknown as Record<string, unknown>).reported,
    "paper.reported: missing",
  ],
  [
    "verdict.holds maybe",
    (r) => ((R(r).verdict as unknown as Record<string, unknown>).holds = "maybe"),
    "verdict.holds:",
  ],
  [
    "verdict.criterion missing",
    (r) => delete (R(r).verdict as unknown as Record<string, unknown>).criterion,
    "verdict.criterion: missing",
  ],
  ["notes not strings", (r) => (r.notes = ["a", 3]), "notes[1]:"],
  [
    "figure kind gif",
    (r) => ((R(r).figures[0] as unknown as Record<string, unknown>).kind = "gif"),
    "figures[0].kind:",
  ],
  ["figure path escapes", (r) => (R(r).figures[0].path = "../x.svg"), "figures[0].path:"],
  ["figure path absolute", (r) => (R(r).figures[0].path = "/tmp/x.svg"), "figures[0].path:"],
  ["wallSeconds negative", (r) => (R(r).volatile.wallSeconds = -1), "volatile.wallSeconds:"],
  ["createdAt not ISO", (r) => (R(r).volatile.createdAt = "yesterday"), "volatile.createdAt:"],
  [
    "volatile extra key",
    (r) => ((R(r).volatile as unknown as Record<string, unknown>).pid = 5),
    "volatile.pid: unknown field",
  ],
];

/** Cross-field checks JSON Schema cannot express: the TS validator rejects them, the schema file accepts them. */
const BAD_TS_ONLY: Mutation[] = [
  ["id not claim/profile/dataset", (r) => (r.id = "C10/ci/fashion-mnist"), 'id: expected "C10/ci/mnist"'],
  ["configHash of another config", (r) => (R(r).config.n = 1001), "configHash: does not match config"],
  ["figure kind vs extension", (r) => (R(r).figures[0].kind = "png"), "figures[0].kind:"],
  ["metric NaN", (r) => (R(r).metrics.maxAbsDiff = NaN), "metrics.maxAbsDiff: NaN"],
];

Deno.test("validateResult accepts a good result, and results/schema.json does too", () => {
  const r = goodResult();
  assert.equal(validateResult(r, "good.json"), r);
  assert.deepEqual(jsonSchemaErrors(schemaJson, r), []);
  // The optional paper.values and an empty figures list are fine for both.
  const r2 = goodResult();
  delete r2.paper.values;
  r2.figures = [];
  r2.verdict.holds = "partial";
  r2.provenance.gitCommit = "unknown";
  r2.provenance.gitDirty = "unknown";
  validateResult(r2, "good2.json");
  assert.deepEqual(jsonSchemaErrors(schemaJson, r2), []);
});

for (const [name, mutate, expected] of BAD_BOTH) {
  Deno.test(`validateResult and schema.json both reject: ${name}`, () => {
    const r = goodResult() as unknown as Record<string, unknown>;
    mutate(r);
    const e = rejection(() => validateResult(r, "results/v1/bad.json"));
    assert.equal(e.file, "results/v1/bad.json");
    assert.match(e.message, /^results\/v1\/bad\.json: not a valid result/);
    assert.ok(
      e.errors.some((line) => line.startsWith(expected)),
      `expected an error starting "${expected}", got ${e.errors}`,
    );
    assert.notDeepEqual(jsonSchemaErrors(schemaJson, r), [], "schema.json accepted it");
  });
}

for (const [name, mutate, expected] of BAD_TS_ONLY) {
  Deno.test(`validateResult rejects (cross-field, TS only): ${name}`, () => {
    const r = goodResult() as unknown as Record<string, unknown>;
    mutate(r);
    const e = rejection(() => validateResult(r, "x.json"));
    assert.ok(e.errors.some((line) => line.startsWith(expected)), String(e));
    if (name !== "metric NaN") assert.deepEqual(jsonSchemaErrors(schemaJson, r), []);
  });
}

Deno.test("validateResult reports every problem at once, and rejects non-objects", () => {
  const r = goodResult() as unknown as Record<string, unknown>;
  delete r.title;
  R(r).verdict.summary = "";
  const e = rejection(() => validateResult(r, "f.json"));
  assert.equal(e.errors.length, 2);
  assert.throws(() => validateResult([], "arr.json"), /arr\.json: .*\(root\): expected an object/s);
  assert.throws(() => validateResult(null, "null.json"), /null\.json/);
});

Deno.test("schema.json: required keys and x-compare agree with the TS schema", () => {
  assert.equal(schemaJson.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(schemaJson.required, [...RESULT_KEYS]);
  assert.deepEqual(Object.keys(props), [...RESULT_KEYS]);
  assert.equal(schemaJson.additionalProperties, false);
  assert.deepEqual(props.provenance.required, [...PROVENANCE_KEYS]);
  assert.deepEqual(props.verdict.required, [...VERDICT_KEYS]);
  assert.deepEqual(props.volatile.required, [...VOLATILE_KEYS]);
  assert.deepEqual((props.figures.items as Record<string, unknown>).required, [...FIGURE_KEYS]);
  assert.deepEqual((props.paper as Record<string, unknown>).required, ["reported"]);
  for (const k of RESULT_KEYS) assert.equal(props[k]["x-compare"], COMPARISON[k], `x-compare of ${k}`);
  assert.equal(COMPARISON.volatile, "skip");
});

Deno.test("schema.json: patterns are the TS validator's", () => {
  const p = props as Record<string, Record<string, unknown>>;
  assert.equal(p.claim.pattern, PATTERNS.claim);
  assert.equal(p.profile.pattern, PATTERNS.profile);
  assert.equal(p.dataset.pattern, PATTERNS.dataset);
  assert.equal(p.id.pattern, PATTERNS.id);
  assert.equal(p.artifactVersion.pattern, PATTERNS.artifactVersion);
  assert.equal(p.configHash.pattern, PATTERNS.configHash);
  const prov = p.provenance.properties as Record<string, Record<string, unknown>>;
  assert.equal(prov.gitCommit.pattern, PATTERNS.gitCommit);
  const fig = (p.figures.items as Record<string, unknown>).properties as Record<
    string,
    Record<string, unknown>
  >;
  assert.equal(fig.path.pattern, PATTERNS.figurePath);
  const vol = p.volatile.properties as Record<string, Record<string, unknown>>;
  assert.equal(vol.createdAt.pattern, PATTERNS.createdAt);
  // The id pattern is claim/profile/dataset joined by "/".
  const strip = (s: string) => s.replace(/^\^|\$$/g, "");
  assert.equal(strip(PATTERNS.id), [PATTERNS.claim, PATTERNS.profile, PATTERNS.dataset].map(strip).join("/"));
});
