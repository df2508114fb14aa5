/**
 * What every claim's experiment does around its own method: parse the common options, pick the
 * profile, load the native BLAS and (when a network is involved) the tfjs backend, load the data,
 * collect provenance, and write the result and its figures atomically under
 * `<out>/<profile>/<dataset>/`.
 *
 * @module
 */
import { join } from "node:path";
import { type CommonOptions, parseCommon } from "../lib/cli.ts";
import { type BackendInfo, describeBackend, initBackend } from "../lib/backend.ts";
import { type BlasInfo, loadBlas } from "../lib/linalg/blas.ts";
import { describeLinalg } from "../lib/linalg/tier.ts";
import { DATASETS, loadDataset } from "../lib/data/datasets.ts";
import { datasetSha256 } from "../lib/data/manifest.ts";
import { loadPngDir } from "../lib/data/pngdir.ts";
import { firstN, imageRange, resizeArea } from "../lib/data/transform.ts";
import type { ImageSet } from "../lib/types.ts";
import { collectProvenance } from "../lib/results/provenance.ts";
import { buildResult, type ResultInput } from "../lib/results/build.ts";
import { formatResult, randomHex, writeFilesTogether, writeResult } from "../lib/results/io.ts";
import { validateResult } from "../lib/results/schema.ts";
import { sweepStale } from "../lib/sweep.ts";
import { assertNotFrozen } from "../lib/results/frozen.ts";
import { checkMetricsSane } from "../lib/results/sanity.ts";
import type { Figure, Result } from "../lib/results/schema.ts";
import { getProfile, type Profile, withSeed } from "./profiles.ts";
import { combineVerdicts, SEED_RULE, verdictWord } from "../lib/results/verdict.ts";
import { seedMetrics } from "../lib/results/seeds.ts";
import { CONVERGENCE_NOTE_PREFIX, convergenceNote, resetUsedModels } from "./_models_used.ts";
import { log } from "../lib/progress.ts";

/** The running experiment's context. */
export interface Context {
  /** Claim id, e.g. `C10`. */
  claim: string;
  /** Parsed options. */
  opts: CommonOptions;
  /** The profile in force. */
  profile: Profile;
  /** Dataset name as recorded (lower case). */
  dataset: string;
  /** Native BLAS in use. */
  blas: BlasInfo;
  /** tfjs backend, when the experiment needs one. */
  backend: BackendInfo | null;
  /** Folder the result and figures go to. */
  outDir: string;
  /** When the run started (ms since epoch). */
  startedAt: number;
}

/** Backends the `paper` profile accepts for experiments with networks. */
const _GPU_BACKENDS: readonly string[] = ["webgpu", "tensorflow-gpu"];

/**
 * Start an experiment: options, profile, BLAS, backend (only when `network` is true). The `paper`
 * profile needs `--data-dir` and, with networks, a GPU backend (`--backend webgpu`).
 */
export async function startExperiment(
  claim: string,
  args: string[],
  opts: { network?: boolean } = {},
): Promise<Context> {
  const o = parseCommon(args);
  const profile = o.seedIndex === undefined
    ? getProfile(o.profile)
    : withSeed(getProfile(o.profile), o.seedIndex);
  const dataset = profile.name === "paper" ? "ffhq" : o.dataset.toLowerCase();
  if (profile.name !== "paper" && !(DATASETS as readonly string[]).includes(dataset)) {
    throw new Error(`--dataset ${o.dataset}: choose one of ${DATASETS.join(", ")}`);
  }
  if (profile.name === "paper" && opts.network && !_GPU_BACKENDS.includes(o.backend)) {
    throw new Error(
      `profile 'paper' trains the paper's FFHQ 64×64 U-Nets, which the CPU backend '${o.backend}' cannot: ` +
        "the wasm heap (4 GiB) runs out of memory a few seconds into training, and a CPU would take weeks; " +
        "pass --backend webgpu (a GPU through Deno's WebGPU), or use a smaller profile (--profile full)",
    );
  }
  if (profile.name === "paper" && !o.dataDir) {
    throw new Error(
      `profile 'paper' reproduces the paper's FFHQ 64×64 setting and needs the user's own images: ` +
        `pass --data-dir <folder of PNGs> (and, for trained networks, the GPU backend: --backend webgpu)`,
    );
  }
  resetUsedModels();
  await checkOutWritable(join(o.out, profile.name, dataset));
  await sweepStale(join(o.out, profile.name, dataset));
  const blas = loadBlas(o.blas, o.blasPath);
  const backend = opts.network
    ? await initBackend(o.backend, { blas: blas.name !== "none", dnnl: o.dnnl !== "off" })
    : null;
  const outDir = join(
    o.out,
    profile.name,
    dataset,
    ...(o.seedIndex === undefined ? [] : [seedFolder(o.seedIndex)]),
  );
  log(
    `${claim}: profile ${profile.name}, dataset ${dataset}, BLAS ${blas.name}` +
      (backend ? `, backend ${backend.name}` : ""),
  );
  return { claim, opts: o, profile, dataset, blas, backend, outDir, startedAt: Date.now() };
}

/**
 * Fail before any computation when the results cannot be written to `outDir`: inside a frozen version
 * (results/v*), or a folder that cannot be created or written (the error names it and the cause).
 */
export async function checkOutWritable(outDir: string): Promise<void> {
  assertNotFrozen(outDir);
  // One name per call: reproduce's workers are threads of one process (one pid) and may probe one folder at once.
  const probe = join(outDir, `.write-probe-${Deno.pid}-${randomHex(4)}.tmp`);
  try {
    await Deno.mkdir(outDir, { recursive: true });
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new Error(`--out: cannot write results to ${outDir}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Images `start` … `start + n − 1` (default: the first `n`) of `split` at `resolution` px
 * (area-resized), from the context's dataset.
 */
export async function loadImages(
  ctx: Context,
  split: "train" | "test",
  n: number,
  resolution: number,
  start = 0,
): Promise<ImageSet> {
  if (ctx.dataset === "ffhq") {
    const all = await loadPngDir(join(ctx.opts.dataDir!, split), {
      size: resolution,
      limit: start + n,
      name: `ffhq/${split}`,
    });
    return imageRange(all, start, n);
  }
  const set = await loadDataset(ctx.dataset as "mnist" | "fashion-mnist", split);
  const sub = start === 0 ? firstN(set, n) : imageRange(set, start, n);
  return sub.height === resolution ? sub : resizeArea(sub, resolution);
}

/** A figure to write: file name (in the result's folder), content, caption. */
export interface FigureFile {
  /** File name, e.g. `c10_rmse.svg`. */
  name: string;
  /** SVG text or PNG bytes. */
  content: string | Uint8Array;
  /** Caption. */
  caption: string;
}

/**
 * Check the metrics are sane (lib/results/sanity.ts), then write the figures and the result together
 * (all or none); returns the result and its path.
 */
export async function finishExperiment(
  ctx: Context,
  input: Omit<ResultInput, "claim" | "profile" | "dataset" | "figures">,
  figures: FigureFile[],
): Promise<{ result: Result; path: string }> {
  const insane = checkMetricsSane(input.metrics as Record<string, unknown>);
  if (insane.length) {
    throw new Error(
      `${ctx.claim} (${ctx.profile.name}, ${ctx.dataset}): refusing to judge: ${
        insane.slice(0, 3).join("; ")
      }` +
        `${insane.length > 3 ? ` (and ${insane.length - 3} more)` : ""}; a model has probably diverged — ` +
        "retrain it (--retrain); no result was written",
    );
  }
  const figs: Figure[] = figures.map((f) => ({
    path: f.name,
    kind: f.name.endsWith(".png") ? "png" : "svg",
    caption: f.caption,
  }));
  const provenance = await collectProvenance({
    backend: ctx.backend ? describeBackend(ctx.backend) : "none",
    blas: describeLinalg(),
  });
  if ((DATASETS as readonly string[]).includes(ctx.dataset)) {
    provenance.datasetSha256 = datasetSha256(ctx.dataset);
  }
  const note = convergenceNote();
  const notes = [...(input.notes ?? []), ...(note ? [note] : [])];
  const result = buildResult(
    { ...input, notes, claim: ctx.claim, profile: ctx.profile.name, dataset: ctx.dataset, figures: figs },
    { provenance, startedAt: ctx.startedAt },
  );
  const path = join(ctx.outDir, `${ctx.claim.toLowerCase()}.json`);
  assertNotFrozen(path);
  validateResult(result, path);
  // The JSON and its figures appear together or not at all (lib/results/io.ts writeFilesTogether).
  await writeFilesTogether(ctx.outDir, [
    ...figures.map((f) => ({ name: f.name, data: f.content })),
    { name: `${ctx.claim.toLowerCase()}.json`, data: formatResult(result) },
  ]);
  const v = result.verdict.holds;
  log(`${ctx.claim}: verdict ${verdictWord(v)}; wrote ${path}`);
  return { result, path };
}

/** Folder (inside a result's folder) of the run of seed index `k`. */
export function seedFolder(k: number): string {
  return `seed-${k}`;
}

/**
 * Run a claim over every training seed of its profile (`profile.zoo.seeds`): once per seed with
 * `--seed-index k` (results and figures under `seed-<k>/`), then one combined result beside them whose
 * metrics are the seeds' mean, standard deviation, minimum, maximum and per-seed values
 * (lib/results/seeds.ts) and whose verdict combines the seeds' verdicts (lib/results/verdict.ts). With one
 * seed, or with `--seed-index`, it is `run` itself.
 */
export async function runSeeded(run: (args: string[]) => Promise<Result>, args: string[]): Promise<Result> {
  const o = parseCommon(args);
  const profile = getProfile(o.profile);
  const seeds = profile.zoo.seeds;
  if (o.seedIndex !== undefined || seeds.length < 2) return run(args);
  const startedAt = Date.now();
  const per: Result[] = [];
  for (const k of seeds.keys()) {
    log(`seed ${k + 1}/${seeds.length} (training seed ${seeds[k]})`);
    per.push(await run([...args, "--seed-index", String(k)]));
  }
  return await writeCombined(per, seeds, startedAt, o.out);
}

/**
 * Combine each seed's result of one claim ({@link combineSeedResults}) and write the combined result beside
 * the seeds' folders under `out` (as {@link runSeeded} does after running them).
 */
export async function writeCombined(
  per: readonly Result[],
  seeds: readonly number[],
  startedAt: number,
  out: string,
): Promise<Result> {
  // Its wall time is its seeds' (run side by side by `reproduce --jobs`, they would all count the elapsed time).
  const seedsWall = per.reduce((s, r) => s + r.volatile.wallSeconds, 0);
  const result = combineSeedResults(per, seeds, Math.max(startedAt, Date.now() - 1000 * seedsWall));
  const r0 = per[0];
  const words = per.map((r) => verdictWord(r.verdict.holds));
  const path = join(out, r0.profile, r0.dataset, `${r0.claim.toLowerCase()}.json`);
  await writeResult(path, result);
  log(
    `${r0.claim}: over ${seeds.length} seeds ${verdictWord(result.verdict.holds)} (${
      words.join(", ")
    }); wrote ${path}`,
  );
  return result;
}

/**
 * The result over several training seeds made from each seed's result (pure: the seeds' results decide
 * it): config is seed 0's with the seeds listed (and `zoo.seed` dropped), metrics the seeds' mean, sd, min,
 * max and per-seed values, the verdict combined by lib/results/verdict.ts, notes and figures seed 0's.
 */
export function combineSeedResults(
  per: readonly Result[],
  seeds: readonly number[],
  startedAt: number,
): Result {
  const r0 = per[0];
  const holds = combineVerdicts(per.map((r) => r.verdict.holds));
  const words = per.map((r) => verdictWord(r.verdict.holds));
  const { training: _t, trainingHalfB: _b, ...otherSeeds } = r0.seeds as Record<string, number | number[]>;
  return buildResult({
    claim: r0.claim,
    title: r0.title,
    profile: r0.profile,
    dataset: r0.dataset,
    config: {
      ...Object.fromEntries(
        Object.entries(r0.config).map(([k, v]) =>
          k === "zoo" && v && typeof v === "object" && !Array.isArray(v)
            ? [k, Object.fromEntries(Object.entries(v).filter(([key]) => key !== "seed"))]
            : [k, v]
        ),
      ),
      seeds: [...seeds],
      perSeed: per.map((r, k) => ({
        seed: seeds[k],
        configHash: r.configHash,
        result: `${seedFolder(k)}/${r.claim.toLowerCase()}.json`,
      })),
    },
    seeds: { training: [...seeds], ...otherSeeds },
    metrics: seedMetrics(per.map((r) => r.metrics)),
    paper: r0.paper,
    verdict: {
      holds,
      criterion: `${r0.verdict.criterion} ${SEED_RULE}`,
      summary: `Over ${seeds.length} training seeds (${seeds.join(", ")}): ${words.join(", ")}. ` +
        per.map((r, k) => `Seed ${seeds[k]}: ${r.verdict.summary}`).join(" "),
    },
    notes: [
      `metrics.mean, .sd (sample standard deviation), .min and .max are over the ${seeds.length} training ` +
      "seeds; metrics.perSeed[k] is seed k's own result (also written in full under seed-<k>/).",
      ...r0.notes.filter((n) => !n.startsWith(CONVERGENCE_NOTE_PREFIX)),
      ...per.flatMap((r, k) =>
        r.notes.filter((n) => n.startsWith(CONVERGENCE_NOTE_PREFIX)).map((n) => `Seed ${seeds[k]}: ${n}`)
      ),
    ],
    figures: r0.figures.map((f) => ({
      ...f,
      path: `${seedFolder(0)}/${f.path}`,
      caption: `Seed ${seeds[0]}: ${f.caption}`,
    })),
  }, { provenance: r0.provenance, startedAt });
}

/** Round to `digits` significant digits, so numbers quoted in words are stable across platforms. */
export function sig(x: number, digits = 3): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}
