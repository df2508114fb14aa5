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
import { type BackendInfo, initBackend } from "../lib/backend.ts";
import { type BlasInfo, blasInfo, describeBlas, loadBlas } from "../lib/linalg/blas.ts";
import { DATASETS, loadDataset } from "../lib/data/datasets.ts";
import { datasetSha256 } from "../lib/data/manifest.ts";
import { loadPngDir } from "../lib/data/pngdir.ts";
import { firstN, imageRange, resizeArea } from "../lib/data/transform.ts";
import type { ImageSet } from "../lib/types.ts";
import { collectProvenance } from "../lib/results/provenance.ts";
import { buildResult, type ResultInput } from "../lib/results/build.ts";
import { formatResult, writeFilesTogether } from "../lib/results/io.ts";
import { validateResult } from "../lib/results/schema.ts";
import { sweepStale } from "../lib/sweep.ts";
import { assertNotFrozen } from "../lib/results/frozen.ts";
import { checkMetricsSane } from "../lib/results/sanity.ts";
import type { Figure, Result } from "../lib/results/schema.ts";
import { getProfile, type Profile } from "./profiles.ts";
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

/** Start an experiment: options, profile, BLAS, backend (only when `network` is true). */
export async function startExperiment(
  claim: string,
  args: string[],
  opts: { network?: boolean } = {},
): Promise<Context> {
  const o = parseCommon(args);
  const profile = getProfile(o.profile);
  const dataset = profile.name === "paper" ? "ffhq" : o.dataset.toLowerCase();
  if (profile.name !== "paper" && !(DATASETS as readonly string[]).includes(dataset)) {
    throw new Error(`--dataset ${o.dataset}: choose one of ${DATASETS.join(", ")}`);
  }
  if (profile.name === "paper" && opts.network && o.backend !== "tensorflow-gpu") {
    throw new Error(
      `profile 'paper' trains the paper's FFHQ 64×64 U-Nets, which the CPU backend '${o.backend}' cannot: ` +
        "the wasm heap (4 GiB) runs out of memory a few seconds into training, and a CPU would take weeks; " +
        "use --backend tensorflow-gpu on a machine with a GPU, or a smaller profile (--profile full)",
    );
  }
  if (profile.name === "paper" && !o.dataDir) {
    throw new Error(
      `profile 'paper' reproduces the paper's FFHQ 64×64 setting and needs the user's own images: ` +
        `pass --data-dir <folder of PNGs> (and, for trained networks, a GPU backend: --backend tensorflow-gpu)`,
    );
  }
  await checkOutWritable(join(o.out, profile.name, dataset));
  await sweepStale(join(o.out, profile.name, dataset));
  const blas = loadBlas(o.blas, o.blasPath);
  const backend = opts.network ? await initBackend(o.backend, { blas: blas.name !== "none" }) : null;
  const outDir = join(o.out, profile.name, dataset);
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
  const probe = join(outDir, `.write-probe-${Deno.pid}.tmp`);
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
    backend: ctx.backend
      ? `${ctx.backend.name} (${ctx.backend.kernels.length} kernel replacements` +
        `${ctx.backend.kernels.some((k) => k.endsWith(":blas")) ? ", native BLAS kernels" : ""})`
      : "none",
    blas: describeBlas(blasInfo()),
  });
  if ((DATASETS as readonly string[]).includes(ctx.dataset)) {
    provenance.datasetSha256 = datasetSha256(ctx.dataset);
  }
  const result = buildResult(
    { ...input, claim: ctx.claim, profile: ctx.profile.name, dataset: ctx.dataset, figures: figs },
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
  log(
    `${ctx.claim}: verdict ${
      v === true ? "holds" : v === false ? "does not hold" : "partial"
    }; wrote ${path}`,
  );
  return { result, path };
}

/** Round to `digits` significant digits, so numbers quoted in words are stable across platforms. */
export function sig(x: number, digits = 3): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : String(x);
}
