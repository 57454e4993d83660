/**
 * FusedConv2D (convolution + bias + activation, what tfjs-layers' Conv2D runs) for the wasm backend:
 * - 3x3 stride-1 convolutions where gradopt's Winograd F(2x2, 3x3) applies (Conv2D.ts's winogradConv2D, bias and
 *   relu fused at its output transform; 2.25x fewer multiplies: [128, 14, 14, 16] * [3, 3, 16, 32] ~4.1-4.6 vs 5.9 ms
 *   direct, loaded machine);
 * - otherwise the direct SIMD128 kernel of src/tf/simd/train.c: the input zero-padded into a scratch window, then
 *   blocks of 4 output pixels x 8 output channels accumulated in registers over the filter, bias and relu applied
 *   on the way out (9.6 ms through XNNPACK for the shape above);
 * - other activations, NCHW, dilation, prelu, or output channels not a multiple of 4: tfjs-backend-wasm's kernel.
 */
import { backend_util, util } from "@tensorflow/tfjs";
import type { FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";
import { heapOffset, padIntoWindow, trainKernels } from "../simd/train-module.js";
import { winogradConv2D } from "./Conv2D.js";

const stock = new StockKernel("FusedConv2D");

let simdConv = true;
/** Tests and benchmarks: use the SIMD kernel where it applies (default) or always tfjs-backend-wasm's. */
export function setSimdConv2D(on: boolean): void {
  simdConv = on;
}

/**
 * act(conv2d(x, filter) + bias) by the SIMD kernel, NHWC float32, dilation 1, act linear or relu; null when it does
 * not apply (the caller runs another kernel). `info` is tfjs's own geometry (computeConv2DInfo).
 */
export function simdConv2D(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
): TensorInfo | null {
  if (!simdConv || x.dtype !== "float32" || filter.dtype !== "float32") return null;
  if (info.dataFormat !== "channelsLast" || info.dilationHeight !== 1 || info.dilationWidth !== 1)
    return null;
  if (info.outChannels % 4 !== 0) return null;
  if (bias && (bias.dtype !== "float32" || util.sizeFromShape(bias.shape) !== info.outChannels)) return null;
  const simd = trainKernels(backend);
  if (!simd) return null;
  const { batchSize: b, inChannels: c, outChannels: co } = info;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const { xp, at: xpAt, hp, wp } = padIntoWindow(backend, simd, x, info);
  const out = backend.makeOutput([b, oh, ow, co], "float32");
  simd.conv2d_forward(
    xpAt,
    b,
    hp,
    wp,
    c,
    heapOffset(backend, filter),
    bias ? heapOffset(backend, bias) : 0,
    oh,
    ow,
    co,
    kh,
    kw,
    sh,
    sw,
    relu ? 1 : 0,
    heapOffset(backend, out),
  );
  backend.disposeData(xp.dataId);
  return out;
}

function fusedConv2D(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as {
    x: TensorInfo;
    filter: TensorInfo;
    bias?: TensorInfo;
    preluActivationWeights?: TensorInfo;
  };
  const attrs = args.attrs as unknown as FusedConv2DAttrs;
  const activation = attrs.activation ?? "linear";
  if (
    (activation !== "linear" && activation !== "relu") ||
    preluActivationWeights ||
    attrs.dataFormat === "NCHW"
  )
    return stock.run(args);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const backend = args.backend as unknown as WasmBackendLike;
  const relu = activation === "relu";
  return (
    (simdConv ? winogradConv2D(backend, x, filter, info, bias, relu) : null) ??
    simdConv2D(backend, x, filter, info, bias, relu) ??
    stock.run(args)
  );
}

export const fusedConv2DConfig: KernelConfig = {
  kernelName: "FusedConv2D",
  backendName: "wasm",
  kernelFunc: fusedConv2D,
};
