/**
 * gradopt's WebAssembly SIMD128 kernels (kernels.c, built by scripts/build-simd.sh into module.generated.ts), run on
 * tfjs-backend-wasm's own memory: the module imports the backend's WebAssembly.Memory, so a kernel gets byte offsets
 * of tensors already on the heap and writes its output in place, like the backend's C++ kernels.
 *
 * Availability: the engine must support SIMD128 (Node >= 16, current browsers) and the backend must expose its
 * memory (tfjs-backend-wasm 4.x's Emscripten module keeps it as `wasm.asm.memory`). Otherwise, or with
 * GRADOPT_SIMD=0, `simdKernels` returns undefined and every caller keeps its JS loop. Compiling and instantiating
 * (synchronous where allowed, else in the background) is loader.ts's, shared with the training kernels.
 */
import { backendMemory, simdInstance } from "./loader.js";
import { SIMD_MODULE_BASE64 } from "./module.generated.js";

export { setSimdEnabled, simdEnabled } from "./loader.js";

/** The kernels' exports; pointers are byte offsets into the backend's heap. See kernels.c for each contract. */
export interface SimdKernels {
  max_pool_grad_2x2(
    x: number,
    dy: number,
    dx: number,
    n: number,
    ih: number,
    iw: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  conv2d_input_grad_s1(
    dy: number,
    w: number,
    dx: number,
    n: number,
    ih: number,
    iw: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    fh: number,
    fw: number,
    padTop: number,
    padLeft: number,
  ): void;
  conv2d_small_ci_s1(
    x: number,
    w: number,
    y: number,
    n: number,
    ih: number,
    iw: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    fh: number,
    fw: number,
    padTop: number,
    padLeft: number,
  ): void;
  conv2d_winograd_3x3_s1(
    x: number,
    w: number,
    bias: number,
    relu: number,
    y: number,
    scratch: number,
    n: number,
    ih: number,
    iw: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    padTop: number,
    padLeft: number,
    chunk: number,
  ): void;
  conv2d_winograd_3x3_ci1(
    x: number,
    w: number,
    bias: number,
    relu: number,
    y: number,
    scratch: number,
    n: number,
    ih: number,
    iw: number,
    oh: number,
    ow: number,
    co: number,
    padTop: number,
    padLeft: number,
  ): void;
  corr_winograd_3x3_co1(
    x: number,
    w: number,
    flip: number,
    y: number,
    scratch: number,
    n: number,
    ih: number,
    iw: number,
    c: number,
    oh: number,
    ow: number,
    padTop: number,
    padLeft: number,
  ): void;
  relu_max_pool_2x2_f32(
    x: number,
    y: number,
    n: number,
    ih: number,
    iw: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  relu_max_pool_grad_2x2(
    x: number,
    dy: number,
    dx: number,
    n: number,
    ih: number,
    iw: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  max_pool_2x2_f32(
    x: number,
    y: number,
    n: number,
    ih: number,
    iw: number,
    c: number,
    oh: number,
    ow: number,
  ): void;
  sign_f32(x: number, out: number, size: number): void;
  bias_add_f32(x: number, bias: number, out: number, rows: number, c: number): void;
  relu_grad_f32(dy: number, x: number, out: number, size: number): void;
  linf_sign_step_f32(
    x: number,
    g: number,
    x0: number,
    out: number,
    size: number,
    alpha: number,
    eps: number,
    lo: number,
    hi: number,
  ): void;
}

const MODULE_VERSION = 2;

let winograd = true;
/** Tests and benchmarks: let 3x3 convolutions use the Winograd kernels (default) or not (direct / XNNPACK). */
export function setWinogradEnabled(on: boolean): void {
  winograd = on;
}
export function winogradEnabled(): boolean {
  return winograd;
}

/** The SIMD kernels bound to `backend`'s heap, or undefined where they cannot run (the caller's JS path then runs). */
export function simdKernels(backend: unknown): SimdKernels | undefined {
  const memory = backendMemory(backend);
  const exports = memory && simdInstance("kernels", SIMD_MODULE_BASE64, memory);
  if (!exports) return undefined;
  const kernels = exports as unknown as SimdKernels & { gradopt_simd_version(): number };
  return kernels.gradopt_simd_version() === MODULE_VERSION ? kernels : undefined;
}

/** Byte offset of a typed-array view of the heap (what `typedArrayFromHeap` returns), the kernels' pointer. */
export function heapPointer(view: ArrayBufferView): number {
  return view.byteOffset;
}
