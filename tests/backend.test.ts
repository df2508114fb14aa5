/** Tests of lib/backend.ts: the default backend starts; the native ones fail with a clear message. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { BackendUnavailableError, initBackend, nativeBackendMessage } from "../lib/backend.ts";

Deno.test("wasm starts with SIMD and computes", async () => {
  const info = await initBackend("wasm");
  assert.equal(info.name, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(info.details.simd, true);
  assert.equal(info.tfjs, tf.version_core);
  const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  assert.equal(y, 11);
});

Deno.test("an unknown backend is an error naming the choices", async () => {
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => initBackend("webgpu" as any), /unknown backend 'webgpu'.*wasm, cpu/);
});

Deno.test("tensorflow-gpu without its native addon fails clearly (real import)", async () => {
  // In a child process with --no-lock: the optional package is fetched on demand and must not enter
  // deno.lock (a locked tfjs-node-gpu would be installed, with a build-script warning, by every deno install).
  const script = `import { initBackend } from "./lib/backend.ts";
const e = await initBackend("tensorflow-gpu").then(() => null, (e) => e);
console.log(JSON.stringify(e === null ? null : { name: e.name, message: e.message }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", "--ext=ts", script],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const err = JSON.parse(stdout) as { name: string; message: string } | null;
  if (err === null) {
    console.warn("tfjs-node-gpu loaded here: its native addon is present, nothing to test");
    return;
  }
  assert.equal(err.name, "BackendUnavailableError", err.message);
  assert.match(err.message, /tensorflow-gpu/);
  assert.match(err.message, /tfjs_binding\.node/);
  assert.match(err.message, /CUDA 11\.2/);
  assert.match(err.message, /cuDNN 8\.1/);
  assert.match(err.message, /libtensorflow 2\.9\.1/);
  assert.match(err.message, /--backend wasm/);
});

Deno.test("tensorflow (CPU) failure names libtensorflow and no CUDA", async () => {
  const importer = () =>
    Promise.reject(new Error("The Node.js native addon module (tfjs_binding.node) can not be found"));
  const err = await initBackend("tensorflow", { importer }).then(() => null, (e) => e);
  assert.ok(err instanceof BackendUnavailableError);
  assert.match(err.message, /@tensorflow\/tfjs-node's native addon/);
  assert.match(err.message, /libtensorflow 2\.9\.1 \(CPU\)/);
  assert.doesNotMatch(err.message, /CUDA/);
  assert.equal(nativeBackendMessage("tensorflow", "x").split("\n").length, 5);
});
