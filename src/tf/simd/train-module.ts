/**
 * The training kernels (train.c, built by scripts/build-simd-train.sh, embedded as base64 in `<name>.wasm.ts`) take
 * tensors as byte offsets on tfjs-backend-wasm's heap, so a kernel reads and writes tensors in place, like the backend's
 * own C++ kernels. The modules use no stack and no static data (the build checks it): they touch only the memory they
 * are given. Compiling and instantiating is loader.ts's (one switch, GRADOPT_SIMD=0, for all SIMD kernels); anything
 * missing (another backend, no SIMD, a module still compiling) gives null and the caller keeps its XNNPACK/JS path.
 */
import type { DataId, TensorInfo } from "@tensorflow/tfjs";
import { backendMemory, simdInstance } from "./loader.js";

/** The part of tfjs-backend-wasm's BackendWasm a SIMD kernel needs: its heap and where each tensor lives on it. */
export interface WasmHeapBackend {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
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
  return simdInstance(name, base64, memory);
}

/** The exports of module `name` (wasm bytes as base64) bound to `backend`'s memory, or null where it cannot run. */
export function simdModule(backend: unknown, name: string, base64: string): WebAssembly.Exports | null {
  const memory = backendMemory(backend);
  if (!memory || !(backend as Partial<WasmHeapBackend>).dataIdMap) return null;
  return simdInstance(name, base64, memory);
}

/** Byte offset of a tensor's data on the backend's heap. */
export function heapOffset(backend: unknown, t: TensorInfo): number {
  const entry = (backend as WasmHeapBackend).dataIdMap.get(t.dataId);
  if (!entry) throw new Error("gradopt: tensor is not on the wasm heap");
  return entry.memoryOffset;
}
