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
  /** oneDNN convolutions in the native tier: `auto` (when libdnnl.so.2 loads) or `off`. */
  dnnl: "auto" | "off";
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

/**
 * Parse common options from `args`; unknown options, options without a value and contradictory
 * options are errors that name them.
 */
export function parseCommon(args: string[], defaults: { profile?: string } = {}): CommonOptions {
  let parsed;
  try {
    parsed = _parse(args, defaults);
  } catch (e) {
    // node:util's messages name the option; drop its error-code prefix and keep the text.
    throw new Error(`options: ${(e as Error).message}`, { cause: e });
  }
  const { values, positionals } = parsed;
  const v = { ...values };
  if (!(BACKENDS as readonly string[]).includes(v.backend!)) {
    throw new Error(`--backend ${v.backend}: choose one of ${BACKENDS.join(", ")}`);
  }
  if (!["auto", "openblas", "off"].includes(v.blas!)) {
    throw new Error(`--blas ${v.blas}: choose one of auto, openblas, off`);
  }
  if (!["auto", "off"].includes(v.dnnl!)) throw new Error(`--dnnl ${v.dnnl}: choose one of auto, off`);
  if (v.blas === "off" && v["blas-path"] !== undefined) {
    throw new Error(
      `--blas off --blas-path ${v["blas-path"]}: a BLAS path with the BLAS turned off; drop one`,
    );
  }
  for (const k of ["profile", "dataset", "out", "blas-path", "data-dir", "seed-index"] as const) {
    const x = v[k];
    if (x !== undefined && (x === "" || x.startsWith("-"))) {
      throw new Error(`--${k} needs a value, got '${x}'`);
    }
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
    dnnl: v.dnnl as CommonOptions["dnnl"],
    retrain: v.retrain!,
    out: v.out!,
    dataDir: v["data-dir"],
    ...(seedIndex === undefined ? {} : { seedIndex }),
    positionals,
  };
}

function _parse(args: string[], defaults: { profile?: string }) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      profile: { type: "string", default: defaults.profile ?? "full" },
      dataset: { type: "string", default: "mnist" },
      backend: { type: "string", default: "wasm" },
      blas: { type: "string", default: "auto" },
      "blas-path": { type: "string" },
      dnnl: { type: "string", default: "auto" },
      retrain: { type: "boolean", default: false },
      out: { type: "string", default: "results/latest" },
      "data-dir": { type: "string" },
      "seed-index": { type: "string" },
    },
  });
}

/**
 * Run a task's main function: an error ends it with one line on stderr, `<task>: <message>` (the message
 * names the file or option), and exit code 1 (or the error's `exitCode`), instead of a stack trace.
 */
export async function runMain(task: string, main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error & { exitCode?: number };
    console.error(`${task}: ${err?.message ?? String(e)}`);
    if (Deno.env.get("HG_DEBUG") === "1") console.error(err?.stack);
    Deno.exit(typeof err?.exitCode === "number" ? err.exitCode : 1);
  }
}
