/**
 * Kernels the wasm backend lacks (for gradients) or runs slowly, registered under their tfjs kernel names.
 * Each kernel lives in its own file and exports a KernelConfig; the two lists below gather them:
 * weight gradients (training) and input gradients (attacks). This is the only file with registration side effects.
 */
import * as tf from "@tensorflow/tfjs";
import { attackKernelGradients, attackKernels } from "./attack-kernels.js";
import { identityConfig } from "./Identity.js";
import { inputGradKernels } from "./input-grads.js";
import { reluGradConfig } from "./Relu_grad.js";
import { signConfig } from "./Sign.js";
import { weightGradKernels } from "./weight-grads.js";

let done = false;

/**
 * Registers gradopt's wasm kernels once, replacing tfjs's own wasm kernel of the same name where one exists (the
 * gradient lists, and a copy-free Identity), and Relu's cast-free gradient (all backends; same values).
 */
export function registerWasmKernels(): void {
  if (done) return;
  done = true;
  for (const config of [
    ...weightGradKernels,
    ...inputGradKernels,
    identityConfig,
    signConfig,
    ...attackKernels,
  ]) {
    if (tf.getKernel(config.kernelName, "wasm")) tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({ ...config, backendName: "wasm" });
  }
  tf.registerGradient(reluGradConfig);
  for (const config of attackKernelGradients) tf.registerGradient(config);
}
