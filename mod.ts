/**
 * hidden-gaussian: a reproduction of Li, Dai, Qu, "Understanding Generalizability of Diffusion Models
 * Requires Rethinking the Hidden Gaussian Structure" (NeurIPS 2024), in Deno and TensorFlow.js.
 *
 * The public API, by room:
 * - shapes and randomness: {@link Batch}, {@link Denoiser}, {@link Rng}, {@link sampleNoise};
 * - data: {@link loadImages} (a block of images, cheap), {@link loadDataset} (a whole split; MNIST,
 *   Fashion-MNIST), {@link parseIdx}, {@link loadCifar10}, {@link loadPngDir}, {@link resizeArea}, {@link seededSubset}, {@link disjointHalves};
 * - linear algebra: {@link covariance}, {@link eigh}, {@link gemm}, {@link loadBlas};
 * - denoisers: {@link fitGaussian}, {@link gaussianDenoiser} (D_G), {@link wienerMatrix},
 *   {@link gaussianTrajectory}, {@link multiDeltaDenoiser} (D_M), {@link linearDenoiser} (D_L),
 *   {@link distillLinear}, {@link leastSquaresLinear}, {@link edmPrecond}, the U-Net and training;
 * - sampling: {@link edmSchedule}, {@link eulerSampler}, {@link heunSampler},
 *   {@link gaussianTeleportSampler};
 * - metrics: {@link scoreDifference} (eq. 10), {@link linearityScore} (eq. 11),
 *   {@link generalizationScore} (eq. 14), {@link wienerNMSE}, {@link singularVectorAlignment};
 * - results: {@link buildResult}, {@link writeResult}, {@link compareResults}, figures.
 *
 * The float64 part alone (data, linear algebra, D_G, D_M, D_L, samplers, metrics) is gaussian.ts
 * (`./gaussian` in deno.json's exports), which loads no TensorFlow.js.
 *
 * @example
 * ```ts
 * import { fitGaussian, gaussianDenoiser, loadBlas, loadImages } from "./mod.ts";
 * loadBlas(); // native OpenBLAS when installed; one line on stderr otherwise
 * const train = await loadImages("mnist", "train", { n: 1000, size: 16 }); // only 1000 images to float64
 * const DG = gaussianDenoiser(fitGaussian(train));
 * const clean = DG(train, 0.5); // D_G is synchronous
 * ```
 *
 * @module
 */

export * from "./lib/types.ts";
export * from "./lib/rng.ts";
export * from "./lib/backend.ts";
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
export * from "./lib/denoisers/edm.ts";
export * from "./lib/denoisers/unet.ts";

export * from "./lib/sampling/schedule.ts";
export * from "./lib/sampling/samplers.ts";
export * from "./lib/sampling/hybrid.ts";

export * from "./lib/metrics/probes.ts";
export * from "./lib/metrics/score_difference.ts";
export * from "./lib/metrics/linearity.ts";
export * from "./lib/metrics/generalization.ts";
export * from "./lib/metrics/spectral.ts";

export * from "./lib/results/schema.ts";
export * from "./lib/results/canonical.ts";
export * from "./lib/results/provenance.ts";
export * from "./lib/results/io.ts";
export * from "./lib/results/build.ts";
export * from "./lib/results/compare.ts";
export * from "./lib/results/figures.ts";
export * from "./lib/results/frozen.ts";

export * from "./lib/training/loss.ts";
export * from "./lib/training/train.ts";
export * from "./lib/training/checkpoint.ts";
export * from "./lib/training/cache.ts";
export * from "./lib/training/model.ts";
export * from "./lib/training/shipped.ts";
