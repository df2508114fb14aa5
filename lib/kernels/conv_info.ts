/**
 * Convolution geometry shared by the conv kernel replacements (NHWC only, like tfjs' wasm backend), and
 * the Conv2D / FusedConv2D kernel configs around one forward function (BLAS and oneDNN share them).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type BackendOps, withOps } from "./backend_ops.ts";

/** Attributes common to Conv2D and its two gradient kernels. */
export interface ConvAttrs {
  /** Forward strides. */
  strides: [number, number] | number;
  /** Forward padding. */
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  /** Layout; only NHWC is supported. */
  dataFormat: "NHWC" | "NCHW";
  /** Forward dilations (the gradient kernels have none: 1). */
  dilations?: [number, number] | number;
  /** Rounding of the output size. */
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** tfjs' Conv2DInfo for an NHWC convolution, or a clear error for NCHW. */
export function convInfo(
  file: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") {
    throw new Error(`${file}: only dataFormat 'NHWC' is supported, got '${attrs.dataFormat}'`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** A forward convolution on the backend's memory: conv2d(x, filter) (+ bias), returning the kept output. */
export type ConvForward = (
  ops: BackendOps,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: ConvAttrs,
  bias?: tf.TensorInfo,
) => tf.TensorInfo;

/** The Conv2D kernel config for `backendName` (NHWC) that runs `forward`. */
export function conv2DConfig(backendName: string, forward: ConvForward): tf.KernelConfig {
  return {
    kernelName: tf.Conv2D,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      return withOps(backendName, backend, (ops) => forward(ops, x, filter, attrs as unknown as ConvAttrs));
    },
  };
}

/**
 * The FusedConv2D kernel config for `backendName` that runs `forward` for a bias with the linear
 * activation, and the backend's own FusedConv2D for everything else (activations, PReLU).
 */
export function fusedConv2DConfig(backendName: string, forward: ConvForward): tf.KernelConfig {
  return {
    kernelName: tf.FusedConv2D,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, filter, bias, preluActivationWeights } = inputs as tf.FusedConv2DInputs;
      const a = attrs as unknown as ConvAttrs & { activation?: string };
      const cout = filter.shape[3];
      const simple = (a.activation === undefined || a.activation === "linear") &&
        preluActivationWeights === undefined &&
        (bias === undefined ||
          (bias.shape.length === 1 && bias.shape[0] === cout && bias.dtype === "float32"));
      return withOps(backendName, backend, (ops) => {
        if (!simple) return ops.keep(ops.run(tf.FusedConv2D, inputs as tf.NamedTensorInfoMap, attrs));
        return forward(ops, x, filter, a, bias);
      });
    },
  };
}
