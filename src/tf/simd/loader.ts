/**
 * Compiles and instantiates gradopt's WebAssembly SIMD128 modules (kernels.c for attacks and input gradients, train.c
 * for training; each embedded as base64 by its build script) on a given memory — tfjs-backend-wasm's heap, or a memory
 * of the caller's own. One switch for all of them: GRADOPT_SIMD=0 or setSimdEnabled(false).
 *
 * Compilation is synchronous where the runtime allows it (Node, workers), since kernels are synchronous. A browser main
 * thread refuses synchronous compilation of modules over 4 KB: there the first request starts an asynchronous compile
 * and gets null (the caller's fallback runs) until it is done. An engine without SIMD128 fails validation: null.
 */

let enabled = typeof process === "undefined" || process.env?.GRADOPT_SIMD !== "0";

/** Tests and benchmarks: switch every SIMD kernel off (callers take their fallback paths) or back on. */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

export function simdEnabled(): boolean {
  return enabled;
}

function decodeBase64(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Per module name: the compiled module, null where it cannot run here, "compiling" while an async compile runs. */
const compiled = new Map<string, WebAssembly.Module | null | "compiling">();

function compiledModule(name: string, base64: string): WebAssembly.Module | null {
  const known = compiled.get(name);
  if (known !== undefined) return known === "compiling" ? null : known;
  if (typeof WebAssembly === "undefined") return setCompiled(name, null);
  const bytes = decodeBase64(base64);
  if (!WebAssembly.validate(bytes)) return setCompiled(name, null);
  try {
    return setCompiled(name, new WebAssembly.Module(bytes));
  } catch {
    compiled.set(name, "compiling");
    WebAssembly.compile(bytes).then(
      (m) => compiled.set(name, m),
      () => compiled.set(name, null),
    );
    return null;
  }
}

function setCompiled(name: string, module: WebAssembly.Module | null): WebAssembly.Module | null {
  compiled.set(name, module);
  return module;
}

const instances = new WeakMap<WebAssembly.Memory, Map<string, WebAssembly.Exports | null>>();

/**
 * The exports of module `name` (wasm bytes as base64) instantiated on `memory` (its only import, `env.memory`), cached
 * per memory; null where SIMD is off, the module cannot be compiled (yet), or instantiation fails.
 */
export function simdInstance(
  name: string,
  base64: string,
  memory: WebAssembly.Memory,
): WebAssembly.Exports | null {
  if (!enabled) return null;
  let perMemory = instances.get(memory);
  if (perMemory?.has(name)) return perMemory.get(name)!;
  const module = compiledModule(name, base64);
  if (!module) return null; // not cached: an async compile may still deliver it
  let exports: WebAssembly.Exports | null = null;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch {
    exports = null;
  }
  if (!perMemory) instances.set(memory, (perMemory = new Map()));
  perMemory.set(name, exports);
  return exports;
}

/** tfjs-backend-wasm's heap (its Emscripten module keeps it as `wasm.asm.memory` in 4.x), or undefined. */
export function backendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } } | null)?.wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}
