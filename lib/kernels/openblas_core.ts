/**
 * Choosing OpenBLAS's kernel set before the library is loaded.
 *
 * Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not recognise AMD Zen 4 as AVX-512 capable and runs
 * its Haswell (AVX2) kernels there. Measured on our 2-core AMD EPYC VM: sgemm 1024³ takes 10 ms on
 * one thread with the Haswell kernels and 5 ms with the SkylakeX ones; the shifted-GEMM conv taps
 * (K = 32–64) run 2–4× faster. OpenBLAS reads `OPENBLAS_CORETYPE` when it is loaded, so it must be
 * set before `Deno.dlopen`.
 *
 * @module
 */

const _AVX512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"];

/**
 * If `OPENBLAS_CORETYPE` is unset and the CPU has the AVX-512 subsets OpenBLAS's SkylakeX kernels
 * use (per /proc/cpuinfo), set it to `SkylakeX`; returns the value in effect (or undefined).
 * Call before OpenBLAS is first loaded; without `--allow-env`/`--allow-read` it does nothing.
 */
export function preferOpenBlasCore(): string | undefined {
  try {
    const current = Deno.env.get("OPENBLAS_CORETYPE");
    if (current !== undefined && current !== "") return current;
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const flagsLine = info.split("\n").find((l) => l.startsWith("flags"));
    if (flagsLine === undefined) return undefined;
    const flags = new Set(flagsLine.split(":")[1].trim().split(/\s+/));
    if (!_AVX512.every((f) => flags.has(f))) return undefined;
    Deno.env.set("OPENBLAS_CORETYPE", "SkylakeX");
    return "SkylakeX";
  } catch {
    return undefined; // no permission or no /proc: leave OpenBLAS's own detection.
  }
}
