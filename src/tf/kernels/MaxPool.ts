/**
 * MaxPool for the wasm backend: the common 2x2 / stride-2 / unpadded case as a SIMD128 kernel (src/tf/simd; one
 * pass, 4 channels per instruction), with tfjs's cpu-backend semantics (a running maximum from -inf with strict >).
 * Other windows, dtypes, or no SIMD: tfjs-backend-wasm's own kernel (XNNPACK).
 */
import { backend_util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, MaxPoolAttrs, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("MaxPool");

function maxPool(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolAttrs;
  if (x.dtype !== "float32" || x.shape.length !== 4) return stock.run(args);
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const plain2x2 =
    info.filterHeight === 2 &&
    info.filterWidth === 2 &&
    info.strideHeight === 2 &&
    info.strideWidth === 2 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    2 * oh <= ih &&
    2 * ow <= iw;
  const backend = args.backend as unknown as WasmBackendLike;
  const simd = plain2x2 ? simdKernels(backend) : undefined;
  if (!simd) return stock.run(args);
  const out = backend.makeOutput([n, oh, ow, c], "float32");
  simd.max_pool_2x2_f32(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(out)),
    n,
    ih,
    iw,
    c,
    oh,
    ow,
  );
  return out;
}

export const maxPoolConfig: KernelConfig = {
  kernelName: "MaxPool",
  backendName: "wasm",
  kernelFunc: maxPool,
};
