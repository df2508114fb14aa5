/**
 * Bookkeeping for kernel replacements: a replaced kernel's original configuration is kept, so the
 * replacements can call the backend's own kernels ({@link originalKernel}) and so
 * {@link restoreKernels} can put everything back.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

const _originals = new Map<string, tf.KernelConfig | null>();

function _key(kernelName: string, backendName: string): string {
  return `${backendName}_${kernelName}`;
}

/**
 * The backend's own configuration of `kernelName` on `backendName` as it was before any
 * replacement, or null when the backend has none (e.g. Conv2DBackpropFilter on wasm).
 */
export function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | null {
  const key = _key(kernelName, backendName);
  if (_originals.has(key)) return _originals.get(key)!;
  return tf.getKernel(kernelName, backendName) ?? null;
}

/**
 * Register `config` in place of the backend's own kernel (remembered for {@link originalKernel}).
 * The original's `setupFunc` still runs when the backend starts (the wasm kernels bind their
 * WebAssembly functions there), chained before the replacement's own.
 */
export function replaceKernel(config: tf.KernelConfig): void {
  const { kernelName, backendName } = config;
  const key = _key(kernelName, backendName);
  if (!_originals.has(key)) _originals.set(key, tf.getKernel(kernelName, backendName) ?? null);
  const original = _originals.get(key)!;
  if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
  const setups = [original?.setupFunc, config.setupFunc].filter((f) => f !== undefined);
  const setupFunc: tf.KernelSetupFunc | undefined = setups.length === 0
    ? undefined
    : (backend) => setups.forEach((f) => f!(backend));
  const disposeFunc = original?.disposeFunc ?? config.disposeFunc;
  tf.registerKernel({ ...config, setupFunc, disposeFunc });
  // If the backend is already running, its kernels were set up when it started; set up ours now.
  if (tf.getBackend() === backendName && config.setupFunc !== undefined) {
    config.setupFunc(tf.backend());
  }
}

/** Names of the kernels currently replaced on `backendName`. */
export function replacedKernels(backendName: string): string[] {
  const prefix = `${backendName}_`;
  return [..._originals.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/** Put back the backend's own kernels on `backendName` (those it had none of are unregistered). */
export function restoreKernels(backendName: string): void {
  for (const name of replacedKernels(backendName)) {
    const key = _key(name, backendName);
    const original = _originals.get(key)!;
    if (tf.getKernel(name, backendName) !== undefined) tf.unregisterKernel(name, backendName);
    if (original !== null) tf.registerKernel(original);
    _originals.delete(key);
  }
}
