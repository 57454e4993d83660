/**
 * TensorFlow.js backend selection. In Node the wasm backend (tfjs-node cannot be installed everywhere), with
 * tfjs-node used when the user has it; in the browser WebGPU/WebGL, then wasm. `setBackend` silently falls back to the
 * slow cpu backend when a backend fails, so we check what we got.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";

export type BackendName = "wasm" | "cpu" | "tensorflow" | "webgl" | "webgpu";

let ready: Promise<string> | undefined;

async function tryBackend(name: string): Promise<boolean> {
  try {
    if (tf.findBackendFactory(name) === undefined) return false;
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function loadOptional(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sets up the best available backend once and returns its name. `preferred` forces one (throws if unavailable).
 * Environment override: GRADOPT_BACKEND=wasm|cpu|tensorflow.
 */
export function initBackend(preferred?: BackendName): Promise<string> {
  const wanted = preferred ?? (process.env.GRADOPT_BACKEND as BackendName | undefined);
  if (ready && !wanted) return ready;
  ready = (async () => {
    const order: BackendName[] = wanted ? [wanted] : ["tensorflow", "wasm", "cpu"];
    for (const name of order) {
      if (name === "tensorflow" && !(await loadOptional("@tensorflow/tfjs-node"))) continue;
      if (name === "wasm") {
        await import("@tensorflow/tfjs-backend-wasm");
        const { registerWasmKernels } = await import("./kernels/register.js");
        registerWasmKernels();
      }
      if (await tryBackend(name)) return name;
    }
    throw new GradoptError(
      "E_BACKEND",
      `no TensorFlow.js backend could be set up (tried ${order.join(", ")})`,
    );
  })();
  return ready;
}

export { tf };
