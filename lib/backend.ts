/**
 * Choosing and starting a TensorFlow.js backend.
 *
 * - `wasm` (default): tfjs-backend-wasm with SIMD, single-threaded under Deno; its `.wasm` files are
 *   loaded from beside its own module inside node_modules, wherever the project is cloned.
 * - `cpu`: the pure-JavaScript backend (slow; a reference).
 * - `webgpu`: tfjs-backend-webgpu on Deno's built-in WebGPU (lib/webgpu.ts finds and describes the
 *   adapter; with none, {@link initBackend} throws a {@link BackendUnavailableError}). The GPU path
 *   (the `paper` profile's); no kernel replacements; its GroupNorm is the composed tfjs ops.
 * - `tensorflow`, `tensorflow-gpu`: `@tensorflow/tfjs-node(-gpu)`, not in deno.json's import map (so `deno
 *   install` does not fetch them or warn about their build scripts), imported by full `npm:` specifier
 *   only when asked for. Their native addon is downloaded by an install script that cannot run on our
 *   machines, so importing them fails; {@link initBackend} then throws a {@link BackendUnavailableError} saying what is missing.
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
import { describeAdapter, findWebGpuAdapter, type GpuLike, NoWebGpuAdapterError } from "./webgpu.ts";
import { describeDnnl, dnnlInfo } from "./kernels/dnnl.ts";

/** Backends selectable with `--backend`. */
export const BACKENDS = ["wasm", "cpu", "webgpu", "tensorflow", "tensorflow-gpu"] as const;

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

/**
 * The optional native packages. They are deliberately absent from deno.json's import map, so `deno install`
 * neither fetches them nor warns about their build scripts; the full `npm:` specifier below is resolved
 * (and the package fetched) only when such a backend is asked for.
 */
const _NATIVE_NEEDS: Record<
  "tensorflow" | "tensorflow-gpu",
  { pkg: string; specifier: string; needs: string }
> = {
  "tensorflow": {
    pkg: "@tensorflow/tfjs-node",
    specifier: "npm:@tensorflow/tfjs-node@4.22.0",
    needs: "libtensorflow 2.9.1 (CPU)",
  },
  "tensorflow-gpu": {
    pkg: "@tensorflow/tfjs-node-gpu",
    specifier: "npm:@tensorflow/tfjs-node-gpu@4.22.0",
    needs: "libtensorflow 2.9.1 built for GPU, CUDA 11.2 and cuDNN 8.1",
  },
};

/** The message for a native backend whose import failed (exported for tests). */
export function nativeBackendMessage(name: "tensorflow" | "tensorflow-gpu", cause: unknown): string {
  const { pkg, needs } = _NATIVE_NEEDS[name];
  const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  const lines = [
    `backend '${name}' is not available: ${pkg}'s native addon (tfjs_binding.node) could not be loaded.`,
    `  cause: ${why}`,
    `  It needs ${needs}; its npm install script downloads the addon from outside the npm registry, which`,
    `  cannot run here. Build it (npm rebuild ${pkg} --build-addon-from-source) on a machine that has`,
    `  ${needs}, or use the default: --backend wasm.`,
  ];
  if (name === "tensorflow-gpu") {
    lines.push(
      `  For a GPU without CUDA or libtensorflow, use --backend webgpu (tfjs-backend-webgpu on Deno's WebGPU).`,
    );
  }
  return lines.join("\n");
}

type _Importer = (specifier: string) => Promise<unknown>;

let _current: BackendInfo | null = null;

/**
 * Start backend `name` (default `wasm`) and return what was started. `blas` (default false) asks for
 * the native BLAS kernels, `dnnl` (default: `blas`) oneDNN convolutions in that set; `importer` and `gpu` are for tests: they replace the dynamic import of the
 * native packages and `navigator.gpu`.
 *
 * @example
 * ```ts
 * import { initBackend } from "../mod.ts";
 * const info = await initBackend("wasm"); // tfjs on WebAssembly SIMD with the project's kernel replacements
 * ```
 */
export async function initBackend(
  name: BackendName = "wasm",
  opts: { importer?: _Importer; blas?: boolean; dnnl?: boolean; gpu?: GpuLike | null } = {},
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
  } else if (name === "webgpu") {
    try {
      const a = await findWebGpuAdapter(opts.gpu);
      details.adapter = describeAdapter(a);
      details.adapterFallback = a.fallback;
    } catch (e) {
      if (e instanceof NoWebGpuAdapterError) throw new BackendUnavailableError(e.message, { cause: e });
      throw e;
    }
    // Imported only now: it registers itself with the highest priority of all backends.
    await import("@tensorflow/tfjs-backend-webgpu");
  } else {
    const importer: _Importer = opts.importer ?? ((s) => import(s));
    try {
      await importer(_NATIVE_NEEDS[name].specifier);
    } catch (e) {
      throw new BackendUnavailableError(nativeBackendMessage(name, e), { cause: e });
    }
  }
  const kernels = registerKernelReplacements(_tfName(name), { blas, dnnl });
  const ok = await tf.setBackend(_tfName(name));
  if (!ok) {
    const on = typeof details.adapter === "string" ? ` on adapter ${details.adapter}` : "";
    throw new Error(`backend '${name}' failed to initialise${on} (tfjs printed the cause above)`);
  }
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

/**
 * One line describing a started backend for a result's provenance, e.g. `wasm (14 kernel replacements)`
 * or `webgpu (0 kernel replacements; adapter llvmpipe (…), vendor 65541, software (fallback) adapter)`.
 */
export function describeBackend(info: BackendInfo): string {
  const blas = info.kernels.some((k) => k.endsWith(":blas")) ? ", native BLAS kernels" : "";
  const adapter = typeof info.details.adapter === "string" ? `; adapter ${info.details.adapter}` : "";
  const conv = info.details.conv ? `, convolutions: ${info.details.conv}` : "";
  return `${info.name} (${info.kernels.length} kernel replacements${blas}${conv}${adapter})`;
}

/** The backend started last, or null. */
export function currentBackend(): BackendInfo | null {
  return _current;
}

function _tfName(name: BackendName): string {
  return name === "tensorflow" || name === "tensorflow-gpu" ? "tensorflow" : name;
}
