/**
 * Test helper: start the tfjs backend the training tests run on — `$HG_TEST_BACKEND`, default
 * `wasm` (fast, with lib/kernels/ replacements) — and register the training gradients.
 *
 * @module
 */
import { type BackendName, initBackend } from "../../lib/backend.ts";
import { registerTrainingGradients } from "../../lib/training/gradients.ts";

/** Start the test backend (idempotent). */
export async function testBackend(): Promise<string> {
  const name = (Deno.env.get("HG_TEST_BACKEND") ?? "wasm") as BackendName;
  await initBackend(name);
  registerTrainingGradients();
  return name;
}
