/**
 * A labelled image grid: one row of images per label (e.g. one denoiser per row, samples from the same
 * noise in the columns), as an SVG that embeds the PNG grid of lib/results/figures.ts and writes each
 * row's label to its left. Byte-identical for identical inputs.
 *
 * @module
 */
import { type Batch, batch } from "../types.ts";
import { imageGridPng } from "./figures.ts";

/** Options of {@link labelledGridSvg}. */
export interface LabelledGridOptions {
  /** Image geometry of the rows (HWC). */
  height: number;
  /** Image width. */
  width: number;
  /** Channels (1 or 3). */
  channels: 1 | 3;
  /** Images per row (default: the fewest any batch has, at most 8). */
  cols?: number;
  /** Upscaling factor (default 4). */
  scale?: number;
  /** Title written above the grid. */
  title: string;
}

/** Escape text for an SVG text node or attribute. */
function _esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Base64 of bytes. */
function _base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * An SVG grid: row r shows the first `cols` images of `rowsOf[r]`, labelled `labels[r]` on the left.
 *
 * @example
 * const svg = labelledGridSvg([a, b], ["D_θ", "D_G"], { height: 16, width: 16, channels: 1, title: "samples" });
 */
export function labelledGridSvg(
  rowsOf: readonly Batch[],
  labels: readonly string[],
  opts: LabelledGridOptions,
): string {
  if (rowsOf.length === 0 || rowsOf.length !== labels.length) {
    throw new RangeError(`lib/results/labelled_grid.ts: ${rowsOf.length} rows for ${labels.length} labels`);
  }
  const d = rowsOf[0].d;
  if (rowsOf.some((b) => b.d !== d)) {
    throw new RangeError("lib/results/labelled_grid.ts: rows of unequal length");
  }
  const cols = opts.cols ?? Math.min(8, ...rowsOf.map((b) => b.n));
  if (rowsOf.some((b) => b.n < cols)) {
    throw new RangeError(`lib/results/labelled_grid.ts: a row has fewer than ${cols} images`);
  }
  const scale = opts.scale ?? 4;
  const pad = 2;
  const grid = new Float64Array(rowsOf.length * cols * d);
  rowsOf.forEach((b, i) => grid.set(b.data.subarray(0, cols * d), i * cols * d));
  const png = imageGridPng(batch(rowsOf.length * cols, d, grid), {
    height: opts.height,
    width: opts.width,
    channels: opts.channels,
    cols,
    scale,
    pad,
  });
  const cellH = opts.height * scale + pad;
  const gw = cols * opts.width * scale + (cols + 1) * pad;
  const gh = rowsOf.length * cellH + pad;
  const labelW = 8 + 7 * Math.max(...labels.map((l) => l.length));
  const top = 24;
  const texts = labels.map((l, r) =>
    `<text x="${labelW - 6}" y="${top + pad + r * cellH + cellH / 2 + 4}" text-anchor="end">${_esc(l)}</text>`
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${
      Math.max(labelW + gw, labelW + 7 * opts.title.length)
    }" ` +
    `height="${top + gh}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${labelW}" y="16" font-weight="bold">${_esc(opts.title)}</text>`,
    ...texts,
    `<image x="${labelW}" y="${top}" width="${gw}" height="${gh}" href="data:image/png;base64,${
      _base64(png)
    }"/>`,
    "</svg>",
  ].join("\n");
}
