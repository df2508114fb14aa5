/**
 * Optional oneDNN (Debian `libdnnl2`, `libdnnl.so.2`, v2.x C API) through Deno FFI: the few calls the
 * convolution kernels need (dnnl_conv.ts), with every status checked.
 *
 * The v2 C API passes everything through pointers: memory descriptors and operation descriptors are
 * structs the caller allocates ({@link MD_BYTES}, {@link CONV_DESC_BYTES}: sizes in oneDNN 2.6's
 * dnnl_types.h, over-allocated here), handles (engine, stream, primitive, memory) are opaque pointers
 * returned through out-parameters. Only the runtime library is needed: enum values are copied below
 * from dnnl_types.h (2.6.3).
 *
 * Needs `--allow-ffi`; {@link loadDnnl} in `"auto"` mode prints one notice line on stderr when the
 * library cannot be loaded and leaves it unused.
 *
 * Threads: Debian's build uses OpenMP (libgomp), one thread per core unless `OMP_NUM_THREADS` or
 * {@link setDnnlThreads} says otherwise. On a machine shared with other busy processes, OpenMP's barriers
 * wait for a descheduled thread: one thread (like `bench/train_bench.ts --paths dnnl-1t`) is then the
 * safer choice.
 *
 * @module
 */

/** How {@link loadDnnl} treats the library. */
export type DnnlMode = "auto" | "off";

/** Provenance of the convolution library, for result files. */
export interface DnnlInfo {
  /** `"onednn"` when loaded and in use, `"none"` otherwise. */
  name: "onednn" | "none";
  /** `major.minor.patch (commit)` from `dnnl_version()`. */
  version?: string;
  /** Instruction set oneDNN's JIT chose at run time (`dnnl_get_effective_cpu_isa()`), e.g. `avx2`. */
  isa?: string;
  /** Threads its primitives use (OpenMP). */
  threads?: number;
  /** Path or soname the library was opened from. */
  path?: string;
}

/** One line for provenance: `none`, or `onednn <version>, <isa>, <threads> thread(s), <path>`. */
export function describeDnnl(info: DnnlInfo): string {
  if (info.name === "none") return "none";
  return `onednn ${info.version ?? "?"}, ${info.isa ?? "?"}, ${info.threads ?? "?"} thread(s), ${
    info.path ?? "?"
  }`;
}

/** The default library name, resolved by the dynamic loader. */
export const DEFAULT_DNNL_PATH = "libdnnl.so.2";

/** Bytes reserved for a `dnnl_memory_desc_t` (696 in 2.6). */
export const MD_BYTES = 1024;
/** Bytes reserved for a `dnnl_convolution_desc_t` (5976 in 2.6). */
export const CONV_DESC_BYTES = 8192;

/** dnnl_types.h constants used by the kernels (oneDNN 2.6). */
export const DNNL = {
  f32: 3,
  formatAny: 1,
  /** `dnnl_format_tag_t` for a 1-D (bias) tensor. */
  formatA: 2,
  forwardTraining: 64,
  forwardInference: 96,
  convolutionDirect: 1,
  queryImplInfoStr: 8,
  querySrcMd: 129,
  queryDiffSrcMd: 130,
  queryWeightsMd: 131,
  queryDiffWeightsMd: 132,
  queryDstMd: 133,
  queryDiffDstMd: 134,
  argSrc: 1,
  argDst: 17,
  argWeights: 33,
  argBias: 41,
  argDiffSrc: 129,
  argDiffDst: 145,
  argDiffWeights: 161,
  argDiffBias: 169,
} as const;

const _STATUS = [
  "success",
  "out_of_memory",
  "invalid_arguments",
  "unimplemented",
  "iterator_ends",
  "runtime_error",
  "not_required",
];

const _ISA: Record<number, string> = {
  0x0: "all",
  0x1: "sse41",
  0x3: "avx",
  0x7: "avx2",
  0xf: "avx512_mic",
  0x1f: "avx512_mic_4ops",
  0x27: "avx512_core",
  0x67: "avx512_core_vnni",
  0xe7: "avx512_core_bf16",
  0x3e7: "avx512_core_amx",
  0x407: "avx2_vnni",
};

const _SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_get_effective_cpu_isa: { parameters: [], result: "i32" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_strides: {
    parameters: ["buffer", "i32", "buffer", "i32", "buffer"],
    result: "i32",
  },
  dnnl_memory_desc_init_by_tag: { parameters: ["buffer", "i32", "buffer", "i32", "i32"], result: "i32" },
  dnnl_memory_desc_equal: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["pointer"], result: "usize" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["pointer"], result: "i32" },
} as const;

type _Lib = Deno.DynamicLibrary<typeof _SYMBOLS>;

let _lib: _Lib | null = null;
let _path: string | undefined;
let _active = false;
let _engine: Deno.PointerValue = null;
let _stream: Deno.PointerValue = null;
const _noticed = new Set<string>();

/**
 * Load oneDNN (or not). `"auto"`: open `path` (default `libdnnl.so.2`) and create a CPU engine and
 * stream; on failure print one notice on stderr (once per path) and leave it unused. `"off"`: stop
 * using it (the library stays open). Returns {@link dnnlInfo}.
 */
export function loadDnnl(mode: DnnlMode = "auto", path?: string): DnnlInfo {
  if (mode === "off") {
    _active = false;
    return dnnlInfo();
  }
  if (mode !== "auto") {
    throw new TypeError(`lib/kernels/dnnl.ts: unknown oneDNN mode "${mode}" (use "auto" or "off")`);
  }
  if (_lib !== null && (path === undefined || path === _path)) {
    _active = true;
    return dnnlInfo();
  }
  const target = path ?? DEFAULT_DNNL_PATH;
  try {
    if (typeof Deno === "undefined" || typeof Deno.dlopen !== "function") {
      throw new Error("Deno.dlopen is not available in this runtime");
    }
    const lib = Deno.dlopen(target, _SYMBOLS);
    const out = new BigUint64Array(1);
    _check(lib.symbols.dnnl_engine_create(out, 1, 0n), "dnnl_engine_create");
    const engine = Deno.UnsafePointer.create(out[0]);
    _check(lib.symbols.dnnl_stream_create(out, engine, 1), "dnnl_stream_create");
    _lib?.close();
    _lib = lib;
    _engine = engine;
    _stream = Deno.UnsafePointer.create(out[0]);
    _path = target;
    _active = true;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (!_noticed.has(target)) {
      _noticed.add(target);
      console.error(
        `hidden-gaussian: oneDNN unavailable (${why}); convolutions use OpenBLAS or the portable kernels ` +
          `(apt-get install libdnnl2).`,
      );
    }
    _active = false;
  }
  return dnnlInfo();
}

/** Whether oneDNN is loaded and in use. */
export function dnnlLoaded(): boolean {
  return _lib !== null && _active;
}

/** Provenance: version, effective ISA and path (or `{name: "none"}`). */
export function dnnlInfo(): DnnlInfo {
  if (!dnnlLoaded()) return { name: "none" };
  const s = _lib!.symbols;
  const v = new Deno.UnsafePointerView(s.dnnl_version()!);
  const hashPtr = v.getPointer(16);
  const commit = hashPtr === null ? "N/A" : Deno.UnsafePointerView.getCString(hashPtr);
  const hash = commit === "N/A" || commit === "" ? "" : ` (${commit.slice(0, 10)})`;
  const isa = s.dnnl_get_effective_cpu_isa();
  return {
    name: "onednn",
    version: `${v.getInt32(0)}.${v.getInt32(4)}.${v.getInt32(8)}${hash}`,
    isa: _ISA[isa] ?? `isa 0x${isa.toString(16)}`,
    threads: dnnlThreads(),
    path: _path,
  };
}

const _GOMP = {
  omp_set_num_threads: { parameters: ["i32"], result: "void" },
  omp_get_max_threads: { parameters: [], result: "i32" },
} as const;
let _gomp: Deno.DynamicLibrary<typeof _GOMP> | null | undefined;

/** OpenMP (`libgomp.so.1`, oneDNN's threading runtime in Debian's build), or null when absent. */
function _openmp(): Deno.DynamicLibrary<typeof _GOMP> | null {
  if (_gomp === undefined) {
    try {
      _gomp = Deno.dlopen("libgomp.so.1", _GOMP);
    } catch {
      _gomp = null;
    }
  }
  return _gomp;
}

/**
 * Set the number of threads oneDNN's primitives use (OpenMP's `omp_set_num_threads` for the calling
 * thread, which runs every primitive); no-op without the library.
 */
export function setDnnlThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`lib/kernels/dnnl.ts: thread count must be a positive integer, got ${threads}`);
  }
  if (dnnlLoaded()) _openmp()?.symbols.omp_set_num_threads(threads);
}

/** Threads oneDNN's primitives use (`omp_get_max_threads()`), or undefined when unknown. */
export function dnnlThreads(): number | undefined {
  return dnnlLoaded() ? _openmp()?.symbols.omp_get_max_threads() : undefined;
}

/** The loaded library's symbols; throws when oneDNN is not loaded. */
export function dnnl(): _Lib["symbols"] {
  if (!dnnlLoaded()) throw new Error("lib/kernels/dnnl.ts: oneDNN is not loaded (call loadDnnl first)");
  return _lib!.symbols;
}

/** The CPU engine and in-order stream made by {@link loadDnnl}. */
export function dnnlEngine(): { engine: Deno.PointerValue; stream: Deno.PointerValue } {
  dnnl();
  return { engine: _engine, stream: _stream };
}

/** Throw a clear error when a oneDNN call did not return `dnnl_success`. */
export function check(status: number, what: string): void {
  _check(status, what);
}

function _check(status: number, what: string): void {
  if (status !== 0) {
    throw new Error(`lib/kernels/dnnl.ts: ${what} failed: dnnl_${_STATUS[status] ?? `status ${status}`}`);
  }
}

/** A `dnnl_dims_t` (12 × int64) holding `values`. */
export function dims(values: number[]): BigInt64Array {
  const d = new BigInt64Array(12);
  values.forEach((v, i) => (d[i] = BigInt(v)));
  return d;
}

/** A float32 memory descriptor with logical `shape` and element `strides` (a dense view of a buffer). */
export function mdStrided(shape: number[], strides: number[]): Uint8Array {
  const md = new Uint8Array(MD_BYTES);
  check(
    dnnl().dnnl_memory_desc_init_by_strides(md, shape.length, dims(shape), DNNL.f32, dims(strides)),
    `dnnl_memory_desc_init_by_strides [${shape}] / [${strides}]`,
  );
  return md;
}

/** A float32 memory descriptor with logical `shape` and format tag `tag` (e.g. {@link DNNL.formatAny}). */
export function mdTagged(shape: number[], tag: number): Uint8Array {
  const md = new Uint8Array(MD_BYTES);
  check(
    dnnl().dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DNNL.f32, tag),
    `dnnl_memory_desc_init_by_tag [${shape}]`,
  );
  return md;
}

/** Read an out-parameter pointer written by oneDNN. */
export function outPointer(out: BigUint64Array, what: string): Deno.PointerObject {
  const p = Deno.UnsafePointer.create(out[0]);
  if (p === null) throw new Error(`lib/kernels/dnnl.ts: ${what} returned a null handle`);
  return p;
}

/** Primitive descriptor for an operation descriptor (`hint`: the forward pd for backward passes). */
export function primitiveDesc(opDesc: Uint8Array, hint: Deno.PointerValue, what: string): Deno.PointerObject {
  const out = new BigUint64Array(1);
  check(
    dnnl().dnnl_primitive_desc_create(out, opDesc, null, _engine, hint),
    `dnnl_primitive_desc_create (${what})`,
  );
  return outPointer(out, what);
}

/** The primitive of a primitive descriptor. */
export function primitive(pd: Deno.PointerObject, what: string): Deno.PointerObject {
  const out = new BigUint64Array(1);
  check(dnnl().dnnl_primitive_create(out, pd), `dnnl_primitive_create (${what})`);
  return outPointer(out, what);
}

/** A memory object on the engine for descriptor `md` (a pointer or a {@link mdStrided} buffer). */
export function memory(md: Deno.PointerValue, handle: Deno.PointerValue, what: string): Deno.PointerObject {
  const out = new BigUint64Array(1);
  check(dnnl().dnnl_memory_create(out, md, _engine, handle), `dnnl_memory_create (${what})`);
  return outPointer(out, what);
}

/** `DNNL_MEMORY_ALLOCATE`: the library allocates the buffer of a memory object it then owns. */
export function allocate(): Deno.PointerValue {
  return Deno.UnsafePointer.create(0xffffffffffffffffn);
}

/** The implementation oneDNN chose for `pd` (e.g. `jit:avx2`). */
export function implInfo(pd: Deno.PointerObject): string {
  const out = new BigUint64Array(1);
  check(dnnl().dnnl_primitive_desc_query(pd, DNNL.queryImplInfoStr, 0, out), "impl_info_str query");
  const p = Deno.UnsafePointer.create(out[0]);
  return p === null ? "?" : Deno.UnsafePointerView.getCString(p);
}
