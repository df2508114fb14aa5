import assert from "node:assert/strict";
import { buildKernelsWasm, kernelsModuleSource } from "../../lib/kernels/wasm/build.ts";
import { decodeBase64, encodeBase64 } from "../../lib/kernels/wasm/_base64.ts";
import { KERNELS_WASM_BASE64 } from "../../lib/kernels/wasm/_kernels_wasm.ts";

/** Section ids of a WebAssembly binary, in order. */
function sections(bytes: Uint8Array): number[] {
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0], "wasm magic and version 1");
  const ids: number[] = [];
  let i = 8;
  while (i < bytes.length) {
    ids.push(bytes[i++]);
    let size = 0;
    for (let shift = 0;; shift += 7) {
      const b = bytes[i++];
      size |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    i += size;
  }
  assert.equal(i, bytes.length, "sections end at the end of the module");
  return ids;
}

Deno.test("wasm kernels: the committed module is what the AssemblyScript source builds to, byte for byte", async () => {
  const built = await buildKernelsWasm();
  const committed = decodeBase64(KERNELS_WASM_BASE64);
  assert.equal(encodeBase64(built), KERNELS_WASM_BASE64, "run `deno task build:wasm` and commit the result");
  assert.deepEqual(built, committed);
  const src = Deno.readTextFileSync(new URL("../../lib/kernels/wasm/_kernels_wasm.ts", import.meta.url));
  assert.equal(src, kernelsModuleSource(built));
});

Deno.test("wasm kernels: import only tfjs' memory, write no static data, export the kernels", () => {
  const bytes = decodeBase64(KERNELS_WASM_BASE64);
  const ids = sections(bytes);
  assert.ok(!ids.includes(11), "no data section (it would overwrite tfjs' heap)");
  assert.ok(!ids.includes(6), "no globals (no stack pointer)");
  const mod = new WebAssembly.Module(bytes as BufferSource);
  assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: "env", name: "memory", kind: "memory" }]);
  const names = WebAssembly.Module.exports(mod).filter((e) => e.kind === "function").map((e) => e.name);
  assert.ok(names.includes("adamEma"), `exports: ${names}`);
});
