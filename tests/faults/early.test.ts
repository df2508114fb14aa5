/**
 * Fail early with a named cause, before any computation: option values, --out writability, the paper
 * profile on a CPU backend, contradictory BLAS options, and damaged checkpoint manifests (a shape that is
 * not a list of sizes, a permuted conv shape, a changed baseChannels); a task ends with one line naming
 * the cause, never a bare TypeError or a stack trace.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runC10 } from "../../experiments/c10_theorem1.ts";
import { runC6 } from "../../experiments/c6_dataset_size.ts";
import { parseCommon } from "../../lib/cli.ts";
import { CheckpointError } from "../../lib/training/checkpoint.ts";
import { loadDenoiser } from "../../lib/training/model.ts";
import { REPO, runDeno, shippedCopy } from "./_util.ts";

const N16 = "2db026b03e0deb84598f1c05dfcf8602fbf098e50fe077b729742474ca2d8618";

Deno.test("option values are checked up front and named", async () => {
  await assert.rejects(
    () => runC10(["--profile", "constructor"]),
    /^Error: unknown profile 'constructor'; known profiles:/,
  );
  await assert.rejects(
    () => runC10(["--profile", "smoke", "--dataset", "cifar"]),
    /--dataset cifar: choose one of mnist, fashion-mnist/,
  );
  assert.throws(
    () => parseCommon(["--blas", "off", "--blas-path", "/x/libopenblas.so"]),
    /--blas off --blas-path \/x\/libopenblas\.so: a BLAS path with the BLAS turned off/,
  );
  assert.throws(
    () => parseCommon(["--profile"]),
    /^Error: options: Option '--profile <value>' argument missing/,
  );
  assert.throws(() => parseCommon(["--out="]), /--out needs a value, got ''/);
  assert.throws(() => parseCommon(["--bogus"]), /options: Unknown option '--bogus'/);
});

Deno.test("an unwritable --out is found before any computation", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    const t0 = performance.now();
    await assert.rejects(
      () => runC10(["--profile", "smoke", "--out", `${dir}/file/out`]),
      (e: Error) => e.message.startsWith(`--out: cannot write results to ${dir}/file/out/smoke/mnist: `),
    );
    assert.ok(performance.now() - t0 < 5000, "refused at once");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the paper profile on a CPU backend refuses up front, with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const backend of ["wasm", "cpu"]) {
      await assert.rejects(
        () => runC6(["--profile", "paper", "--data-dir", dir, "--backend", backend, "--out", dir]),
        new RegExp(
          `profile 'paper' trains the paper's FFHQ 64×64 U-Nets, which the CPU backend '${backend}' cannot`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a task ends with one line naming the cause, not a TypeError or a stack trace", async () => {
  const run = await runDeno(["run", "-A", `${REPO}/experiments/c10_theorem1.ts`, "--profile", "constructor"]);
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr.trim(),
    "c10: unknown profile 'constructor'; known profiles: smoke, ci, full, paper",
  );
  const cite = await runDeno(["run", "-A", `${REPO}/experiments/cite.ts`, "C10", "--version"]);
  assert.equal(cite.code, 1);
  assert.match(cite.stderr.trim(), /^cite: Option '--version <value>' argument missing$/);
});

Deno.test("damaged checkpoint manifests are named: shape 'abc', a permuted conv shape, a changed baseChannels", async () => {
  const root = await shippedCopy([N16]);
  const dir = `${root}/${N16}`;
  const path = `${dir}/manifest.json`;
  const original = await Deno.readTextFile(path);
  type M = { tensors: { name: string; shape: unknown }[]; config: { net: { baseChannels: number } } };
  const cases: [string, (m: M) => void, RegExp][] = [
    [
      "shape abc",
      (m) => (m.tensors[0].shape = "abc"),
      /tensor table entry 0 .* has shape "abc", not a list of sizes/,
    ],
    [
      "permuted conv",
      (m) => {
        const t = m.tensors.find((x) => x.name === "ema/convIn.w")!;
        t.shape = [...(t.shape as number[])].reverse();
      },
      /tensor ema\/convIn\.w has shape \[8,1,3,3\], but config\.net \(baseChannels 8\) gives it \[3,3,1,8\]/,
    ],
    [
      "baseChannels",
      (m) => (m.config.net.baseChannels = 16),
      /has shape .* but config\.net \(baseChannels 16\) gives it/,
    ],
    [
      "odd baseChannels",
      (m) => (m.config.net.baseChannels = 7),
      /config\.net is not a valid U-Net config: .*baseChannels/,
    ],
  ];
  try {
    for (const [what, edit, why] of cases) {
      const m = JSON.parse(original) as M;
      edit(m);
      await Deno.writeTextFile(path, JSON.stringify(m));
      await assert.rejects(
        () => loadDenoiser(dir),
        (e: Error) =>
          e instanceof CheckpointError && e.message.startsWith(`${path}: `) && why.test(e.message),
        what,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
