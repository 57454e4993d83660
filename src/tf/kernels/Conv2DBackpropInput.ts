/**
 * Conv2DBackpropInput for the wasm backend as a forward Conv2D (XNNPACK) of the dilated dy with the flipped,
 * transposed filter. tfjs-backend-wasm's own kernel is a plain C++ loop and dominated an attack step (278 of 629 ms
 * for a batch of 128 on a two-conv CNN); the forward convolution of the same size takes ~15 ms.
 * NCHW and paddings the identity cannot express fall back to tfjs's own kernel.
 *
 * Few input channels (a first layer: dx has 1 or 3 channels) are a poor shape for that convolution: XNNPACK computes
 * 1-3 output channels per pixel from all of dy's channels (measured 9.7 ms CPU for 28x28x16 -> 1 at batch 128, five
 * times the forward conv). There the gradient is a matrix product, cols = dy W^T ([pixels, KH*KW*CI], XNNPACK), and
 * col2im adds each row's KH*KW*CI values back into dx in JS (XNNPACK's tiles are 8+ channels wide, so the 1-channel
 * convolution does about 8x the useful work; the product here has 9-27 columns). With stride 1 and SIMD128 available
 * (src/tf/simd), a direct kernel replaces both: each dx element is a dot product of the dy pixels its taps reach with
 * the filter, 4 output channels per instruction (no cols matrix, no col2im pass; 6.5 -> ~3 ms for the bundled CNN's
 * first layer at batch 128), and a 3x3 filter over one input channel takes Winograd F(2x2, 3x3) (~2 ms).
 */
import { backend_util } from "@tensorflow/tfjs";
import { heapPointer, simdKernels, winogradEnabled, type SimdKernels } from "../simd/index.js";
import { callKernel } from "./Conv2DBackpropFilter.js";
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import {
  StockKernel,
  dilateSpatial,
  flipTransposeFilter,
  runWasmKernel,
  stockInputGradKernels,
  transposedPads,
  type WasmBackendLike,
} from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Conv2DBackpropInput");

/** Patch sizes (KH*KW*CI) up to which the matrix product + col2im path is used. */
export const COL2IM_MAX_PATCH = 27;
let col2imMaxPatch = COL2IM_MAX_PATCH;
/** Tests and benchmarks: pick the strategy (0: always the transposed convolution; Infinity: always col2im). */
export function setCol2imMaxPatch(size: number): void {
  col2imMaxPatch = size;
}

/**
 * dx[b, r, c, :] = sum over the taps (kh, kw) whose output pixel (y, x) reads input pixel (r, c) of
 * cols[b, y, x, kh, kw, :]. Gathers per input pixel (each dx value written once, no zero fill).
 */
function col2im(cols: Float32Array, out: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const p = fh * fw * ci;
  const stride1 = sh === 1 && sw === 1;
  let dst = 0;
  for (let b = 0; b < n; b++) {
    const batchBase = b * oh * ow * p;
    for (let r = 0; r < ih; r++) {
      // Taps kh whose output row y = (r + padTop - kh) / sh is a whole number in [0, oh).
      const khLo = stride1 ? Math.max(0, r + padTop - oh + 1) : 0;
      const khHi = stride1 ? Math.min(fh - 1, r + padTop) : fh - 1;
      for (let c = 0; c < iw; c++, dst += ci) {
        for (let k = 0; k < ci; k++) out[dst + k] = 0;
        const kwLo = stride1 ? Math.max(0, c + padLeft - ow + 1) : 0;
        const kwHi = stride1 ? Math.min(fw - 1, c + padLeft) : fw - 1;
        for (let kh = khLo; kh <= khHi; kh++) {
          const yy = r + padTop - kh;
          if (!stride1 && (yy < 0 || yy % sh !== 0 || yy / sh >= oh)) continue;
          const y = stride1 ? yy : yy / sh;
          for (let kw = kwLo; kw <= kwHi; kw++) {
            const xx = c + padLeft - kw;
            if (!stride1 && (xx < 0 || xx % sw !== 0 || xx / sw >= ow)) continue;
            const x = stride1 ? xx : xx / sw;
            const src = batchBase + (y * ow + x) * p + (kh * fw + kw) * ci;
            for (let k = 0; k < ci; k++) out[dst + k] = out[dst + k]! + cols[src + k]!;
          }
        }
      }
    }
  }
}

/** dx = col2im(dy W^T): one XNNPACK matrix product, then each patch row added back into dx. */
function col2imInputGrad(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co } = info;
  const p = info.filterHeight * info.filterWidth * ci;
  const rows = n * info.outHeight * info.outWidth;
  const dyMatrix = callKernel(backend, "Reshape", { x: dy }, { shape: [1, rows, co] });
  const wMatrix = callKernel(backend, "Reshape", { x: filter }, { shape: [1, p, co] });
  const cols = callKernel(
    backend,
    "BatchMatMul",
    { a: dyMatrix, b: wMatrix },
    { transposeA: false, transposeB: true },
  );
  const dx = backend.makeOutput([n, ih, iw, ci], "float32");
  col2im(backend.typedArrayFromHeap(cols), backend.typedArrayFromHeap(dx), info);
  for (const t of [dyMatrix, wMatrix, cols]) backend.disposeData(t.dataId);
  return dx;
}

/**
 * dx of a 3x3 stride-1 convolution with ONE input channel (a grey-scale first layer) by Winograd F(2x2, 3x3)
 * (kernels.c, corr_winograd_3x3_co1): dy correlated with the flipped filter, 16 products per 2x2 outputs and channel
 * instead of 36. Null where it does not apply (dy channels not a multiple of 4, no SIMD, Winograd switched off).
 */
function winogradInputGrad(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co } = info;
  const fits =
    winogradEnabled() &&
    ci === 1 &&
    co % 4 === 0 &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1;
  const simd = fits ? simdKernels(backend) : undefined;
  if (!simd) return null;
  const dx = backend.makeOutput([n, ih, iw, 1], "float32");
  const u = backend.makeOutput([16 * co], "float32");
  simd.corr_winograd_3x3_co1(
    heapPointer(backend.typedArrayFromHeap(dy)),
    heapPointer(backend.typedArrayFromHeap(filter)),
    1,
    heapPointer(backend.typedArrayFromHeap(dx)),
    heapPointer(backend.typedArrayFromHeap(u)),
    n,
    info.outHeight,
    info.outWidth,
    co,
    ih,
    iw,
    2 - info.padInfo.top,
    2 - info.padInfo.left,
  );
  backend.disposeData(u.dataId);
  return dx;
}

/** dx by the SIMD kernel: per dx element, the dot products of reachable dy pixels with the filter (stride 1). */
function directInputGrad(
  simd: SimdKernels,
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: ci, outChannels: co } = info;
  const dx = backend.makeOutput([n, ih, iw, ci], "float32");
  simd.conv2d_input_grad_s1(
    heapPointer(backend.typedArrayFromHeap(dy)),
    heapPointer(backend.typedArrayFromHeap(filter)),
    heapPointer(backend.typedArrayFromHeap(dx)),
    n,
    ih,
    iw,
    ci,
    info.outHeight,
    info.outWidth,
    co,
    info.filterHeight,
    info.filterWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return dx;
}

function conv2DBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  if (stockInputGradKernels()) return stock.run(args);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== "channelsLast" || dy.dtype !== "float32" || filter.dtype !== "float32")
    return stock.run(args);
  const viaWinograd = winogradInputGrad(backend, dy, filter, info);
  if (viaWinograd) return viaWinograd;
  if (info.filterHeight * info.filterWidth * info.inChannels <= col2imMaxPatch) {
    const simd = info.strideHeight === 1 && info.strideWidth === 1 ? simdKernels(backend) : undefined;
    return simd
      ? directInputGrad(simd, backend, dy, filter, info)
      : col2imInputGrad(backend, dy, filter, info);
  }
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const dyH = (info.outHeight - 1) * sh + 1;
  const dyW = (info.outWidth - 1) * sw + 1;
  const pads = transposedPads(
    info.inHeight,
    info.inWidth,
    dyH,
    dyW,
    fh,
    fw,
    info.padInfo.top,
    info.padInfo.left,
  );
  if (!pads) return stock.run(args);

  const flipped = flipTransposeFilter(backend, filter);
  const dilated = sh === 1 && sw === 1 ? dy : dilateSpatial(backend, dy, sh, sw);
  try {
    return runWasmKernel(
      "Conv2D",
      backend,
      { x: dilated, filter: flipped },
      {
        strides: [1, 1],
        pad: pads,
        dataFormat: "NHWC",
        dilations: [1, 1],
        dimRoundingMode: undefined as unknown as string,
      },
    );
  } finally {
    backend.disposeData(flipped.dataId);
    if (dilated !== dy) backend.disposeData(dilated.dataId);
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: "Conv2DBackpropInput",
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput,
};
