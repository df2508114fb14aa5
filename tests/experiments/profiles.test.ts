/** Profiles: every profile is complete; unknown names, the `paper` profile without data or on a CPU backend fail clearly. */
import assert from "node:assert/strict";
import { getProfile, PROFILES } from "../../experiments/profiles.ts";
import { startExperiment } from "../../experiments/_harness.ts";
import { PAPER_SIGMAS } from "../../lib/sampling/schedule.ts";

Deno.test("profiles grow from smoke to full and evaluate at the paper's 10 σ", () => {
  const [s, c, f] = ["smoke", "ci", "full"].map((n) => getProfile(n).c10);
  assert.ok(s.nTrain <= c.nTrain && c.nTrain <= f.nTrain);
  assert.ok(s.resolution < c.resolution && c.resolution < f.resolution);
  for (const p of Object.values(PROFILES)) assert.deepEqual(p.c10.sigmas, [...PAPER_SIGMAS]);
  assert.throws(() => getProfile("huge"), /unknown profile 'huge'; known profiles: smoke, ci, full, paper/);
});

Deno.test("the paper profile without --data-dir stops with a clear message", async () => {
  await assert.rejects(() => startExperiment("C10", ["--profile", "paper"]), /--data-dir/);
});

Deno.test("the paper profile refuses a CPU backend for network experiments and names --backend webgpu", async () => {
  const args = ["--profile", "paper", "--data-dir", "/nonexistent"];
  for (const backend of ["wasm", "cpu"]) {
    await assert.rejects(
      () => startExperiment("C6", [...args, "--backend", backend], { network: true }),
      new RegExp(`profile 'paper' trains .* the CPU backend '${backend}' cannot: .* pass --backend webgpu`),
    );
  }
  await assert.rejects(
    () => startExperiment("C6", ["--profile", "paper"], { network: true }),
    /--backend webgpu/,
  );
});
