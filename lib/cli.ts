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
      dnnl: { type: "string", default: "auto" },
      retrain: { type: "boolean", default: false },
      out: { type: "string", default: "results/latest" },
      "data-dir": { type: "string" },
    },
  });
  const v = { ...values };
  if (!(BACKENDS as readonly string[]).includes(v.backend!)) {
    throw new Error(`--backend ${v.backend}: choose one of ${BACKENDS.join(", ")}`);
  }
  if (!["auto", "openblas", "off"].includes(v.blas!)) {
    throw new Error(`--blas ${v.blas}: choose one of auto, openblas, off`);
  }
  if (!["auto", "off"].includes(v.dnnl!)) throw new Error(`--dnnl ${v.dnnl}: choose one of auto, off`);
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
    positionals,
  };
}
