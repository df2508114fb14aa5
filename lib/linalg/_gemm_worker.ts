/**
 * A worker of the WebAssembly SIMD GEMM's thread pool (lib/linalg/_wasm_gemm.ts): it instantiates the
 * kernel on the shared memory and takes column-panel chunks of each published product until told to stop.
 * The control words are documented in _wasm_gemm.ts (`_C`).
 *
 * @module
 */

/// <reference lib="deno.worker" />

type _Gemm = (
  ap: number,
  bp: number,
  cp: number,
  mb: number,
  k: number,
  ldc: number,
  jb0: number,
  jb1: number,
  tri: number,
) => void;

// Control word indices (the same as _C in _wasm_gemm.ts).
const WORD = 0,
  DONE = 1,
  AP = 2,
  BP = 3,
  CP = 4,
  MB = 5,
  K = 6,
  LDC = 7,
  NB = 8,
  PER = 9,
  TRI = 10,
  CHUNKS = 11,
  STOP = 12;

self.onmessage = (e: MessageEvent) => {
  const { module, memory, ctrl } = e.data as {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    ctrl: Int32Array;
  };
  const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm as _Gemm;
  for (;;) {
    if (Atomics.load(ctrl, STOP) !== 0) break;
    const w = Atomics.load(ctrl, WORD);
    const i = w & 0xffff;
    if (i >= Atomics.load(ctrl, CHUNKS)) {
      Atomics.wait(ctrl, WORD, w, 250);
      continue;
    }
    const per = Atomics.load(ctrl, PER);
    const nb = Atomics.load(ctrl, NB);
    const args = [AP, BP, CP, MB, K, LDC, TRI].map((j) => Atomics.load(ctrl, j));
    if (Atomics.compareExchange(ctrl, WORD, w, w + 1) !== w) continue;
    const jb0 = i * per;
    gemm(args[0], args[1], args[2], args[3], args[4], args[5], jb0, Math.min(nb, jb0 + per), args[6]);
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
  self.close();
};
