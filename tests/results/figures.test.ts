import assert from "node:assert/strict";
import { join } from "node:path";
import { decode } from "fast-png";
import { batch } from "../../lib/types.ts";
import { heatmapSvg, imageGridPng, lineChartSvg, writeFigure } from "../../lib/results/figures.ts";
import { sha256Hex } from "../../lib/results/canonical.ts";
import { tempDir } from "./_fixture.ts";

const SIGMAS = [80, 42.415, 21.109, 9.723, 4.066, 1.502, 0.47, 0.1166, 0.0204, 0.002];

const chart = () =>
  lineChartSvg({
    title: "RMSE to D_θ",
    xLabel: "σ",
    yLabel: "RMSE",
    logX: true,
    series: [
      {
        name: "D_L vs D_θ",
        x: SIGMAS,
        y: SIGMAS.map((s) => 0.01 + 0.02 * Math.exp(-(Math.log(s) ** 2) / 4)),
      },
      { name: "D_G & D_θ", x: SIGMAS, y: SIGMAS.map((s) => 0.02 + 0.02 * Math.exp(-(Math.log(s) ** 2) / 4)) },
    ],
    rules: [{ y: 0.05, label: "paper threshold 0.05" }],
  });

/** Texts of the SVG's <text> elements, entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")
  );
}

Deno.test("lineChartSvg is deterministic and names its series, axes, title and rule", async () => {
  const a = await chart();
  const b = await chart();
  assert.equal(a, b);
  assert.ok(a.startsWith("<svg") && a.trimEnd().endsWith("</svg>"));
  const t = texts(a);
  for (const s of ["D_L vs D_θ", "D_G & D_θ", "σ", "RMSE", "RMSE to D_θ", "paper threshold 0.05"]) {
    assert.ok(t.includes(s), `missing text ${s}`);
  }
  // Two series → two line marks; and the & is escaped in the markup.
  assert.equal((a.match(/aria-roledescription="line mark"/g) ?? []).length, 2);
  assert.ok(a.includes("D_G &amp; D_θ"));
});

Deno.test("lineChartSvg: a different input gives a different figure", async () => {
  const a = await chart();
  const b = await lineChartSvg({
    title: "RMSE to D_θ",
    xLabel: "σ",
    yLabel: "RMSE",
    series: [{ name: "only", x: [1, 2, 3], y: [3, 1, 2] }],
  });
  assert.notEqual(a, b);
});

Deno.test("lineChartSvg rejects bad input with a clear message", async () => {
  const base = { title: "t", xLabel: "x", yLabel: "y" };
  await assert.rejects(() => lineChartSvg({ ...base, series: [] }), /no series/);
  await assert.rejects(
    () => lineChartSvg({ ...base, series: [{ name: "a", x: [1, 2], y: [1] }] }),
    /series "a" has 2 x but 1 y/,
  );
  await assert.rejects(
    () => lineChartSvg({ ...base, series: [{ name: "a", x: [1, 2], y: [1, NaN] }] }),
    /series "a" y\[1\] is NaN/,
  );
  await assert.rejects(
    () => lineChartSvg({ ...base, logY: true, series: [{ name: "a", x: [1, 2], y: [1, 0] }] }),
    /y\[1\] is 0; a log axis needs values > 0/,
  );
  await assert.rejects(
    () => lineChartSvg({ ...base, series: [{ name: "a", x: [1], y: [1] }, { name: "a", x: [1], y: [2] }] }),
    /names repeat/,
  );
});

Deno.test("heatmapSvg: deterministic within one process (gradient ids reset), one cell per entry", async () => {
  const m = Array.from({ length: 6 }, (_, i) => Array.from({ length: 4 }, (_, j) => (i === j ? 1 : 0.1 * j)));
  const opts = {
    title: "alignment",
    xLabel: "PC",
    yLabel: "singular vector",
    domain: [0, 1] as [number, number],
  };
  const a = await heatmapSvg(m, opts);
  await chart(); // something else rendered in between
  const b = await heatmapSvg(m, opts);
  assert.equal(a, b);
  const group = a.slice(a.indexOf('class="mark-rect role-mark'));
  const cells = group.slice(0, group.indexOf("</g>")).match(/<path /g) ?? [];
  assert.equal(cells.length, 24);
  assert.ok(texts(a).includes("alignment"));
  // The same matrix as a batch draws the same figure.
  const asBatch = batch(6, 4, Float64Array.from(m.flat()));
  assert.equal(await heatmapSvg(asBatch, opts), a);
  await assert.rejects(() => heatmapSvg([[1, 2], [3]], opts), /row 1 has 1 entries/);
  await assert.rejects(() => heatmapSvg([[1, Infinity]], opts), /\[0\]\[1\] is Infinity/);
});

Deno.test("imageGridPng decodes to the expected size and pixels", () => {
  // Three 2×3 grey images: image k has value v_k everywhere except pixel (1, 2) = −1.
  const h = 2, w = 3, values = [1, 0, -0.5];
  const data = new Float64Array(3 * h * w);
  values.forEach((v, k) => {
    data.fill(v, k * h * w, (k + 1) * h * w);
    data[k * h * w + 1 * w + 2] = -1;
  });
  const png = imageGridPng(batch(3, h * w, data), {
    height: h,
    width: w,
    channels: 1,
    cols: 2,
    pad: 1,
    scale: 2,
  });
  const img = decode(png);
  // 2 columns of 3·2 px plus 3 borders; 2 rows of 2·2 px plus 3 borders.
  assert.equal(img.width, 2 * 6 + 3);
  assert.equal(img.height, 2 * 4 + 3);
  assert.equal(img.channels, 1);
  assert.equal(img.depth, 8);
  const px = (x: number, y: number) => img.data[y * img.width + x];
  // Mapping (v + 1)/2·255 rounded: 1 → 255, 0 → 128, −0.5 → 64, −1 → 0.
  assert.equal(px(1, 1), 255); // image 0, top-left
  assert.equal(px(1 + 7, 1), 128); // image 1 starts at x = 1 + 6 + 1
  assert.equal(px(1, 1 + 5), 64); // image 2 starts at y = 1 + 4 + 1
  // Pixel (1, 2) of image 1, scaled ×2: x ∈ {8+4, 8+5}, y ∈ {1+2, 1+3}.
  for (const [x, y] of [[12, 3], [13, 3], [12, 4], [13, 4]]) assert.equal(px(x, y), 0);
  assert.equal(px(11, 3), 128);
  // Borders and the empty last cell are white (pad value 1).
  assert.equal(px(0, 0), 255);
  assert.equal(px(7, 2), 255);
  assert.equal(px(10, 8), 255);
});

Deno.test("imageGridPng: RGB channel order is kept, values outside [−1, 1] are clamped", () => {
  const d = Float64Array.from([2, -3, 0.2]); // one 1×1 RGB image
  const img = decode(imageGridPng(batch(1, 3, d), { height: 1, width: 1, channels: 3, pad: 0 }));
  assert.equal(img.width, 1);
  assert.equal(img.channels, 3);
  assert.deepEqual([...img.data], [255, 0, Math.round(1.2 * 127.5)]);
});

Deno.test("imageGridPng rejects a wrong row length and NaN pixels", () => {
  assert.throws(
    () => imageGridPng(batch(1, 4), { height: 2, width: 3, channels: 1 }),
    /rows have length 4, expected 2×3×1 = 6/,
  );
  assert.throws(
    () => imageGridPng(batch(2, 1, Float64Array.from([0, NaN])), { height: 1, width: 1, channels: 1 }),
    /image 1 pixel \(0, 0\) channel 0 is NaN/,
  );
});

Deno.test("writeFigure writes atomically and returns the file's sha256", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const svg = await chart();
    const path = join(dir, "figs", "c2.svg");
    const hash = await writeFigure(path, svg);
    assert.equal(await Deno.readTextFile(path), svg);
    assert.equal(hash, sha256Hex(svg));
    const png = imageGridPng(batch(1, 1, Float64Array.from([0])), { height: 1, width: 1, channels: 1 });
    await writeFigure(join(dir, "figs", "g.png"), png);
    assert.deepEqual(await Deno.readFile(join(dir, "figs", "g.png")), png);
    const names: string[] = [];
    for await (const e of Deno.readDir(join(dir, "figs"))) names.push(e.name);
    assert.deepEqual(names.sort(), ["c2.svg", "g.png"]);
  } finally {
    await cleanup();
  }
});
