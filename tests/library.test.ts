/**
 * Library use: gaussian.ts (`./gaussian`) loads no tfjs; the JavaScript-path notice appears once whatever
 * the entry point; results record the linear-algebra tier and the eigensolver; the cheap loader equals the
 * full one on its block; deno doc shows an example for each main function.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { collectProvenance } from "../lib/results/provenance.ts";
import { readResult, writeResult } from "../lib/results/io.ts";
import { validateResult } from "../lib/results/schema.ts";
import { goodResult, tempDir } from "./results/_fixture.ts";
import { batch, fitGaussian, imageRange, loadDataset, loadImages, resizeArea } from "../gaussian.ts";

const root = new URL("..", import.meta.url).pathname;

async function deno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("gaussian.ts's module graph has no tfjs module; mod.ts's has (the check can fail)", async () => {
  const graph = async (entry: string) => {
    const r = await deno(["info", "--json", entry]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { modules: { specifier: string; npmPackage?: string }[] };
    return info.modules.map((m) => m.npmPackage ?? m.specifier);
  };
  const tf = (mods: string[]) => mods.filter((m) => m.includes("@tensorflow"));
  const g = await graph("gaussian.ts");
  assert.ok(g.some((m) => m.endsWith("lib/denoisers/gaussian.ts")), "the graph was read");
  assert.deepEqual(tf(g), []);
  assert.ok(tf(await graph("mod.ts")).length > 0, "mod.ts does load tfjs");
  const exports = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).exports;
  assert.equal(exports["./gaussian"], "./gaussian.ts");
});

Deno.test("the JavaScript-path notice is one line on stderr, whatever the entry point", async () => {
  const script = [
    `import { batch, fitGaussian, loadBlas } from "./gaussian.ts";`,
    `const x = batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1]));`,
    `fitGaussian(x); fitGaussian(x); loadBlas(); fitGaussian(x); loadBlas("off"); fitGaussian(x);`,
  ].join("\n");
  // With OpenBLAS where this machine has it, and as on a machine without it (HG_BLAS_PATH to nothing).
  for (const env of [{}, { HG_BLAS_PATH: "/nonexistent/libopenblas.so.0" }] as Record<string, string>[]) {
    const r = await deno(["eval", "--ext=ts", script], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.includes("hidden-gaussian:"));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /fitGaussian \(d = 2\) uses JavaScript linear algebra.*libopenblas0-pthread/);
    assert.equal(r.stdout, "");
  }
  const off = await deno([
    "eval",
    "--ext=ts",
    `import { batch, fitGaussian, loadBlas } from "./gaussian.ts";
loadBlas("off"); fitGaussian(batch(2, 1, Float64Array.from([1, -1])));`,
  ]);
  assert.equal(off.stderr.includes("hidden-gaussian:"), false, "a deliberate loadBlas('off') is not noticed");
});

Deno.test("fitGaussian records its eigensolver, and a result's provenance records tier and eigensolver", async () => {
  const model = fitGaussian(batch(3, 2, Float64Array.from([1, 0, -1, 0, 0, 1])), { solver: "ml-matrix" });
  assert.equal(model.solver, "ml-matrix");
  const p = await collectProvenance({ backend: "none", blas: "none" });
  assert.match(p.linalgTier!, /^(openblas|javascript)$/);
  assert.ok(p.eigensolver!.split("+").includes("ml-matrix"), p.eigensolver);
  const { dir, cleanup } = await tempDir();
  try {
    const r = {
      ...goodResult(),
      provenance: { ...goodResult().provenance, linalgTier: "javascript", eigensolver: "ml-matrix" },
    };
    validateResult(r, "r.json");
    const path = join(dir, "r.json");
    await writeResult(path, r);
    const back = await readResult(path);
    assert.equal(back.provenance.linalgTier, "javascript");
    assert.equal(back.provenance.eigensolver, "ml-matrix");
    assert.throws(
      () => validateResult({ ...r, provenance: { ...r.provenance, eigensolver: "" } }, "r.json"),
      /eigensolver/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("loadImages converts only its block and equals imageRange of the full split", async () => {
  const cheap = await loadImages("mnist", "test", { start: 100, n: 20, size: 16 });
  const full = resizeArea(imageRange(await loadDataset("mnist", "test"), 100, 20), 16);
  assert.equal(cheap.n, 20);
  assert.equal(cheap.d, 256);
  assert.deepEqual(cheap.data, full.data);
  assert.deepEqual(cheap.labels, full.labels);
  assert.deepEqual(cheap.indices, full.indices);
  assert.equal(cheap.name, full.name);
  await assert.rejects(
    () => loadImages("mnist", "test", { start: 9990, n: 20 }),
    /cannot take 20 .*mnist\/test/,
  );
});

Deno.test("deno doc shows an @example for each main function of the public API, and the examples type-check", async () => {
  const r = await deno(["doc", "--json", "mod.ts"]);
  assert.equal(r.code, 0, r.stderr);
  type Decl = { location: { filename: string }; jsDoc?: { tags?: { kind: string }[] } };
  type Doc = { symbols: { name: string; declarations: Decl[] }[] };
  const symbols = Object.values(JSON.parse(r.stdout).nodes as Record<string, Doc>).flatMap((n) => n.symbols);
  const main = [
    "fitGaussian",
    "gaussianDenoiser",
    "wienerMatrix",
    "gaussianTrajectory",
    "multiDeltaDenoiser",
    "linearDenoiser",
    "leastSquaresLinear",
    "distillLinear",
    "loadImages",
    "loadDataset",
    "covariance",
    "eigh",
    "loadBlas",
    "heunSampler",
    "edmSchedule",
    "scoreDifference",
    "linearityScore",
    "generalizationScore",
    "gaussianTeleportSampler",
    "initBackend",
    "edmPrecond",
    "loadDenoiser",
    "train",
    "compareResults",
  ];
  const hasExample = (name: string) =>
    symbols.some((s) =>
      s.name === name && s.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example"))
    );
  assert.ok(symbols.length > 50, `${symbols.length} symbols read`);
  assert.deepEqual(main.filter((name) => !hasExample(name)), []);
  const files = [
    ...new Set(
      symbols.filter((s) => main.includes(s.name)).flatMap((s) =>
        s.declarations.map((d) => new URL(d.location.filename).pathname)
      ),
    ),
  ];
  const checked = await deno(["check", "--doc", "gaussian.ts", "mod.ts", ...files]);
  assert.equal(checked.code, 0, `the examples type-check: ${checked.stderr}`);
});
