/**
 * gradopt's WebAssembly SIMD128 kernels (kernels.c, built by scripts/build-simd.sh into module.generated.ts), run on
 * tfjs-backend-wasm's own memory: the module imports the backend's WebAssembly.Memory, so a kernel gets byte offsets
 * of tensors already on the heap and writes its output in place, like the backend's C++ kernels.
 *
 * Availability: the engine must support SIMD128 (Node >= 16, current browsers) and the backend must expose its
 * memory (tfjs-backend-wasm 4.x's Emscripten module keeps it as `wasm.asm.memory`). Otherwise, or with
 * GRADOPT_SIMD=0, `simdKernels` returns undefined and every caller keeps its JS loop. Compilation is synchronous
 * where allowed (Node, workers); a browser main thread refuses synchronous compilation of modules over 4 KB, so there
 * the first call starts an asynchronous compile and the JS loops run until it is done.
 */
import { SIMD_MODULE_BASE64 } from "./module.generated.js";

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

/** The slice of tfjs-backend-wasm's backend that holds its Emscripten module. */
interface BackendWithHeap {
  wasm?: { asm?: { memory?: unknown } };
}

let compiled: WebAssembly.Module | null | undefined; // undefined: not tried yet; null: unavailable
let compiling = false;
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();
let enabled = readEnabled();

function readEnabled(): boolean {
  const env = typeof process !== "undefined" ? process.env?.GRADOPT_SIMD : undefined;
  return env !== "0";
}

let winograd = true;
/** Tests and benchmarks: let 3x3 convolutions use the Winograd kernels (default) or not (direct / XNNPACK). */
export function setWinogradEnabled(on: boolean): void {
  winograd = on;
}
export function winogradEnabled(): boolean {
  return winograd;
}

/** Tests and benchmarks: switch the SIMD kernels off (the JS loops run) or back on. */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(SIMD_MODULE_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function compile(): WebAssembly.Module | null | undefined {
  if (compiled !== undefined || compiling) return compiled;
  if (typeof WebAssembly === "undefined") return (compiled = null);
  const bytes = moduleBytes();
  if (!WebAssembly.validate(bytes)) return (compiled = null); // no SIMD128 in this engine
  try {
    compiled = new WebAssembly.Module(bytes);
  } catch {
    // A browser main thread: compile in the background, JS loops meanwhile.
    compiling = true;
    WebAssembly.compile(bytes).then(
      (m) => {
        compiled = m;
        compiling = false;
      },
      () => {
        compiled = null;
        compiling = false;
      },
    );
  }
  return compiled;
}

/** The SIMD kernels bound to `backend`'s heap, or undefined where they cannot run (the caller's JS path then runs). */
export function simdKernels(backend: unknown): SimdKernels | undefined {
  if (!enabled) return undefined;
  const memory = (backend as BackendWithHeap).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  const cached = instances.get(memory);
  if (cached) return cached;
  const module = compile();
  if (!module) return undefined;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels & {
    gradopt_simd_version(): number;
  };
  if (exports.gradopt_simd_version() !== MODULE_VERSION) return undefined;
  instances.set(memory, exports);
  return exports;
}

/** Byte offset of a typed-array view of the heap (what `typedArrayFromHeap` returns), the kernels' pointer. */
export function heapPointer(view: ArrayBufferView): number {
  return view.byteOffset;
}
