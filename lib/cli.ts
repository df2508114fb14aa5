/**
 * The command-line options shared by every experiment task, parsed with `node:util` parseArgs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BackendName, BACKENDS } from "./backend.ts";

/** Options every experiment accepts. */
export interface CommonOptions {
  /** Profile name: smoke, ci, full or paper. */
  profile: string;
  /** Dataset name (mnist, fashion-mnist). */
  dataset: string;
  /** tfjs backend. */
  backend: BackendName;
  /** Native BLAS mode. */
  blas: "auto" | "openblas" | "off";
  /** Path to a BLAS shared library (overrides the default libopenblas.so.0). */
  blasPath?: string;
  /** Ignore cached trained denoisers and train again. */
  retrain: boolean;
  /** Directory the results go to. */
  out: string;
  /** Folder of the user's own PNG images (the `paper` profile's FFHQ). */
  dataDir?: string;
  /** Run only training seed `profile.zoo.seeds[seedIndex]` (default: every seed, combined). */
  seedIndex?: number;
  /** Positional arguments (e.g. claim ids). */
  positionals: string[];
}

/** Parse common options from `args`; unknown options are an error that names them. */
export function parseCommon(args: string[], defaults: { profile?: string } = {}): CommonOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      profile: { type: "string", default: defaults.profile ?? "full" },
      dataset: { type: "string", default: "mnist" },
      backend: { type: "string", default: "wasm" },
      blas: { type: "string", default: "auto" },
      "blas-path": { type: "string" },
      retrain: { type: "boolean", default: false },
      out: { type: "string", default: "results/latest" },
      "data-dir": { type: "string" },
      "seed-index": { type: "string" },
    },
  });
  const v = { ...values };
  if (!(BACKENDS as readonly string[]).includes(v.backend!)) {
    throw new Error(`--backend ${v.backend}: choose one of ${BACKENDS.join(", ")}`);
  }
  if (!["auto", "openblas", "off"].includes(v.blas!)) {
    throw new Error(`--blas ${v.blas}: choose one of auto, openblas, off`);
  }
  const seedIndex = v["seed-index"] === undefined ? undefined : Number(v["seed-index"]);
  if (seedIndex !== undefined && !(Number.isInteger(seedIndex) && seedIndex >= 0)) {
    throw new Error(`--seed-index ${v["seed-index"]}: expected an integer ≥ 0`);
  }
  return {
    profile: v.profile!,
    dataset: v.dataset!,
    backend: v.backend as BackendName,
    blas: v.blas as CommonOptions["blas"],
    blasPath: v["blas-path"],
    retrain: v.retrain!,
    out: v.out!,
    dataDir: v["data-dir"],
    ...(seedIndex === undefined ? {} : { seedIndex }),
    positionals,
  };
}
