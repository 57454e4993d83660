/**
 * Kernels the wasm backend lacks (for gradients) or runs slowly, registered under their tfjs kernel names.
 * Each kernel lives in its own file and exports a KernelConfig; this is the only file with registration side effects.
 */
import * as tf from "@tensorflow/tfjs";

const configs: tf.KernelConfig[] = [];

let done = false;

/** Registers gradopt's wasm kernels once. Kernels that tfjs already has for wasm are replaced only when ours exist. */
export function registerWasmKernels(): void {
  if (done) return;
  done = true;
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, "wasm")) tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({ ...config, backendName: "wasm" });
  }
}
