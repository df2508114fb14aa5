/**
 * Reader for a folder of PNG images (users' own FFHQ or CelebA thumbnails) into one
 * {@link ImageSet}. Files ending in `.png` (any case) are read in code-unit order of their names
 * (not locale order), decoded with fast-png, and scaled to [-1, 1] by their bit depth (8 or 16 bit;
 * palette images through their palette). Grey stays 1 channel, RGB is 3; an alpha channel is
 * dropped. Without a requested size all images must have the first image's size; with one, each is
 * resized by area averaging (`resizeAreaPixels`). Problems name the offending file.
 *
 * @module
 */

import { convertIndexedToRgb, decode } from "fast-png";
import type { ImageSet } from "../types.ts";
import { type ImageSize, imageSize, resizeAreaPixels } from "./transform.ts";

/** Options of {@link loadPngDir}. */
export interface PngDirOptions {
  /** Resize every image to this size by area averaging; without it all images must share one size. */
  size?: ImageSize;
  /** Channels of the set: 1 (grey) or 3 (RGB; grey images are repeated into R, G, B). Default: the first image's. */
  channels?: 1 | 3;
  /** Read only the first `limit` files (in name order). */
  limit?: number;
  /** Name of the set; default the folder's path. */
  name?: string;
}

/** A decoded PNG as [-1, 1] HWC values with 1 or 3 channels (alpha dropped). */
export interface PngPixels {
  /** Height in pixels. */
  height: number;
  /** Width in pixels. */
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** HWC values in [-1, 1]. */
  data: Float64Array;
}

/** Decode PNG bytes (of a file named `fileName`) into [-1, 1] HWC values with 1 or 3 channels. */
export function decodePngPixels(bytes: Uint8Array, fileName: string): PngPixels {
  let png;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new Error(`${fileName}: cannot decode PNG: ${(e as Error).message}`);
  }
  const { width, height } = png;
  let values: ArrayLike<number> = png.data;
  let channels = png.channels;
  let depth: number = png.depth;
  if (png.palette) {
    values = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3; // 3, or 4 with a tRNS chunk
    depth = 8;
  } else if (depth !== 8 && depth !== 16) {
    throw new Error(
      `${fileName}: ${depth}-bit PNGs are not supported (only 8 and 16 bit, or palette images)`,
    );
  }
  if (values.length !== width * height * channels) {
    throw new Error(`${fileName}: decoded ${values.length} values for ${width}×${height}×${channels}`);
  }
  // Grey (1), grey+alpha (2), RGB (3), RGBA (4): keep the colour channels, drop alpha.
  const keep: 1 | 3 = channels <= 2 ? 1 : 3;
  const scale = depth === 16 ? 32767.5 : 127.5;
  const data = new Float64Array(width * height * keep);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < keep; c++) data[p * keep + c] = values[p * channels + c] / scale - 1;
  }
  return { height, width, channels: keep, data };
}

/** Sorted paths of the `.png` files in a folder (code-unit order of the names). */
export async function listPngs(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /\.png$/i.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    throw new Error(`${dir}: cannot list folder: ${(e as Error).message}`);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sep = dir.endsWith("/") ? "" : "/";
  return names.map((n) => `${dir}${sep}${n}`);
}

/** Read a folder of PNG images into one {@link ImageSet} (see the module notes). */
export async function loadPngDir(dir: string, options: PngDirOptions = {}): Promise<ImageSet> {
  let files = await listPngs(dir);
  if (files.length === 0) throw new Error(`${dir}: no .png files in this folder`);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`${dir}: limit must be a positive integer, got ${options.limit}`);
    }
    files = files.slice(0, options.limit);
  }
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    throw new RangeError(`${dir}: channels must be 1 or 3, got ${options.channels}`);
  }
  const target = options.size !== undefined ? imageSize(options.size) : undefined;
  let height = 0, width = 0, channels: 1 | 3 = 1, d = 0;
  let data = new Float64Array(0);
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (e) {
      throw new Error(`${file}: cannot read: ${(e as Error).message}`);
    }
    let img = decodePngPixels(bytes, file);
    if (i === 0) {
      height = target?.height ?? img.height;
      width = target?.width ?? img.width;
      channels = options.channels ?? img.channels;
      d = height * width * channels;
      data = new Float64Array(files.length * d);
    }
    if (img.channels !== channels) {
      if (img.channels === 1 && options.channels === 3) {
        img = _greyToRgb(img);
      } else {
        throw new Error(
          `${file}: has ${img.channels} colour channel(s), the set has ${channels} ` +
            `(first image ${files[0]}); pass channels: 3 to read grey images as RGB`,
        );
      }
    }
    const dst = data.subarray(i * d, (i + 1) * d);
    if (img.height === height && img.width === width) {
      dst.set(img.data);
    } else if (target) {
      resizeAreaPixels(img.data, img.height, img.width, channels, height, width, dst);
    } else {
      throw new Error(
        `${file}: is ${img.width}×${img.height} (width×height) but ${files[0]} is ${width}×${height}; ` +
          `pass size to resize all images`,
      );
    }
  }
  return { name: options.name ?? dir, n: files.length, d, data, height, width, channels };
}

function _greyToRgb(img: PngPixels): PngPixels {
  const n = img.height * img.width;
  const data = new Float64Array(3 * n);
  for (let p = 0; p < n; p++) data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = img.data[p];
  return { ...img, channels: 3, data };
}
