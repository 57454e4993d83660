/**
 * Conv2D for the wasm backend with SIMD128 kernels (src/tf/simd):
 * - 3x3, stride 1, ci % 4 == 0 and co % 8 == 0, or one input channel and co % 4 == 0: Winograd F(2x2, 3x3), 2.25x
 *   fewer multiplies than a direct convolution
 *   ([128, 14, 14, 16] * [3, 3, 16, 32]: 7.1 ms XNNPACK -> 4.1 ms). Conv2DBackpropInput's transposed convolution
 *   runs through here too. `winogradConv2D` also takes a bias and a relu, for fused kernels.
 * - a first layer (a patch of at most COL2IM_MAX_PATCH values, e.g. 3x3x1 or 3x3x3, stride 1, co % 16 == 0): a direct
 *   kernel; XNNPACK's convolution is built for many channels and with one input channel spends most of its work on
 *   padding.
 * Everything else, or no SIMD, goes to tfjs-backend-wasm's own kernel (XNNPACK).
 */
import { backend_util } from "@tensorflow/tfjs";
import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, setWinogradEnabled, simdKernels, winogradEnabled } from "../simd/index.js";
import { COL2IM_MAX_PATCH } from "./Conv2DBackpropInput.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Conv2D");

/** Tiles per Winograd chunk: its transformed inputs and products (16 x 64 x (ci + co) floats) stay in cache. */
const WINOGRAD_CHUNK = 64;
/** Tests and benchmarks: use the Winograd kernels for 3x3 convolutions where they apply (default) or not. */
export const setWinogradConv = setWinogradEnabled;

/** Whether Winograd F(2x2, 3x3) applies: 3x3, stride 1, no dilation, NHWC, ci % 4 == 0 and co % 8 == 0 (or ci 1, co % 4 == 0). */
export function winogradApplies(info: backend_util.Conv2DInfo): boolean {
  return (
    winogradEnabled() &&
    info.dataFormat === "channelsLast" &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    ((info.inChannels % 4 === 0 && info.outChannels % 8 === 0) ||
      (info.inChannels === 1 && info.outChannels % 4 === 0))
  );
}

/**
 * y = conv(x, filter) (+ bias [co]) (then relu) by Winograd F(2x2, 3x3) (kernels.c), or null where it does not apply
 * (see winogradApplies) or SIMD is unavailable. For other wasm kernels too, e.g. a fused conv + bias + relu.
 */
export function winogradConv2D(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  bias?: TensorInfo,
  relu = false,
): TensorInfo | null {
  if (!winogradApplies(info) || x.dtype !== "float32" || filter.dtype !== "float32") return null;
  if (bias && (bias.dtype !== "float32" || bias.shape.reduce((p, d) => p * d, 1) !== info.outChannels))
    return null;
  const simd = simdKernels(backend);
  if (!simd) return null;
  const { inChannels: ci, outChannels: co } = info;
  const out = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, co], "float32");
  if (ci === 1) {
    // One input channel: products and output transform in registers (kernels.c, conv2d_winograd_3x3_ci1).
    const u = backend.makeOutput([16 * co], "float32");
    simd.conv2d_winograd_3x3_ci1(
      heapPointer(backend.typedArrayFromHeap(x)),
      heapPointer(backend.typedArrayFromHeap(filter)),
      bias ? heapPointer(backend.typedArrayFromHeap(bias)) : 0,
      relu ? 1 : 0,
      heapPointer(backend.typedArrayFromHeap(out)),
      heapPointer(backend.typedArrayFromHeap(u)),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.outHeight,
      info.outWidth,
      co,
      info.padInfo.top,
      info.padInfo.left,
    );
    backend.disposeData(u.dataId);
    return out;
  }
  const scratch = backend.makeOutput([16 * (ci * co + WINOGRAD_CHUNK * (ci + co))], "float32");
  simd.conv2d_winograd_3x3_s1(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(filter)),
    bias ? heapPointer(backend.typedArrayFromHeap(bias)) : 0,
    relu ? 1 : 0,
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
  const backend = args.backend as unknown as WasmBackendLike;
  const viaWinograd = winogradConv2D(backend, x, filter, info);
  if (viaWinograd) return viaWinograd;
  if (!small) return stock.run(args);
  const simd = simdKernels(backend);
  if (!simd) return stock.run(args);
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
