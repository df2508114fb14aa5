/**
 * Figures for results: line charts and heat maps as SVG (vega-lite compiled to vega, rendered headless
 * with renderer "none"; byte-identical across runs) and image grids as PNG
 * (fast-png). All inputs are checked; a non-finite value is an error, never a silent gap.
 *
 * @module
 */

import * as vl from "vega-lite";
import * as vega from "vega";
import { encode } from "fast-png";
import type { Batch } from "../types.ts";
import { writeFileAtomic } from "./io.ts";
import { assertNotFrozen } from "./frozen.ts";
import { sha256Hex } from "./canonical.ts";

/** One curve of a line chart. */
export interface Series {
  /** Legend name. */
  name: string;
  /** x values. */
  x: ArrayLike<number>;
  /** y values, one per x. */
  y: ArrayLike<number>;
}

/** A horizontal threshold line (e.g. the paper's 0.05 or 0.96). */
export interface Rule {
  /** Height of the line in data units. */
  y: number;
  /** Text written at its right end. */
  label?: string;
}

/** Options of `lineChartSvg`. */
export interface LineChartOptions {
  /** Chart title. */
  title: string;
  /** x-axis title. */
  xLabel: string;
  /** y-axis title. */
  yLabel: string;
  /** Curves, drawn and listed in the legend in this order (names must be distinct). */
  series: Series[];
  /** Logarithmic x axis (all x must be > 0). */
  logX?: boolean;
  /** Logarithmic y axis (all y and rules must be > 0). */
  logY?: boolean;
  /** Plot width in pixels (default 480). */
  width?: number;
  /** Plot height in pixels (default 300). */
  height?: number;
  /** Horizontal threshold lines. */
  rules?: Rule[];
  /** Mark each data point (default true). */
  points?: boolean;
}

/** A line chart as an SVG string: one line per series, optional log axes and threshold rules. */
export async function lineChartSvg(opts: LineChartOptions): Promise<string> {
  const where = `lineChartSvg("${opts.title}")`;
  if (!opts.series?.length) throw new RangeError(`${where}: no series`);
  const names = opts.series.map((s) => s.name);
  if (new Set(names).size !== names.length) throw new RangeError(`${where}: series names repeat: ${names}`);
  const values: { series: string; x: number; y: number }[] = [];
  for (const s of opts.series) {
    if (s.x.length !== s.y.length) {
      throw new RangeError(`${where}: series "${s.name}" has ${s.x.length} x but ${s.y.length} y values`);
    }
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i], y = s.y[i];
      _checkValue(x, opts.logX, `${where}: series "${s.name}" x[${i}]`);
      _checkValue(y, opts.logY, `${where}: series "${s.name}" y[${i}]`);
      values.push({ series: s.name, x, y });
    }
  }
  const rules = opts.rules ?? [];
  rules.forEach((r, i) => _checkValue(r.y, opts.logY, `${where}: rules[${i}].y`));
  const layers: Record<string, unknown>[] = [{
    data: { values },
    mark: { type: "line", point: opts.points ?? true, strokeWidth: 1.5 },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: opts.xLabel,
        scale: opts.logX ? { type: "log" } : { zero: false },
      },
      y: {
        field: "y",
        type: "quantitative",
        title: opts.yLabel,
        scale: opts.logY ? { type: "log" } : { zero: false },
      },
      color: { field: "series", type: "nominal", title: null, scale: { domain: names }, sort: names },
      shape: { field: "series", type: "nominal", title: null, scale: { domain: names }, sort: names },
    },
  }];
  if (rules.length) {
    const ruleValues = rules.map((r) => ({ y: r.y, label: r.label ?? "" }));
    layers.push(
      {
        data: { values: ruleValues },
        mark: { type: "rule", strokeDash: [4, 4], color: "#666" },
        encoding: { y: { field: "y", type: "quantitative" } },
      },
      {
        data: { values: ruleValues },
        mark: { type: "text", align: "right", baseline: "bottom", dx: -2, dy: -2, color: "#444", x: "width" },
        encoding: { y: { field: "y", type: "quantitative" }, text: { field: "label" } },
      },
    );
  }
  return await _render({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    width: _size(opts.width, 480, where, "width"),
    height: _size(opts.height, 300, where, "height"),
    background: "white",
    layer: layers,
    resolve: { scale: { y: "shared" } },
  });
}

/** A matrix given as rows of numbers, or as a batch (`n` rows × `d` columns). */
export type Matrix = number[][] | Batch;

/** Options of `heatmapSvg`. */
export interface HeatmapOptions {
  /** Chart title. */
  title: string;
  /** x-axis title (columns, numbered from 1). */
  xLabel: string;
  /** y-axis title (rows, numbered from 1, first row at the top). */
  yLabel: string;
  /** Colour-legend title (default "value"). */
  colorLabel?: string;
  /** Colour range [min, max]; default the data's range (use [0, 1] for |cosine| alignments). */
  domain?: [number, number];
  /** vega colour scheme (default "viridis"). */
  scheme?: string;
  /** Plot width in pixels (default 360). */
  width?: number;
  /** Plot height in pixels (default 360). */
  height?: number;
}

/** Largest matrix `heatmapSvg` draws: one SVG path per cell, about 110 bytes each (128 × 128 ≈ 1.8 MB). */
export const HEATMAP_MAX_CELLS = 16384;

/**
 * A heat map as an SVG string, e.g. the alignment matrix |⟨v_i, u_j⟩| of W_σ's leading singular vectors
 * with the principal components (docs/paper.md Metrics, "W versus Wiener").
 */
export async function heatmapSvg(matrix: Matrix, opts: HeatmapOptions): Promise<string> {
  const where = `heatmapSvg("${opts.title}")`;
  const { n, m, at } = _matrix(matrix, where);
  if (n * m > HEATMAP_MAX_CELLS) {
    throw new RangeError(
      `${where}: ${n}×${m} cells exceed ${HEATMAP_MAX_CELLS}; draw a leading block instead`,
    );
  }
  const values: { r: number; r2: number; c: number; c2: number; v: number }[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const v = at(i, j);
      _checkValue(v, false, `${where}: [${i}][${j}]`);
      values.push({ r: i + 0.5, r2: i + 1.5, c: j + 0.5, c2: j + 1.5, v });
    }
  }
  if (opts.domain) {
    const [lo, hi] = opts.domain;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new RangeError(`${where}: domain must be two finite numbers, low < high, got [${lo}, ${hi}]`);
    }
  }
  const axis = (count: number) => ({ tickMinStep: 1, format: "d", values: _ticks(count) });
  return await _render({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: opts.title,
    width: _size(opts.width, 360, where, "width"),
    height: _size(opts.height, 360, where, "height"),
    background: "white",
    data: { values },
    mark: { type: "rect", aria: false },
    encoding: {
      x: {
        field: "c",
        type: "quantitative",
        title: opts.xLabel,
        scale: { domain: [0.5, m + 0.5], nice: false, zero: false },
        axis: axis(m),
      },
      x2: { field: "c2" },
      y: {
        field: "r",
        type: "quantitative",
        title: opts.yLabel,
        scale: { domain: [0.5, n + 0.5], nice: false, zero: false, reverse: true },
        axis: axis(n),
      },
      y2: { field: "r2" },
      color: {
        field: "v",
        type: "quantitative",
        title: opts.colorLabel ?? "value",
        scale: { scheme: opts.scheme ?? "viridis", ...(opts.domain ? { domain: opts.domain } : {}) },
      },
    },
  });
}

/** Options of `imageGridPng`. */
export interface ImageGridOptions {
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel: 1 (grey) or 3 (RGB); rows of the batch are HWC (lib/types.ts). */
  channels: 1 | 3;
  /** Images per grid row (default min(n, 8)). */
  cols?: number;
  /** Pixels of border around and between images, at output scale (default 2). */
  pad?: number;
  /** Integer upscaling factor, nearest neighbour (default 1). */
  scale?: number;
  /** Border value in [-1, 1] (default 1, white). */
  padValue?: number;
}

/**
 * A grid of images as PNG bytes. Pixel values in [-1, 1] map to 0..255 by round((v + 1)/2 · 255),
 * clamped; empty cells of the last row are filled with the border value.
 */
export function imageGridPng(images: Batch, opts: ImageGridOptions): Uint8Array {
  const where = "imageGridPng";
  const { height: h, width: w, channels: ch } = opts;
  for (const [k, v] of [["height", h], ["width", w]] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new RangeError(`${where}: ${k} must be a positive integer, got ${v}`);
    }
  }
  if (ch !== 1 && ch !== 3) throw new RangeError(`${where}: channels must be 1 or 3, got ${ch}`);
  if (images.d !== h * w * ch) {
    throw new RangeError(`${where}: rows have length ${images.d}, expected ${h}×${w}×${ch} = ${h * w * ch}`);
  }
  if (images.n < 1) throw new RangeError(`${where}: no images`);
  const cols = opts.cols ?? Math.min(images.n, 8);
  const pad = opts.pad ?? 2;
  const s = opts.scale ?? 1;
  if (!Number.isInteger(cols) || cols < 1) throw new RangeError(`${where}: cols must be a positive integer`);
  if (!Number.isInteger(pad) || pad < 0) throw new RangeError(`${where}: pad must be an integer ≥ 0`);
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`${where}: scale must be a positive integer`);
  const padValue = opts.padValue ?? 1;
  if (!Number.isFinite(padValue)) throw new RangeError(`${where}: padValue must be finite`);
  const gridRows = Math.ceil(images.n / cols);
  const W = cols * w * s + (cols + 1) * pad;
  const H = gridRows * h * s + (gridRows + 1) * pad;
  const out = new Uint8Array(W * H * ch).fill(_toByte(padValue));
  for (let k = 0; k < images.n; k++) {
    const gy = Math.floor(k / cols), gx = k % cols;
    const y0 = pad + gy * (h * s + pad), x0 = pad + gx * (w * s + pad);
    const base = k * images.d;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < ch; c++) {
          const v = images.data[base + (y * w + x) * ch + c];
          if (!Number.isFinite(v)) {
            throw new RangeError(`${where}: image ${k} pixel (${y}, ${x}) channel ${c} is ${v}`);
          }
          const b = _toByte(v);
          for (let dy = 0; dy < s; dy++) {
            const rowStart = ((y0 + y * s + dy) * W + x0 + x * s) * ch + c;
            for (let dx = 0; dx < s; dx++) out[rowStart + dx * ch] = b;
          }
        }
      }
    }
  }
  return encode({ width: W, height: H, data: out, channels: ch, depth: 8 });
}

/** Write a figure (SVG text or PNG bytes) atomically, never inside a frozen version; returns the SHA-256 of its bytes. */
export async function writeFigure(path: string, content: string | Uint8Array): Promise<string> {
  assertNotFrozen(path);
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  await writeFileAtomic(path, bytes);
  return sha256Hex(bytes);
}

/** Map a pixel value in [-1, 1] to a byte, clamped. */
function _toByte(v: number): number {
  const b = Math.round((v + 1) * 127.5);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

function _checkValue(v: number, log: boolean | undefined, where: string): void {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RangeError(`${where} is ${v}, not a finite number`);
  }
  if (log && v <= 0) throw new RangeError(`${where} is ${v}; a log axis needs values > 0`);
}

function _size(v: number | undefined, dflt: number, where: string, name: string): number {
  const s = v ?? dflt;
  if (!Number.isInteger(s) || s < 16) {
    throw new RangeError(`${where}: ${name} must be an integer ≥ 16, got ${s}`);
  }
  return s;
}

function _matrix(x: Matrix, where: string): { n: number; m: number; at: (i: number, j: number) => number } {
  if (Array.isArray(x)) {
    const n = x.length, m = n ? x[0].length : 0;
    if (n === 0 || m === 0) throw new RangeError(`${where}: empty matrix`);
    x.forEach((r, i) => {
      if (r.length !== m) throw new RangeError(`${where}: row ${i} has ${r.length} entries, row 0 has ${m}`);
    });
    return { n, m, at: (i, j) => x[i][j] };
  }
  if (x.n === 0 || x.d === 0 || x.data.length !== x.n * x.d) {
    throw new RangeError(`${where}: batch ${x.n}×${x.d} with ${x.data.length} values`);
  }
  return { n: x.n, m: x.d, at: (i, j) => x.data[i * x.d + j] };
}

/** About 10 integer tick positions 1..count. */
function _ticks(count: number): number[] {
  const step = Math.max(1, Math.ceil(count / 10));
  const t: number[] = [];
  for (let k = 1; k <= count; k += step) t.push(k);
  return t;
}

/** Compile a vega-lite spec (typed loosely here; vega-lite checks it) and render it to SVG headless. */
async function _render(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  // vega numbers gradients and clip paths with module-wide counters; reset them so that a figure's
  // bytes do not depend on what was rendered before it in the same process.
  vega.resetSVGDefIds();
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Labels of an image grid made by {@link imageGridPng}: one per grid row and, optionally, per column. */
export interface GridLabels {
  /** One label per grid row, top to bottom (e.g. `N = 64`, `D_G`, `σ = 1.5`). */
  rows: string[];
  /** One label per grid column, left to right (optional). */
  cols?: string[];
  /** A line above the grid saying what the columns are (optional). */
  title?: string;
}

/**
 * An SVG that shows a PNG image grid (from {@link imageGridPng}, border `pad` at output scale) with its
 * row labels on the left, optional column labels above, and an optional title. The PNG is embedded as a
 * data URL, so the SVG stands alone (an SVG shown as an image may not load other files). The label count
 * must match the grid: rows (and columns) are located from the PNG's size and `pad`.
 *
 * @example
 * ```ts
 * import { batch } from "../types.ts";
 * import { imageGridPng, labelledGridSvg } from "./figures.ts";
 * const png = imageGridPng(batch(4, 4, new Float64Array(16)), { height: 2, width: 2, channels: 1, cols: 2 });
 * const svg = labelledGridSvg(png, { rows: ["N = 16", "N = 64"], title: "one column per initial noise" });
 * ```
 */
export function labelledGridSvg(png: Uint8Array, labels: GridLabels, pad = 2): string {
  const where = "labelledGridSvg";
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (png.length < 24 || sig.some((b, i) => png[i] !== b)) throw new RangeError(`${where}: not a PNG`);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const W = view.getUint32(16), H = view.getUint32(20);
  const cell = (size: number, count: number, what: string) => {
    const c = (size - (count + 1) * pad) / count;
    if (count < 1 || !Number.isInteger(c) || c <= 0) {
      throw new RangeError(
        `${where}: ${count} ${what} label(s) do not fit a grid ${size} px across with pad ${pad}`,
      );
    }
    return c;
  };
  const rowH = cell(H, labels.rows.length, "row");
  const colW = labels.cols ? cell(W, labels.cols.length, "column") : 0;
  const font = 12, charW = 7;
  const left = Math.max(...labels.rows.map((s) => s.length)) * charW + 12;
  const top = (labels.title ? font + 8 : 0) + (labels.cols ? font + 6 : 0);
  const text = (x: number, y: number, anchor: string, s: string) =>
    `<text x="${x}" y="${y}" text-anchor="${anchor}" dominant-baseline="middle">${_xml(s)}</text>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + W}" height="${top + H}" ` +
    `viewBox="0 0 ${left + W} ${top + H}" font-family="sans-serif" font-size="${font}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (labels.title) parts.push(text(left, font / 2 + 4, "start", labels.title));
  labels.cols?.forEach((s, j) =>
    parts.push(text(left + pad + j * (colW + pad) + colW / 2, top - font / 2 - 2, "middle", s))
  );
  labels.rows.forEach((s, i) =>
    parts.push(text(left - 6, top + pad + i * (rowH + pad) + rowH / 2, "end", s))
  );
  parts.push(
    `<image x="${left}" y="${top}" width="${W}" height="${H}" href="data:image/png;base64,${_base64(png)}"/>`,
    "</svg>",
    "",
  );
  return parts.join("\n");
}

function _xml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function _base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
