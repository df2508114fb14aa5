/**
 * The WebGPU adapter behind `--backend webgpu` (tfjs-backend-webgpu under Deno's built-in WebGPU):
 * find it the way tfjs-backend-webgpu does (`navigator.gpu.requestAdapter` with the high-performance
 * preference), describe it for a result's provenance, and say clearly when there is none.
 *
 * On a machine without a GPU, Mesa's software adapters serve: lavapipe (Vulkan, Debian's
 * `mesa-vulkan-drivers`) or llvmpipe (GL); they are correct but far too slow to train on. Deno picks
 * the native API itself; `DENO_WEBGPU_BACKEND=vulkan|gl|metal|dx12` forces one.
 *
 * @module
 */

/** What is known of the adapter tfjs-backend-webgpu runs on. */
export interface WebGpuAdapterInfo {
  /** Vendor (a name or a PCI/Khronos vendor id as text; `65541` is Mesa). */
  vendor: string;
  /** Architecture (often empty). */
  architecture: string;
  /** Device id or name (often `0` for software adapters). */
  device: string;
  /** Driver's description, e.g. `NVIDIA H100` or `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  description: string;
  /** True for a software (fallback) adapter such as llvmpipe or lavapipe. */
  fallback: boolean;
  /** `DENO_WEBGPU_BACKEND` when set (the native API Deno was told to use), else `""`. */
  denoBackend: string;
  /** The adapter's `maxStorageBufferBindingSize` (bytes): the largest tensor one kernel can bind. */
  maxStorageBufferBindingSize: number;
  /** The adapter's `maxBufferSize` (bytes). */
  maxBufferSize: number;
}

/** The part of `navigator.gpu` this module uses (replaceable in tests). */
export interface GpuLike {
  /** As `GPU.requestAdapter`. */
  requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null>;
}

/** The message when no WebGPU adapter is found; `why` says what was tried and failed. */
export function noAdapterMessage(why: string): string {
  return [
    `backend 'webgpu' is not available: ${why}.`,
    `  tfjs-backend-webgpu needs a WebGPU adapter from Deno (built in, no flags): a GPU with a Vulkan,`,
    `  Metal or DX12 driver, or on a CPU-only Linux machine Mesa's software adapter (Debian/Ubuntu:`,
    `  apt-get install mesa-vulkan-drivers; slow, for tests only). DENO_WEBGPU_BACKEND=vulkan|gl chooses`,
    `  the native API. Or use the default CPU path: --backend wasm.`,
  ].join("\n");
}

/** Thrown by {@link findWebGpuAdapter} when there is no adapter; the message says what to install. */
export class NoWebGpuAdapterError extends Error {
  /** Make the error from {@link noAdapterMessage}'s `why`. */
  constructor(why: string, options?: ErrorOptions) {
    super(noAdapterMessage(why), options);
    this.name = "NoWebGpuAdapterError";
  }
}

/**
 * The adapter tfjs-backend-webgpu will pick (high-performance preference), described; throws
 * {@link NoWebGpuAdapterError} when `navigator.gpu` is missing or offers no adapter.
 *
 * @example
 * ```ts
 * const a = await findWebGpuAdapter();
 * console.log(`${a.description}${a.fallback ? " (software)" : ""}`);
 * ```
 */
export async function findWebGpuAdapter(gpu?: GpuLike | null): Promise<WebGpuAdapterInfo> {
  const g = gpu === undefined ? (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu ?? null : gpu;
  if (g === null) throw new NoWebGpuAdapterError("this runtime has no navigator.gpu");
  let adapter: GPUAdapter | null;
  try {
    adapter = await g.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new NoWebGpuAdapterError(`navigator.gpu.requestAdapter() failed (${why})`, { cause: e });
  }
  if (adapter === null) throw new NoWebGpuAdapterError("navigator.gpu.requestAdapter() found no adapter");
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean; description?: string };
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    fallback: Boolean(info.isFallbackAdapter ?? legacy ?? false),
    denoBackend: _env("DENO_WEBGPU_BACKEND"),
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** One line for provenance and logs, e.g. `llvmpipe (LLVM 15.0.6, 256 bits), vendor 65541, software adapter`. */
export function describeAdapter(a: WebGpuAdapterInfo): string {
  const parts = [a.description || "(no description)", `vendor ${a.vendor || "?"}`];
  if (a.architecture) parts.push(`architecture ${a.architecture}`);
  if (a.device && a.device !== "0") parts.push(`device ${a.device}`);
  parts.push(a.fallback ? "software (fallback) adapter" : "hardware adapter");
  if (a.denoBackend) parts.push(`DENO_WEBGPU_BACKEND=${a.denoBackend}`);
  return parts.join(", ");
}

function _env(name: string): string {
  try {
    return Deno.env.get(name) ?? "";
  } catch {
    return ""; // no --allow-env: not recorded
  }
}
