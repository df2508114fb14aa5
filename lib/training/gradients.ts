/**
 * Gradient definitions for the kernels the U-Net and the EDM loss use.
 *
 * `@tensorflow/tfjs-core`'s Node bundle (what Deno loads) registers no gradients: they live only in
 * its extension-less ESM files (`dist/gradients/*.js`, which Deno cannot load) and in the
 * `@tensorflow/tfjs` union bundle (which drags in tfjs-layers). So the few we need are written
 * here, following tfjs-core's own definitions, and {@link registerTrainingGradients} registers each
 * one only where no gradient is registered yet. The convolution, pooling and resize gradients run
 * the backend's gradient kernels (`Conv2DBackpropInput`, `Conv2DBackpropFilter`, `AvgPoolGrad`), so
 * the kernel replacements of lib/kernels/ apply to them. (No gradient for ResizeNearestNeighbor: the
 * cpu backend's ResizeNearestNeighborGrad 4.22.0 is wrong for batches of more than one image, so the
 * U-Net upsamples with concat + reshape instead.)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

type _Attrs = Record<string, unknown>;

/** Sum `dy` over the axes that broadcasting added to reach `shape`, then reshape to it. */
function _unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
  const r = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return tf.reshape(r, shape);
}

function _run(kernel: string, inputs: Record<string, tf.Tensor>, attrs: _Attrs): tf.Tensor {
  return tf.engine().runKernel(kernel, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function _expandReduced(dy: tf.Tensor, x: tf.Tensor, attrs: _Attrs): { dy: tf.Tensor; size: number } {
  const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
  const shape = x.shape.slice();
  let size = 1;
  for (const a of axes) {
    size *= shape[a];
    shape[a] = 1;
  }
  return { dy: tf.mul(tf.reshape(dy, shape), tf.ones(x.shape)), size };
}

const _GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: "Add",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => _unbroadcast(dy as tf.Tensor, a.shape),
      b: () => _unbroadcast(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernelName: "Sub",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => _unbroadcast(dy as tf.Tensor, a.shape),
      b: () => tf.neg(_unbroadcast(dy as tf.Tensor, b.shape)),
    }),
  },
  {
    kernelName: "Multiply",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => _unbroadcast(tf.mul(dy as tf.Tensor, b), a.shape),
      b: () => _unbroadcast(tf.mul(dy as tf.Tensor, a), b.shape),
    }),
  },
  {
    kernelName: "RealDiv",
    inputsToSave: ["a", "b"],
    gradFunc: (dy, [a, b]) => ({
      a: () => _unbroadcast(tf.div(dy as tf.Tensor, b), a.shape),
      b: () => _unbroadcast(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape),
    }),
  },
  {
    kernelName: "Neg",
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    kernelName: "Square",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x, 2)) }),
  },
  {
    kernelName: "Sqrt",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(tf.sqrt(x), 2)) }),
  },
  {
    kernelName: "Rsqrt",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.neg(tf.div(dy as tf.Tensor, tf.mul(tf.pow(x, 1.5), 2))) }),
  },
  {
    kernelName: "Exp",
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, y) }),
  },
  {
    kernelName: "Log",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.div(dy as tf.Tensor, x) }),
  },
  {
    kernelName: "Sigmoid",
    outputsToSave: [true],
    gradFunc: (dy, [y]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernelName: "Cast",
    gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }),
  },
  {
    kernelName: "Identity",
    gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }),
  },
  {
    kernelName: "Reshape",
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  {
    kernelName: "Concat",
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0];
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]), axis);
      return parts.map((t) => () => t) as unknown as ReturnType<tf.GradFunc>;
    },
  },
  {
    kernelName: "SplitV",
    gradFunc: (dy, _saved, attrs) => ({ x: () => tf.concat(dy as tf.Tensor[], attrs.axis as number) }),
  },
  {
    kernelName: "Sum",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({ x: () => _expandReduced(dy as tf.Tensor, x, attrs).dy }),
  },
  {
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      x: () => {
        const e = _expandReduced(dy as tf.Tensor, x, attrs);
        return tf.div(e.dy, e.size);
      },
    }),
  },
  {
    kernelName: "Softmax",
    outputsToSave: [true],
    gradFunc: (dy, [y], attrs) => {
      const dim = attrs.dim as number;
      return {
        logits: () => {
          const dyY = tf.mul(dy as tf.Tensor, y);
          return tf.sub(dyY, tf.mul(tf.sum(dyY, [dim], true), y));
        },
      };
    },
  },
  {
    kernelName: "BatchMatMul",
    inputsToSave: ["a", "b"],
    gradFunc: (dyIn, [a, b], attrs) => {
      const dy = dyIn as tf.Tensor;
      const tA = attrs.transposeA as boolean;
      const tB = attrs.transposeB as boolean;
      if (a.rank !== b.rank || a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join()) {
        throw new Error("BatchMatMul gradient: broadcast batch dimensions are not supported");
      }
      const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) => tf.matMul(x, y, tx, ty);
      if (!tA && !tB) return { a: () => mm(dy, b, false, true), b: () => mm(a, dy, true, false) };
      if (!tA && tB) return { a: () => mm(dy, b, false, false), b: () => mm(dy, a, true, false) };
      if (tA && !tB) return { a: () => mm(b, dy, false, true), b: () => mm(a, dy, false, false) };
      return { a: () => mm(b, dy, true, true), b: () => mm(dy, a, true, true) };
    },
  },
  {
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, [x, filter], attrs) => {
      const dil = attrs.dilations as number | [number, number];
      if (!(dil === 1 || dil === undefined || (Array.isArray(dil) && dil[0] === 1 && dil[1] === 1))) {
        throw new Error("Conv2D gradient: dilations other than 1 are not supported");
      }
      const common = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: attrs.dataFormat,
        dimRoundingMode: attrs.dimRoundingMode,
      };
      return {
        x: () =>
          _run("Conv2DBackpropInput", { dy: dy as tf.Tensor, filter }, { ...common, inputShape: x.shape }),
        filter: () =>
          _run("Conv2DBackpropFilter", { x, dy: dy as tf.Tensor }, { ...common, filterShape: filter.shape }),
      };
    },
  },
  {
    kernelName: "AvgPool",
    inputsToSave: ["x"],
    gradFunc: (dy, [x], attrs) => ({
      x: () =>
        _run("AvgPoolGrad", { dy: dy as tf.Tensor, input: x }, {
          filterSize: attrs.filterSize,
          strides: attrs.strides,
          pad: attrs.pad,
          dimRoundingMode: attrs.dimRoundingMode,
        }),
    }),
  },
];

/** The kernel names that {@link registerTrainingGradients} covers. */
export const TRAINING_GRADIENT_KERNELS: readonly string[] = _GRADIENTS.map((g) => g.kernelName);

/**
 * Register the gradients above for every kernel that has none yet (idempotent; a gradient
 * registered by someone else is left alone). Returns the kernel names registered by this call.
 */
export function registerTrainingGradients(): string[] {
  const added: string[] = [];
  for (const g of _GRADIENTS) {
    if (tf.getGradient(g.kernelName) === undefined) {
      tf.registerGradient(g);
      added.push(g.kernelName);
    }
  }
  return added;
}
