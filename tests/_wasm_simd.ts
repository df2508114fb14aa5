/**
 * Test helper: run `f` with the WebAssembly SIMD kernels turned off (`HG_WASM_SIMD=0`, so the JavaScript
 * passes run), restoring the default when it returns, throws, or (for a promise) settles.
 *
 * @module
 */

/** `f()` with `HG_WASM_SIMD=0`. */
export function withoutWasmSimd<T>(f: () => T): T {
  Deno.env.set("HG_WASM_SIMD", "0");
  let out: T;
  try {
    out = f();
  } catch (e) {
    Deno.env.delete("HG_WASM_SIMD");
    throw e;
  }
  if (out instanceof Promise) return out.finally(() => Deno.env.delete("HG_WASM_SIMD")) as T;
  Deno.env.delete("HG_WASM_SIMD");
  return out;
}
