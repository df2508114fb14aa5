/**
 * Assembling a result: the experiment supplies what it measured and decided; this fills in what follows
 * from it (`id`, `configHash`, `artifactVersion`, `volatile`) and validates the whole before returning.
 *
 * @module
 */

import { configHash } from "./canonical.ts";
import { ARTIFACT_VERSION } from "./provenance.ts";
import { type Figure, type Provenance, type Result, SCHEMA_VERSION, validateResult } from "./schema.ts";

/** What an experiment supplies to `buildResult`. */
export type ResultInput =
  & Omit<
    Result,
    | "schemaVersion"
    | "id"
    | "configHash"
    | "artifactVersion"
    | "provenance"
    | "volatile"
    | "notes"
    | "figures"
  >
  & {
    /** Remarks (default none). */
    notes?: string[];
    /** Figures written beside the result (default none). */
    figures?: Figure[];
  };

/** Run facts for `buildResult`. */
export interface RunContext {
  /** From `collectProvenance`. */
  provenance: Provenance;
  /** `Date.now()` when the experiment started; gives `volatile.wallSeconds`. */
  startedAt: number;
  /** Machine name (default `Deno.hostname()`, or `"unknown"` without --allow-sys). */
  hostname?: string;
  /** Overrides deno.json's version (tests). */
  artifactVersion?: string;
}

/** Build and validate a result (schema v1) from an experiment's input and run facts. */
export function buildResult(input: ResultInput, run: RunContext): Result {
  const now = Date.now();
  const result: Result = {
    schemaVersion: SCHEMA_VERSION,
    id: `${input.claim}/${input.profile}/${input.dataset}`,
    claim: input.claim,
    title: input.title,
    artifactVersion: run.artifactVersion ?? ARTIFACT_VERSION,
    profile: input.profile,
    dataset: input.dataset,
    config: input.config,
    configHash: configHash(input.config),
    seeds: input.seeds,
    provenance: run.provenance,
    metrics: input.metrics,
    paper: input.paper,
    verdict: input.verdict,
    notes: input.notes ?? [],
    figures: input.figures ?? [],
    volatile: {
      createdAt: new Date(now).toISOString(),
      wallSeconds: Math.max(0, (now - run.startedAt) / 1000),
      hostname: run.hostname ?? _hostname(),
    },
  };
  return validateResult(result, `buildResult(${result.id})`);
}

function _hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}
