/**
 * The training kernels (train.c, built by scripts/build-simd-train.sh, embedded as base64 in `<name>.wasm.ts`) take
 * tensors as byte offsets on tfjs-backend-wasm's heap, so a kernel reads and writes tensors in place, like the backend's
 * own C++ kernels. The modules use no stack and no static data (the build checks it): they touch only the memory they
 * are given. Compiling and instantiating is loader.ts's (one switch, GRADOPT_SIMD=0, for all SIMD kernels); anything
 * missing (another backend, no SIMD, a module still compiling) gives null and the caller keeps its XNNPACK/JS path.
 */
import type { backend_util, DataId, TensorInfo } from "@tensorflow/tfjs";
import { backendMemory, simdInstance } from "./loader.js";
import { trainWasm } from "./train.wasm.js";

/** The part of tfjs-backend-wasm's BackendWasm a SIMD kernel needs: its heap and where each tensor lives on it. */
export interface WasmHeapBackend {
  wasm: { asm?: { memory?: WebAssembly.Memory } };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
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

/** train.c's exports; pointers are byte offsets on the memory the module was instantiated on. See train.c for each. */
export interface TrainKernels {
  pad_nhwc(
    x: number,
    b: number,
    h: number,
    w: number,
    c: number,
    xp: number,
    hp: number,
    wp: number,
    pt: number,
    pl: number,
  ): void;
  conv_filter_grad(
    xp: number,
    b: number,
    hp: number,
    wp: number,
    c: number,
    dy: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dw: number,
  ): void;
  winograd_filter_grad_3x3(
    xp: number,
    b: number,
    hp: number,
    wp: number,
    c: number,
    dy: number,
    oh: number,
    ow: number,
    co: number,
    v: number,
    u: number,
    chunk: number,
    m: number,
    dw: number,
  ): void;
  conv2d_forward(
    xp: number,
    b: number,
    hp: number,
    wp: number,
    c: number,
    w: number,
    bias: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    relu: number,
    out: number,
  ): void;
  gemm_f32(
    a: number,
    sam: number,
    sak: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    k: number,
  ): void;
  column_sums(x: number, rows: number, cols: number, out: number): void;
  adam_f32(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    d1: number,
    d2: number,
    eps: number,
    negLr: number,
  ): void;
}

/** train.c's kernels bound to `backend`'s heap, or null where they cannot run (the caller keeps its other path). */
export function trainKernels(backend: unknown): TrainKernels | null {
  return simdModule(backend, "train", trainWasm) as unknown as TrainKernels | null;
}

/** train.c's kernels on a memory of the caller's own (FlatAdam's), or null. */
export function trainKernelsOnMemory(memory: WebAssembly.Memory): TrainKernels | null {
  return simdInstance("train", trainWasm, memory) as unknown as TrainKernels | null;
}

/** A zero-padded copy of x on the heap: the window every output of the convolution reads from (train.c's layout). */
export interface PaddedWindow {
  xp: TensorInfo;
  /** Byte offset of xp on the heap. */
  at: number;
  hp: number;
  wp: number;
}

/**
 * Pads x (NHWC) by the convolution's top/left padding into an hp x wp window per image (zeros around), for the direct
 * and Winograd kernels. The window defaults to what the convolution's outputs read, (out - 1) * stride + filter per
 * side; Winograd passes its tile-aligned one. `slack` floats past the end for kernels whose last vector load may
 * overrun. The caller disposes xp.
 */
export function padIntoWindow(
  backend: { makeOutput(shape: number[], dtype: "float32"): TensorInfo },
  simd: TrainKernels,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
  opts: { hp?: number; wp?: number; slack?: number } = {},
): PaddedWindow {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c } = info;
  const hp = opts.hp ?? (info.outHeight - 1) * info.strideHeight + info.filterHeight;
  const wp = opts.wp ?? (info.outWidth - 1) * info.strideWidth + info.filterWidth;
  const xp = backend.makeOutput([b * hp * wp * c + (opts.slack ?? 0)], "float32");
  const at = heapOffset(backend, xp);
  simd.pad_nhwc(heapOffset(backend, x), b, h, w, c, at, hp, wp, info.padInfo.top, info.padInfo.left);
  return { xp, at, hp, wp };
}
