/**
 * Reader for the CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`)
 * that users download themselves. Each record is 3073 bytes: one label byte (0–9), then a 32×32
 * image as 1024 red, 1024 green and 1024 blue bytes (channels-first, CHW, rows top to bottom).
 * The reader transposes to the library's channels-last (HWC) layout and scales to [-1, 1].
 *
 * @module
 */

import type { ImageSet } from "../types.ts";
import { bytesToUnit } from "./pixels.ts";

/** Side length of a CIFAR-10 image. */
export const CIFAR10_SIZE = 32;
/** Bytes of one CIFAR-10 record: 1 label byte + 3 × 32 × 32 pixel bytes. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * CIFAR10_SIZE * CIFAR10_SIZE;
/** CIFAR-10 class names, by label. */
export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;

/** Decode one CIFAR-10 binary batch (bytes of a file named `fileName`) into an HWC {@link ImageSet}. */
export function parseCifar10(bytes: Uint8Array, fileName: string, name = "cifar10"): ImageSet {
  return _decode([{ bytes, fileName }], name);
}

/** Read CIFAR-10 binary batch files and concatenate them, in the order given, into one {@link ImageSet}. */
export async function loadCifar10(paths: string[], name = "cifar10"): Promise<ImageSet> {
  if (paths.length === 0) throw new Error("loadCifar10: no batch files given");
  const files = [];
  for (const fileName of paths) {
    try {
      files.push({ bytes: await Deno.readFile(fileName), fileName });
    } catch (e) {
      throw new Error(`${fileName}: cannot read: ${(e as Error).message}`);
    }
  }
  return _decode(files, name);
}

function _decode(files: { bytes: Uint8Array; fileName: string }[], name: string): ImageSet {
  const R = CIFAR10_RECORD_BYTES;
  const plane = CIFAR10_SIZE * CIFAR10_SIZE;
  let n = 0;
  for (const { bytes, fileName } of files) {
    if (bytes.length === 0) {
      throw new Error(`${fileName}: empty file, expected CIFAR-10 records of ${R} bytes`);
    }
    if (bytes.length % R !== 0) {
      throw new Error(
        `${fileName}: length ${bytes.length} is not a multiple of ${R} (1 label byte + 3072 pixel bytes): ` +
          `${Math.floor(bytes.length / R)} whole records and ${bytes.length % R} bytes left over ` +
          `(CIFAR-100 records have 2 label bytes and are not read here)`,
      );
    }
    n += bytes.length / R;
  }
  const d = 3 * plane;
  const hwc = new Uint8Array(n * d);
  const labels = new Uint8Array(n);
  let k = 0;
  for (const { bytes, fileName } of files) {
    for (let r = 0; r * R < bytes.length; r++, k++) {
      const o = r * R;
      const label = bytes[o];
      if (label >= CIFAR10_CLASSES.length) {
        throw new Error(
          `${fileName}: record ${r} has label ${label}, expected 0–9 (is this a CIFAR-10 batch?)`,
        );
      }
      labels[k] = label;
      const dst = k * d;
      for (let p = 0; p < plane; p++) {
        hwc[dst + 3 * p] = bytes[o + 1 + p];
        hwc[dst + 3 * p + 1] = bytes[o + 1 + plane + p];
        hwc[dst + 3 * p + 2] = bytes[o + 1 + 2 * plane + p];
      }
    }
  }
  return {
    name,
    n,
    d,
    data: bytesToUnit(hwc),
    height: CIFAR10_SIZE,
    width: CIFAR10_SIZE,
    channels: 3,
    labels,
  };
}
