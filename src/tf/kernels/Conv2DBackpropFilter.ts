/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm has none, so training on wasm fails without it).
 *
 * dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*s + kh*d - padTop, ow*s + kw*d - padLeft, ci] * dy[b,oh,ow,co]
 *
 * Strategies, first that applies:
 * 1. SIMD128 kernels of src/tf/simd/train.c on the backend's heap (dilation 1, co % 4 == 0): Winograd F(3x3, 2x2)
 *    for 3x3 stride-1 filters with many channel pairs, else a direct kernel (x zero-padded into a scratch window, 4
 *    (kw, ci) entries x 8 output channels accumulated in registers over the output pixels, image by image).
 *    Batch 128, CPU ms (load 6-8): 14x14x16->32 17-20 (XNNPACK formulation below) -> 5.3-5.9; 28x28x1->16 4.9 -> 1.4.
 * 2. im2col by convolution (few input channels), see im2colFilterGrad.
 * 3. The filter gradient as a convolution: with x transposed to [ci, H, W, b] (ci plays the batch, b the channels)
 *    and dy transposed to [OH, OW, b, co] (a filter with OH x OW taps), a stride-1 Conv2D whose dilation is the
 *    original stride yields [ci, KH, KW, co]; XNNPACK does the arithmetic, we only move memory.
 * Measured alternatives to 3 before the SIMD kernels (CPU ms, batch 128, 3x3 SAME): im2col by slices + BatchMatMul
 * was 4-10x slower; a direct JS loop over the wasm heap was 1.7x slower at 1 input channel and 16x at 32 (28x28x1->32:
 * 43 vs 73 ms; 14x14x32->64: 65 vs 1051 ms; the forward conv takes 5 and 31 ms); splitting the batch into chunks was
 * slower too.
 */
import * as tf from "@tensorflow/tfjs";
import {
  backend_util,
  type DataId,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs";
import { heapOffset, padIntoWindow, trainKernels, type TrainKernels } from "../simd/train-module.js";

/** The part of tfjs-backend-wasm's BackendWasm that composed kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

/** Runs another kernel of the same backend directly (no engine, no tape); the caller disposes what it returns. */
export function callKernel(
  backend: WasmBackendLike,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: object,
): TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({
    inputs,
    backend: backend as unknown as tf.KernelBackend,
    attrs: attrs as NamedAttrMap,
  });
  return Array.isArray(out) ? out[0]! : out;
}

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** The convolution geometry tfjs itself uses, so padding and output sizes agree with every other backend. */
export function filterGradInfo(
  xShape: number[],
  attrs: Pick<Conv2DBackpropFilterAttrs, "strides" | "pad" | "dimRoundingMode" | "dataFormat"> & {
    filterShape: number[];
  },
  dilations: [number, number] | number = 1,
  depthwise = false,
): backend_util.Conv2DInfo {
  const format = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (format !== "channelsLast")
    throw new Error(`wasm Conv2DBackpropFilter supports only NHWC, got ${attrs.dataFormat}`);
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    attrs.filterShape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    format,
  );
}

/**
 * im2col by convolution, for few input channels (a first layer): a Conv2D with an identity filter [KH, KW, CI, P],
 * P = KH*KW*CI, gathers every patch ([B, OH, OW, P], same strides and padding as the forward pass), then
 * dW = patches^T dy is one plain matrix product. Measured (CPU ms, batch 128, 28x28, 3x3 SAME): 1 -> 16 channels
 * 6.7 vs 35 for the transposed convolution; 1 -> 32: 11 vs 62; 3 -> 32: 32 vs 64.
 */
function im2colFilterGrad(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const p = kh * kw * ci;
  const eye = backend.makeOutput([kh, kw, ci, p], "float32");
  const eyeValues = backend.typedArrayFromHeap(eye);
  eyeValues.fill(0);
  for (let j = 0; j < p; j++) eyeValues[j * p + j] = 1;
  const pad: backend_util.ExplicitPadding = [
    [0, 0],
    [info.padInfo.top, info.padInfo.bottom],
    [info.padInfo.left, info.padInfo.right],
    [0, 0],
  ];
  const strides = [info.strideHeight, info.strideWidth];
  const patches = callKernel(
    backend,
    "Conv2D",
    { x, filter: eye },
    { strides, dilations: [1, 1], pad, dataFormat: "NHWC" },
  );
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const patchMatrix = callKernel(backend, "Reshape", { x: patches }, { shape: [1, rows, p] });
  const patchesT = callKernel(backend, "Transpose", { x: patchMatrix }, { perm: [0, 2, 1] });
  const dyMatrix = callKernel(backend, "Reshape", { x: dy }, { shape: [1, rows, co] });
  const out = callKernel(
    backend,
    "BatchMatMul",
    { a: patchesT, b: dyMatrix },
    { transposeA: false, transposeB: false },
  );
  for (const t of [eye, patches, patchMatrix, patchesT, dyMatrix]) backend.disposeData(t.dataId);
  return { ...out, shape: [kh, kw, ci, co] };
}

/** Tiles per Winograd chunk: its transforms (16 x chunk x (ci + co) floats) stay in L2 while 16 products run. */
const WINOGRAD_CHUNK = 128;
/**
 * Winograd only from this many (input x output) channel pairs: its tile transforms cost in proportion to ci + co, its
 * products to ci x co. Measured (CPU ms, batch 128, 14x14, loaded machine): 16 -> 32 channels Winograd 5.7-6.4 vs
 * direct 5.3-5.6; 32 -> 64 channels 26.5 vs 34.8.
 */
export const WINOGRAD_MIN_CHANNEL_PAIRS = 1024;
let winogradMode: "auto" | "on" | "off" = "auto";
/** Tests and benchmarks: Winograd for 3x3 stride-1 filter gradients by channel count (auto), always, or never. */
export function setWinogradFilterGrad(mode: "auto" | "on" | "off"): void {
  winogradMode = mode;
}

/**
 * Filter gradient of a 3x3 stride-1 convolution by Winograd F(3x3, 2x2) (train.c): 2.25x fewer multiplies than the
 * direct kernel; the transforms and the 16 per-position products run chunk by chunk of tiles.
 */
function winogradFilterGrad(
  simd: TrainKernels,
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: b, inChannels: c, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const hp = 2 * th + 2;
  const wp = 2 * tw + 2;
  const chunk = Math.min(WINOGRAD_CHUNK, b * th * tw);
  const { xp, at: xpAt } = padIntoWindow(backend, simd, x, info, { hp, wp });
  const v = backend.makeOutput([16 * chunk * c], "float32");
  const u = backend.makeOutput([16 * chunk * co], "float32");
  const m = backend.makeOutput([16 * c * co], "float32");
  const out = backend.makeOutput([3, 3, c, co], "float32");
  simd.winograd_filter_grad_3x3(
    xpAt,
    b,
    hp,
    wp,
    c,
    heapOffset(backend, dy),
    oh,
    ow,
    co,
    heapOffset(backend, v),
    heapOffset(backend, u),
    chunk,
    heapOffset(backend, m),
    heapOffset(backend, out),
  );
  for (const t of [xp, v, u, m]) backend.disposeData(t.dataId);
  return out;
}

/**
 * The direct SIMD128 kernel (src/tf/simd/train.c): x zero-padded into a scratch window, then every (kh, 4 (kw, ci)
 * entries, 8 output channels) block summed over the output pixels image by image in registers — no transposes, no
 * im2col matrix. Null where the SIMD module cannot run or the geometry is not covered (output channels not a multiple
 * of 4); the caller then takes an XNNPACK formulation.
 */
function simdFilterGrad(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo | null {
  if (info.outChannels % 4 !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  if (x.dtype !== "float32" || dy.dtype !== "float32") return null;
  const simd = trainKernels(backend);
  if (!simd) return null;
  const winograd =
    (winogradMode === "on" ||
      (winogradMode === "auto" && info.inChannels * info.outChannels >= WINOGRAD_MIN_CHANNEL_PAIRS)) &&
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.inChannels % 4 === 0;
  if (winograd) return winogradFilterGrad(simd, backend, x, dy, info);
  const { batchSize: b, inChannels: c, outChannels: co } = info;
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
  } = info;
  // 4 floats of slack: the last block of 4 (kw, ci) entries may read past the window's end.
  const { xp, at: xpAt, hp, wp } = padIntoWindow(backend, simd, x, info, { slack: 4 });
  const out = backend.makeOutput([kh, kw, c, co], "float32");
  simd.conv_filter_grad(
    xpAt,
    b,
    hp,
    wp,
    c,
    heapOffset(backend, dy),
    oh,
    ow,
    co,
    kh,
    kw,
    sh,
    sw,
    heapOffset(backend, out),
  );
  backend.disposeData(xp.dataId);
  return out;
}

let simdFilter = true;
/** Tests and benchmarks: use the SIMD kernel where it applies (default) or always an XNNPACK formulation. */
export function setSimdFilterGrad(on: boolean): void {
  simdFilter = on;
}

/** Patch sizes (KH*KW*CI) up to which im2colFilterGrad is used; above, the transposed convolution wins. */
export const IM2COL_MAX_PATCH = 27;
let im2colMaxPatch = IM2COL_MAX_PATCH;
/** Tests and benchmarks: pick the strategy (0: always the transposed convolution; Infinity: always im2col). */
export function setIm2colMaxPatch(size: number): void {
  im2colMaxPatch = size;
}

function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, attrs } = args;
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = inputs;
  const info = filterGradInfo(x.shape, attrs);
  const direct = simdFilter ? simdFilterGrad(backend, x, dy, info) : null;
  if (direct) return direct;
  if (info.filterHeight * info.filterWidth * info.inChannels <= im2colMaxPatch)
    return im2colFilterGrad(backend, x, dy, info);
  const {
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // Bottom/right padding that makes the correlation produce exactly kh x kw outputs; negative means rows of x that no
  // output reads (VALID padding with a stride that does not divide), which we cut off instead.
  let padBottom = kh + (oh - 1) * sh - info.inHeight - padTop;
  let padRight = kw + (ow - 1) * sw - info.inWidth - padLeft;
  const temps: TensorInfo[] = [];
  let xIn = x;
  if (padBottom < 0 || padRight < 0) {
    const h = info.inHeight + Math.min(0, padBottom);
    const w = info.inWidth + Math.min(0, padRight);
    xIn = callKernel(
      backend,
      "Slice",
      { x },
      { begin: [0, 0, 0, 0], size: [x.shape[0]!, h, w, x.shape[3]!] },
    );
    temps.push(xIn);
    padBottom = Math.max(0, padBottom);
    padRight = Math.max(0, padRight);
  }
  const xT = callKernel(backend, "Transpose", { x: xIn }, { perm: [3, 1, 2, 0] });
  const dyT = callKernel(backend, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
  temps.push(xT, dyT);
  const pad: backend_util.ExplicitPadding = [
    [0, 0],
    [padTop, padBottom],
    [padLeft, padRight],
    [0, 0],
  ];
  const grad = callKernel(
    backend,
    "Conv2D",
    { x: xT, filter: dyT },
    { strides: [1, 1], dilations: [sh, sw], pad, dataFormat: "NHWC" },
  );
  temps.push(grad);
  const out = callKernel(backend, "Transpose", { x: grad }, { perm: [1, 2, 0, 3] });
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
