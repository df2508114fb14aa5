/**
 * Provenance of a result: which commit, runtime, tfjs version, backend, BLAS and machine produced it
 * (the `provenance` section of results/schema.json), and the config hash that names it.
 *
 * @module
 */

import { version_core } from "@tensorflow/tfjs-core";
import denoJson from "../../deno.json" with { type: "json" };
import type { Provenance } from "./schema.ts";
import { blasLoaded } from "../linalg/blas.ts";
import { eighSolversUsed } from "../linalg/eigh.ts";

export { canonicalJson, configHash, sha256Hex } from "./canonical.ts";

/** The artifact's version, deno.json `version` (a result's `artifactVersion`). */
export const ARTIFACT_VERSION: string = denoJson.version;

/** What the caller knows and this module cannot find out: the tfjs backend and the native BLAS in use. */
export interface ProvenanceOptions {
  /** tfjs backend name (`tf.getBackend()`), or `"none"` when the experiment uses no network. */
  backend: string;
  /** Native BLAS behind `gemm` (e.g. `"openblas"`), or `"none"` for the JS loop. */
  blas: string;
  /** Folder to ask git about; defaults to the current working directory. */
  cwd?: string;
  /** Tier of the float64 linear algebra; default `openblas` when it is loaded, else `javascript`. */
  linalgTier?: string;
}

/**
 * Collect provenance. The git commit comes from `git rev-parse HEAD` and dirtiness from
 * `git status --porcelain --untracked-files=no` (a tracked file changed = dirty; untracked files, such as
 * outputs being written beside the run, do not count, as with `git describe --dirty`); with no git, no repository or no commit yet, or without
 * `--allow-run`, both are `"unknown"` rather than an error.
 */
export async function collectProvenance(opts: ProvenanceOptions): Promise<Provenance> {
  for (const k of ["backend", "blas"] as const) {
    if (typeof opts[k] !== "string" || opts[k].trim() === "") {
      throw new TypeError(`collectProvenance: option "${k}" must be a non-empty string (use "none")`);
    }
  }
  const commit = await gitHead(opts.cwd);
  let dirty: boolean | "unknown" = "unknown";
  if (commit !== "unknown") {
    const status = await _git(["status", "--porcelain", "--untracked-files=no"], opts.cwd);
    if (status !== null) dirty = status.trim() !== "";
  }
  return {
    gitCommit: commit,
    gitDirty: dirty,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    tfjs: version_core,
    backend: opts.backend,
    blas: opts.blas,
    os: Deno.build.os,
    arch: Deno.build.arch,
    linalgTier: opts.linalgTier ?? (blasLoaded() ? "openblas" : "javascript"),
    eigensolver: eighSolversUsed().join("+") || "none",
  };
}

/** The commit checked out in `cwd` (default: the working directory), or `"unknown"` without git or a commit. */
export async function gitHead(cwd?: string): Promise<string> {
  const head = await _git(["rev-parse", "--verify", "HEAD"], cwd);
  return head !== null && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head.trim()) ? head.trim() : "unknown";
}

/** Run git; its stdout on success, `null` when git is missing, not permitted, or fails. */
async function _git(args: string[], cwd?: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null", stdin: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}
