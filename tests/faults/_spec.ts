/**
 * The tiny model the training fault tests train (MNIST 8×8, C = 4, a few steps), and its data.
 *
 * @module
 */
import type { ImageSet } from "../../lib/types.ts";
import { loadDataset } from "../../lib/data/datasets.ts";
import { firstN, resizeArea } from "../../lib/data/transform.ts";
import type { ModelSpec } from "../../lib/training/model.ts";
import { trainConfig } from "../../lib/training/train.ts";

/** The spec: 32 images at 8×8, C = 4, 12 steps of batch 8, a snapshot at step 6. */
export const TRAIN_SPEC: ModelSpec = {
  data: { dataset: "mnist", split: "train", resolution: 8, subset: { rule: "first", n: 32 } },
  net: { resolution: 8, channels: 1, baseChannels: 4, attention: false, dropout: 0 },
  train: trainConfig({ seed: 11, steps: 12, batchSize: 8, warmupImages: 16 }),
  snapshotSteps: [6],
};

/** Its training images. */
export async function trainData(): Promise<ImageSet> {
  return resizeArea(firstN(await loadDataset("mnist", "train"), 32), 8);
}
