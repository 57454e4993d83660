/**
 * Hand-written wasm SIMD128 kernels that run INSIDE tfjs-backend-wasm's linear memory: each module (C compiled by
 * scripts/build-simd-train.sh, embedded as base64 in `<name>.wasm.ts`) imports the backend's `memory` and takes tensors as
 * byte offsets on that heap, so a kernel reads and writes tensors in place, like the backend's own C++ kernels.
 * The modules use no stack and no static data (the build checks it): they touch only the memory they are given.
 * Anything missing (another backend, no SIMD, a runtime that refuses synchronous compilation) gives null and the
 * caller keeps its XNNPACK/JS path.
 */
import type { DataId, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-wasm's BackendWasm a SIMD kernel needs: its heap and where each tensor lives on it. */
export interface WasmHeapBackend {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
}

const instances = new WeakMap<object, Map<string, WebAssembly.Exports | null>>();
// GRADOPT_SIMD=0 switches these kernels off, as it does src/tf/simd/index.ts's.
let disabled = typeof process !== "undefined" && process.env?.GRADOPT_SIMD === "0";

/** Tests and benchmarks: turn every SIMD kernel off (callers take their fallback path) or back on. */
export function setSimdKernelsEnabled(on: boolean): void {
  disabled = !on;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== "undefined") return Uint8Array.from(Buffer.from(base64, "base64"));
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const compiled = new Map<string, WebAssembly.Module | null>();

/** The compiled module `name` (wasm bytes as base64), or null where this runtime cannot compile it synchronously. */
function compiledModule(name: string, base64: string): WebAssembly.Module | null {
  if (!compiled.has(name)) {
    let module: WebAssembly.Module | null = null;
    try {
      // Synchronous: kernels are synchronous. Browsers may refuse this on the main thread; then we fall back.
      module = new WebAssembly.Module(decode(base64));
    } catch {
      module = null;
    }
    compiled.set(name, module);
  }
  return compiled.get(name)!;
}

/**
 * The exports of module `name` bound to a memory of the caller's own (the kernels touch only the pointers they get,
 * so any memory works), or null where it cannot run. For work on plain arrays outside tfjs (FlatAdam).
 */
export function simdModuleOnMemory(
  name: string,
  base64: string,
  memory: WebAssembly.Memory,
): WebAssembly.Exports | null {
  if (disabled || typeof WebAssembly === "undefined") return null;
  const module = compiledModule(name, base64);
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch {
    return null;
  }
}

/** The exports of module `name` (wasm bytes as base64) bound to `backend`'s memory, or null where it cannot run. */
export function simdModule(backend: unknown, name: string, base64: string): WebAssembly.Exports | null {
  if (disabled || typeof WebAssembly === "undefined") return null;
  const b = backend as Partial<WasmHeapBackend> | null;
  const memory = b?.wasm?.asm?.memory;
  if (!b || !(memory instanceof WebAssembly.Memory) || !b.dataIdMap) return null;
  let perBackend = instances.get(b);
  if (!perBackend) instances.set(b, (perBackend = new Map()));
  if (!perBackend.has(name)) {
    const module = compiledModule(name, base64);
    let exports: WebAssembly.Exports | null = null;
    try {
      exports = module && new WebAssembly.Instance(module, { env: { memory } }).exports;
    } catch {
      exports = null;
    }
    perBackend.set(name, exports);
  }
  return perBackend.get(name)!;
}

/** Byte offset of a tensor's data on the backend's heap. */
export function heapOffset(backend: unknown, t: TensorInfo): number {
  const entry = (backend as WasmHeapBackend).dataIdMap.get(t.dataId);
  if (!entry) throw new Error("gradopt: tensor is not on the wasm heap");
  return entry.memoryOffset;
}
