/**
 * TensorFlow.js backend setup in the browser (page or worker): WebGL when the GPU is usable, else wasm (its binaries
 * are served from wasm/ next to the app: setWasmPaths must point there before the backend starts), else cpu.
 * `tf.setBackend` silently falls back to cpu on failure, so each choice is checked. gradopt's wasm kernels (input and
 * weight gradients the stock wasm backend lacks) are registered first, as in Node (src/tf/kernels/register.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "../tf/kernels/register.js";

export type BrowserBackend = "webgl" | "wasm" | "cpu";

let ready: Promise<BrowserBackend> | undefined;
/** The WebGL renderer seen when the backend was chosen (shown in the page's backend badge). */
export let rendererSeen: string | undefined;

/**
 * The WebGL renderer's name, or undefined without WebGL. A software rasteriser (SwiftShader, llvmpipe: what a browser
 * uses when the GPU is off or blocklisted) runs tfjs far slower than wasm, so it does not count as WebGL here.
 */
export function webglRenderer(): string | undefined {
  try {
    const canvas =
      typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(1, 1) : document.createElement("canvas");
    const gl = (canvas.getContext("webgl2") ?? canvas.getContext("webgl")) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return name;
  } catch {
    return undefined;
  }
}

const isSoftwareRenderer = (name: string): boolean =>
  /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name);

async function tryBackend(name: BrowserBackend): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    if (tf.getBackend() !== name) return false;
    // WebGL can "start" on a context that cannot compute (blocklisted GPU): check with a tiny op.
    const probe = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync());
    return probe[0] === 2 && probe[1] === 3;
  } catch {
    return false;
  }
}

/** Sets up the backend once; `wasmBase` is an absolute URL of the folder holding the .wasm files (ending in "/"). */
export function initBrowserBackend(wasmBase: string, preferred?: BrowserBackend): Promise<BrowserBackend> {
  ready ??= (async () => {
    setWasmPaths(wasmBase);
    registerWasmKernels();
    const renderer = webglRenderer();
    rendererSeen = renderer;
    const gpu = renderer !== undefined && !isSoftwareRenderer(renderer);
    const auto: BrowserBackend[] = gpu ? ["webgl", "wasm", "cpu"] : ["wasm", "cpu"];
    const order: BrowserBackend[] = preferred ? [preferred, ...auto.filter((b) => b !== preferred)] : auto;
    for (const name of order) if (await tryBackend(name)) return name;
    throw new Error(`no TensorFlow.js backend could be started (tried ${order.join(", ")})`);
  })();
  return ready;
}

export { tf };
