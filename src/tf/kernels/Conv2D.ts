/**
 * Conv2D for the wasm backend with a SIMD128 kernel (src/tf/simd) for a first layer: few input channels (a patch of
 * at most COL2IM_MAX_PATCH values, e.g. 3x3x1 or 3x3x3), stride 1, no dilation, NHWC, output channels a multiple of
 * 16. XNNPACK's convolution is built for many channels; with one input channel most of its work is padding (3.0 vs
 * ~1 ms for [128, 28, 28, 1] * [3, 3, 1, 16]). Everything else goes to tfjs-backend-wasm's own kernel (XNNPACK).
 */
import { backend_util } from "@tensorflow/tfjs";
import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels, type SimdKernels } from "../simd/index.js";
import { COL2IM_MAX_PATCH } from "./Conv2DBackpropInput.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Conv2D");

/** Tiles per Winograd chunk: its transformed inputs and products (16 x 64 x (ci + co) floats) stay in cache. */
const WINOGRAD_CHUNK = 64;
let winogradOn = true;
/** Tests and benchmarks: use the Winograd kernel for 3x3 convolutions where it applies (default) or XNNPACK. */
export function setWinogradConv(on: boolean): void {
  winogradOn = on;
}

/** y by Winograd F(2x2, 3x3) (kernels.c): 3x3, stride 1, no dilation, ci % 4 == 0, co % 8 == 0. */
function winogradConv(
  simd: SimdKernels,
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { inChannels: ci, outChannels: co } = info;
  const out = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, co], "float32");
  const scratch = backend.makeOutput([16 * (ci * co + WINOGRAD_CHUNK * (ci + co))], "float32");
  simd.conv2d_winograd_3x3_s1(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(filter)),
    heapPointer(backend.typedArrayFromHeap(out)),
    heapPointer(backend.typedArrayFromHeap(scratch)),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    ci,
    info.outHeight,
    info.outWidth,
    co,
    info.padInfo.top,
    info.padInfo.left,
    WINOGRAD_CHUNK,
  );
  backend.disposeData(scratch.dataId);
  return out;
}

function conv2D(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as Conv2DAttrs;
  if (x.dtype !== "float32" || filter.dtype !== "float32" || dataFormat === "NCHW") return stock.run(args);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
  );
  const unit =
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1;
  const small =
    unit &&
    info.outChannels % 16 === 0 &&
    info.filterHeight * info.filterWidth * info.inChannels <= COL2IM_MAX_PATCH;
  const winograd =
    winogradOn &&
    unit &&
    !small &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.inChannels % 4 === 0 &&
    info.outChannels % 8 === 0;
  const backend = args.backend as unknown as WasmBackendLike;
  const simd = small || winograd ? simdKernels(backend) : undefined;
  if (!simd) return stock.run(args);
  if (winograd) return winogradConv(simd, backend, x, filter, info);
  const out = backend.makeOutput(
    [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
    "float32",
  );
  simd.conv2d_small_ci_s1(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(filter)),
    heapPointer(backend.typedArrayFromHeap(out)),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return out;
}

export const conv2DConfig: KernelConfig = {
  kernelName: "Conv2D",
  backendName: "wasm",
  kernelFunc: conv2D,
};
