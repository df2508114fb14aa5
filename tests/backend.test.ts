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
  const err = await initBackend("tensorflow-gpu").then(() => null, (e) => e);
  if (err === null) {
    console.warn("tfjs-node-gpu loaded here: its native addon is present, nothing to test");
    return;
  }
  assert.ok(err instanceof BackendUnavailableError, String(err));
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
