/**
 * Choosing and starting a TensorFlow.js backend.
 *
 * - `wasm` (default): tfjs-backend-wasm with SIMD, single-threaded under Deno; its `.wasm` files are
 *   loaded from beside its own module inside node_modules, wherever the project is cloned.
 * - `cpu`: the pure-JavaScript backend (slow; a reference).
 * - `tensorflow`, `tensorflow-gpu`: `@tensorflow/tfjs-node(-gpu)`, imported only when asked for. Their
 *   native addon is downloaded by an install script that cannot run on our machines, so importing them
 *   fails; {@link initBackend} then throws a {@link BackendUnavailableError} saying what is missing.
 *
 * Kernel replacements (lib/kernels/) are registered before the backend is selected: the portable set
 * (compositions of fast wasm kernels), or with `blas` the native set (convolutions and matmuls as
 * OpenBLAS sgemm calls on the wasm heap), which falls back to the portable set when no BLAS loads; in
 * the native set the convolutions run through oneDNN when `libdnnl.so.2` loads (unless `dnnl: false`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { registerKernelReplacements } from "./kernels/mod.ts";
import { blasInfo } from "./linalg/blas.ts";
import { describeDnnl, dnnlInfo } from "./kernels/dnnl.ts";

/** Backends selectable with `--backend`. */
export const BACKENDS = ["wasm", "cpu", "tensorflow", "tensorflow-gpu"] as const;

/** A backend name. */
export type BackendName = typeof BACKENDS[number];

/** What was started, for a result's provenance. */
export interface BackendInfo {
  /** The backend name as selected. */
  name: BackendName;
  /** tfjs-core version. */
  tfjs: string;
  /** Kernel replacements registered on this backend. */
  kernels: string[];
  /** Free-form details (SIMD, threads, native library). */
  details: Record<string, string | number | boolean>;
}

/** Thrown when a requested backend's native part is missing. */
export class BackendUnavailableError extends Error {
  /** Make the error; `message` says what is missing and what the backend needs. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BackendUnavailableError";
  }
}

const _NATIVE_NEEDS: Record<"tensorflow" | "tensorflow-gpu", { pkg: string; needs: string }> = {
  "tensorflow": {
    pkg: "@tensorflow/tfjs-node",
    needs: "libtensorflow 2.9.1 (CPU)",
  },
  "tensorflow-gpu": {
    pkg: "@tensorflow/tfjs-node-gpu",
    needs: "libtensorflow 2.9.1 built for GPU, CUDA 11.2 and cuDNN 8.1",
  },
};

/** The message for a native backend whose import failed (exported for tests). */
export function nativeBackendMessage(name: "tensorflow" | "tensorflow-gpu", cause: unknown): string {
  const { pkg, needs } = _NATIVE_NEEDS[name];
  const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  return [
    `backend '${name}' is not available: ${pkg}'s native addon (tfjs_binding.node) could not be loaded.`,
    `  cause: ${why}`,
    `  It needs ${needs}; its npm install script downloads the addon from outside the npm registry, which`,
    `  cannot run here. Build it (npm rebuild ${pkg} --build-addon-from-source) on a machine that has`,
    `  ${needs}, or use the default: --backend wasm.`,
  ].join("\n");
}

type _Importer = (specifier: string) => Promise<unknown>;

let _current: BackendInfo | null = null;

/**
 * Start backend `name` (default `wasm`) and return what was started. `blas` (default false) asks for
 * the native BLAS kernels, `dnnl` (default: `blas`) oneDNN convolutions in that set; `importer` is for
 * tests: it replaces the dynamic import of the native packages.
 */
export async function initBackend(
  name: BackendName = "wasm",
  opts: { importer?: _Importer; blas?: boolean; dnnl?: boolean } = {},
): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`unknown backend '${name}'; choose one of: ${BACKENDS.join(", ")}`);
  }
  const blas = opts.blas ?? false;
  const dnnl = opts.dnnl ?? blas;
  if (
    _current?.name === name && tf.getBackend() === _tfName(name) && _current.details.blasRequested === blas &&
    _current.details.dnnlRequested === dnnl
  ) {
    return _current;
  }
  const details: BackendInfo["details"] = {};
  if (name === "wasm") {
    await import("@tensorflow/tfjs-backend-wasm");
  } else if (name === "cpu") {
    await import("@tensorflow/tfjs-backend-cpu");
  } else {
    const importer: _Importer = opts.importer ?? ((s) => import(s));
    const pkg = _NATIVE_NEEDS[name].pkg;
    try {
      await importer(pkg);
    } catch (e) {
      throw new BackendUnavailableError(nativeBackendMessage(name, e), { cause: e });
    }
  }
  const kernels = registerKernelReplacements(_tfName(name), { blas, dnnl });
  const ok = await tf.setBackend(_tfName(name));
  if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
  if (name === "wasm") {
    details.simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    details.threads = 1;
  }
  details.blasRequested = blas;
  details.dnnlRequested = dnnl;
  if (kernels.some((k) => k.endsWith(":blas"))) {
    const info = blasInfo();
    details.blas = info.version ?? info.name;
    details.blasThreads = info.threads ?? 0;
  }
  if (kernels.some((k) => k.endsWith(":dnnl"))) details.conv = describeDnnl(dnnlInfo());
  _current = { name, tfjs: tf.version_core, kernels, details };
  return _current;
}

/** The backend started last, or null. */
export function currentBackend(): BackendInfo | null {
  return _current;
}

function _tfName(name: BackendName): string {
  return name === "tensorflow" || name === "tensorflow-gpu" ? "tensorflow" : name;
}
