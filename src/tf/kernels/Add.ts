/**
 * Add for the wasm backend with a fast path for a bias: x [..., C] + b [C] (what a Conv2D or Dense layer's bias is
 * under gradopt's gradient fast path, src/attack/model.ts). tfjs-backend-wasm's Add broadcasts element by element
 * through index arithmetic (1.4 ms for [128, 28, 28, 16] + [16] vs 0.6 ms for a same-shape Add); the SIMD128 kernel of
 * src/tf/simd streams rows of C. Same float32 sums. Everything else, or no SIMD, goes to the stock kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Add");

/** Inputs smaller than this take the stock kernel. */
const MIN_SIZE = 1 << 12;

/** True when `b` is a vector of x's last dimension (leading dimensions of 1 allowed) and x is at least 2-D. */
function isBias(x: TensorInfo, b: TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  return (
    x.shape.length >= 2 &&
    b.shape.length >= 1 &&
    b.shape.length <= x.shape.length &&
    b.shape[b.shape.length - 1] === c &&
    b.shape.slice(0, -1).every((d) => d === 1)
  );
}

function add(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  if (a.dtype !== "float32" || b.dtype !== "float32") return stock.run(args);
  const [x, bias] = isBias(a, b) ? [a, b] : isBias(b, a) ? [b, a] : [undefined, undefined];
  if (!x || !bias) return stock.run(args);
  const size = x.shape.reduce((p, d) => p * d, 1);
  const backend = args.backend as unknown as WasmBackendLike;
  const simd = size >= MIN_SIZE ? simdKernels(backend) : undefined;
  if (!simd) return stock.run(args);
  const c = x.shape[x.shape.length - 1]!;
  const out = backend.makeOutput(x.shape, "float32");
  simd.bias_add_f32(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(bias)),
    heapPointer(backend.typedArrayFromHeap(out)),
    size / c,
    c,
  );
  return out;
}

export const addConfig: KernelConfig = {
  kernelName: "Add",
  backendName: "wasm",
  kernelFunc: add,
};
