/**
 * Sum for the wasm backend with a fast path for reductions over the LEADING axes of a large float32 tensor: a bias
 * gradient (sum of dy [N, H, W, C] over N, H, W). tfjs-backend-wasm's kernel first transposes the input so that the
 * reduced axes are innermost (a full copy of dy), then sums. Here: column sums of X[R, C] by the SIMD128 kernel of
 * src/tf/simd/train.c (one streaming pass, columns in registers), else one XNNPACK product ones[1, R] x X[R, C]
 * (which repacks X as a weight matrix on every call: 4.7 vs 0.3 ms for [128, 28, 28, 16] in a training step).
 * Everything else goes to the stock kernel.
 */
import { backend_util, util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from "@tensorflow/tfjs";
import { callKernel } from "./Conv2DBackpropFilter.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";
import { heapOffset, trainKernels } from "../simd/train-module.js";

const stock = new StockKernel("Sum");

/** Inputs smaller than this take the stock kernel (the product's setup is not worth it). */
const MIN_SIZE = 1 << 14;

function sum(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== "float32" || util.sizeFromShape(x.shape) < MIN_SIZE) return stock.run(args);
  const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
  const cols = util.sizeFromShape(x.shape.slice(axes.length));
  const outShape = keepDims
    ? backend_util.expandShapeToKeepDim(x.shape.slice(axes.length), axes)
    : x.shape.slice(axes.length);
  const simd = trainKernels(backend);
  if (simd) {
    const out = backend.makeOutput(outShape, "float32");
    simd.column_sums(heapOffset(backend, x), rows, cols, heapOffset(backend, out));
    return out;
  }
  const ones = backend.makeOutput([1, 1, rows], "float32");
  backend.typedArrayFromHeap(ones).fill(1);
  const matrix = callKernel(backend, "Reshape", { x }, { shape: [1, rows, cols] });
  const product = callKernel(
    backend,
    "BatchMatMul",
    { a: ones, b: matrix },
    { transposeA: false, transposeB: false },
  );
  const out = callKernel(backend, "Reshape", { x: product }, { shape: outShape });
  for (const t of [ones, matrix, product]) backend.disposeData(t.dataId);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: "Sum",
  backendName: "wasm",
  kernelFunc: sum,
};
