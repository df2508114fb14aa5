/**
 * Tests of lib/backend.ts: the default backend starts; the native ones fail with a clear message;
 * webgpu without an adapter fails with one too. (Training on webgpu: tests/training/webgpu.test.ts.)
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import {
  BackendUnavailableError,
  currentBackend,
  describeBackend,
  initBackend,
  nativeBackendMessage,
} from "../lib/backend.ts";

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
  await assert.rejects(() => initBackend("webgl" as any), /unknown backend 'webgl'.*wasm, cpu, webgpu/);
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
  assert.match(err.message, /--backend webgpu/);
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

Deno.test("webgpu without an adapter fails clearly, and leaves the current backend alone", async () => {
  await initBackend("wasm");
  const before = currentBackend();
  const none = { requestAdapter: () => Promise.resolve(null) };
  const err = await initBackend("webgpu", { gpu: none }).then(() => null, (e) => e);
  assert.ok(err instanceof BackendUnavailableError, String(err));
  assert.match(
    err.message,
    /backend 'webgpu' is not available: navigator\.gpu\.requestAdapter\(\) found no adapter/,
  );
  assert.match(err.message, /mesa-vulkan-drivers/);
  assert.match(err.message, /--backend wasm/);
  const noGpu = await initBackend("webgpu", { gpu: null }).then(() => null, (e) => e);
  assert.match(String(noGpu?.message), /no navigator\.gpu/);
  const throwing = { requestAdapter: () => Promise.reject(new Error("driver exploded")) };
  const thrown = await initBackend("webgpu", { gpu: throwing }).then(() => null, (e) => e);
  assert.match(String(thrown?.message), /requestAdapter\(\) failed \(driver exploded\)/);
  assert.equal(currentBackend(), before);
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("describeBackend: kernels, native BLAS and the WebGPU adapter", () => {
  const base = { tfjs: tf.version_core, details: {} };
  assert.equal(
    describeBackend({ ...base, name: "wasm", kernels: ["Sum", "Mean"] }),
    "wasm (2 kernel replacements)",
  );
  assert.equal(
    describeBackend({ ...base, name: "wasm", kernels: ["Sum", "Conv2D:blas"] }),
    "wasm (2 kernel replacements, native BLAS kernels)",
  );
  assert.equal(
    describeBackend({ ...base, name: "webgpu", kernels: [], details: { adapter: "llvmpipe, vendor 65541" } }),
    "webgpu (0 kernel replacements; adapter llvmpipe, vendor 65541)",
  );
});
