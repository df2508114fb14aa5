/**
 * hidden-gaussian's float64 machinery without TensorFlow.js: the Gaussian model of a training set and its
 * exact denoiser D_G (Theorem 1), the Wiener filter, the closed-form PF-ODE trajectory, the multi-delta
 * denoiser D_M, linear denoisers D_L (least squares and Adam distillation), the samplers, the paper's
 * metrics (eqs. 10, 11, 14 and the spectral comparison), covariance and the symmetric eigensolver, and the
 * dataset loaders. Importing this module loads no tfjs code (a test checks its module graph); the U-Net,
 * training and the result files live in mod.ts. Linear algebra runs on native OpenBLAS/LAPACK after
 * {@link loadBlas} (Deno with `--allow-ffi`), else in JavaScript, which {@link fitGaussian} says once on
 * stderr. Notation and formulas: docs/paper.md.
 *
 * @example
 * ```ts
 * import { fitGaussian, gaussianDenoiser, loadBlas, loadImages } from "./gaussian.ts";
 * loadBlas(); // native OpenBLAS when installed; one line on stderr otherwise
 * const train = await loadImages("mnist", "train", { n: 1000, size: 16 }); // only 1000 images to float64
 * const DG = gaussianDenoiser(fitGaussian(train));
 * const clean = DG(train, 0.5); // synchronous
 * ```
 *
 * @module
 */

export * from "./lib/types.ts";
export * from "./lib/rng.ts";
export * from "./lib/progress.ts";

export * from "./lib/data/idx.ts";
export * from "./lib/data/cifar10.ts";
export * from "./lib/data/pngdir.ts";
export * from "./lib/data/datasets.ts";
export * from "./lib/data/images.ts";
export * from "./lib/data/transform.ts";
export * from "./lib/data/pixels.ts";

export * from "./lib/linalg/gemm.ts";
export * from "./lib/linalg/blas.ts";
export * from "./lib/linalg/covariance.ts";
export * from "./lib/linalg/eigh.ts";

export * from "./lib/denoisers/gaussian.ts";
export * from "./lib/denoisers/multi_delta.ts";
export * from "./lib/denoisers/linear.ts";

export * from "./lib/sampling/schedule.ts";
export * from "./lib/sampling/samplers.ts";
export * from "./lib/sampling/hybrid.ts";

export * from "./lib/metrics/probes.ts";
export * from "./lib/metrics/score_difference.ts";
export * from "./lib/metrics/linearity.ts";
export * from "./lib/metrics/generalization.ts";
export * from "./lib/metrics/spectral.ts";
