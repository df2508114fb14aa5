/**
 * Convolution geometry shared by the conv kernel replacements (NHWC only, like tfjs' wasm backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

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
