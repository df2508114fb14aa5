/**
 * Calling a backend's own kernels from inside a replacement kernel, on `TensorInfo`s, without the
 * engine (so nothing is recorded on the gradient tape and no tensors are tracked), plus raw float32
 * views of a tensor's memory for the kernels that compute in JavaScript or native BLAS.
 *
 * Memory: on wasm a tensor lives in the WebAssembly heap and a view is a `Float32Array` over that
 * heap; any allocation may grow (and so detach) the heap, so allocate all outputs first and take
 * views afterwards. On cpu the data are plain `Float32Array`s.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { originalKernel } from "./registry.ts";

// deno-lint-ignore no-explicit-any
type _AnyBackend = any;

/** Kernel calls and memory access on one backend instance (see the module doc). */
export class BackendOps {
  /** Every intermediate made through {@link BackendOps.run} / {@link BackendOps.alloc}, for disposal. */
  private readonly _temps: tf.TensorInfo[] = [];

  /** The backend instance. */
  readonly backend: tf.KernelBackend;

  /** Operations on `backend` (as a kernel receives it), which is registered under `backendName`. */
  constructor(readonly backendName: string, backend: object) {
    this.backend = backend as tf.KernelBackend;
  }

  /** Run the backend's own kernel `kernelName`; the result is an intermediate unless {@link keep}. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    return this.runAll(kernelName, inputs, attrs)[0];
  }

  /** {@link run} for kernels with several outputs (all intermediates unless kept). */
  runAll(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo[] {
    const cfg = originalKernel(kernelName, this.backendName);
    if (cfg === null) {
      throw new Error(
        `lib/kernels/backend_ops.ts: backend '${this.backendName}' has no kernel '${kernelName}'`,
      );
    }
    const out = cfg.kernelFunc({ inputs, attrs, backend: this.backend });
    const infos = Array.isArray(out) ? out : [out];
    this._temps.push(...infos);
    return infos;
  }

  /** A new float32 tensor of `shape` (zero-filled when `zero`); an intermediate unless {@link keep}. */
  alloc(shape: number[], zero = false): tf.TensorInfo {
    const be = this.backend as _AnyBackend;
    let info: tf.TensorInfo;
    if (typeof be.typedArrayFromHeap === "function") {
      info = be.makeOutput(shape, "float32");
      if (zero) be.typedArrayFromHeap(info).fill(0);
    } else if (typeof be.makeTensorInfo === "function") {
      info = be.makeTensorInfo(shape, "float32", new Float32Array(tf.util.sizeFromShape(shape)));
    } else {
      throw new Error(`lib/kernels/backend_ops.ts: cannot allocate on backend '${this.backendName}'`);
    }
    this._temps.push(info);
    return info;
  }

  /**
   * A float32 view of `info`'s data (no copy). On wasm it is invalidated by the next allocation:
   * take views only after the last {@link alloc} / {@link run} of a computation.
   */
  view(info: tf.TensorInfo): Float32Array {
    if (info.dtype !== "float32") {
      throw new Error(`lib/kernels/backend_ops.ts: expected a float32 tensor, got ${info.dtype}`);
    }
    const be = this.backend as _AnyBackend;
    if (typeof be.typedArrayFromHeap === "function") return be.typedArrayFromHeap(info);
    const vals = be.data?.get(info.dataId)?.values;
    if (!(vals instanceof Float32Array)) {
      throw new Error(`lib/kernels/backend_ops.ts: no float32 data for a tensor on '${this.backendName}'`);
    }
    return vals;
  }

  /** Mark `info` as the kernel's output (not disposed by {@link disposeTemps}); returns it. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    const i = this._temps.indexOf(info);
    if (i >= 0) this._temps.splice(i, 1);
    return info;
  }

  /** Dispose every intermediate not kept. */
  disposeTemps(): void {
    for (const t of this._temps) this.backend.disposeData(t.dataId);
    this._temps.length = 0;
  }

  /** Reshape (shares data). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Transpose by `perm`. */
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  /**
   * Zero-pad (positive) or crop (negative) each axis: `edges[a] = [before, after]`. Uses the
   * backend's Slice and PadV2 kernels; a no-op edge list returns `x` itself.
   */
  padOrCrop(x: tf.TensorInfo, edges: [number, number][]): tf.TensorInfo {
    let cur = x;
    if (edges.some(([b, a]) => b < 0 || a < 0)) {
      const begin = edges.map(([b]) => Math.max(0, -b));
      const size = edges.map(([b, a], i) => x.shape[i] - Math.max(0, -b) - Math.max(0, -a));
      cur = this.run("Slice", { x: cur }, { begin, size });
    }
    if (edges.some(([b, a]) => b > 0 || a > 0)) {
      const paddings = edges.map(([b, a]) => [Math.max(0, b), Math.max(0, a)]);
      cur = this.run("PadV2", { x: cur }, { paddings, constantValue: 0 });
    }
    return cur;
  }
}

/** Run `body` with a fresh {@link BackendOps}; intermediates are disposed even when it throws. */
export function withOps<T>(backendName: string, backend: object, body: (ops: BackendOps) => T): T {
  const ops = new BackendOps(backendName, backend);
  try {
    return body(ops);
  } finally {
    ops.disposeTemps();
  }
}
