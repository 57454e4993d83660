/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend, which has none (so no input gradient through depthwise
 * convolutions, e.g. MobileNet, without it). Channel multiplier 1 without dilation, the MobileNet case, runs as a
 * forward depthwise convolution (XNNPACK) of the dilated dy with the flipped filter; anything else runs as a JS loop
 * over the wasm heap.
 */
import { backend_util } from "@tensorflow/tfjs";
import type {
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from "@tensorflow/tfjs";
import {
  dilateSpatial,
  flipDepthwiseFilter,
  runWasmKernel,
  transposedPads,
  type WasmBackendLike,
} from "./Conv2DBackpropInput_util.js";

type ConvInfo = backend_util.Conv2DInfo;

function depthwiseConv2dNativeBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const multiplier = filter.shape[3]!;
  if (multiplier === 1 && info.dilationHeight === 1 && info.dilationWidth === 1) {
    const fast = viaForwardDepthwise(backend, dy, filter, info);
    if (fast) return fast;
  }
  return loop(backend, dy, filter, info);
}

function viaForwardDepthwise(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
): TensorInfo | null {
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
  if (!pads) return null;
  const flipped = flipDepthwiseFilter(backend, filter);
  const dilated = sh === 1 && sw === 1 ? dy : dilateSpatial(backend, dy, sh, sw);
  try {
    return runWasmKernel(
      "DepthwiseConv2dNative",
      backend,
      { x: dilated, filter: flipped },
      {
        strides: [1, 1],
        pad: pads,
        dilations: [1, 1],
        dataFormat: "NHWC",
      },
    );
  } finally {
    backend.disposeData(flipped.dataId);
    if (dilated !== dy) backend.disposeData(dilated.dataId);
  }
}

/** dx[b, y, x, c] = sum over (kh, kw, m) of dy[b, oy, ox, c*M + m] * w[kh, kw, c, m] where y = oy*s - pad + kh*d. */
function loop(backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, info: ConvInfo): TensorInfo {
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const m = filter.shape[3]!;
  const oc = c * m;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const dx = backend.makeOutput([n, ih, iw, c], "float32");
  const g = backend.typedArrayFromHeap(dy);
  const w = backend.typedArrayFromHeap(filter);
  const out = backend.typedArrayFromHeap(dx);
  out.fill(0);
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      for (let kh = 0; kh < fh; kh++) {
        const r = yr * sh - padTop + kh * dh;
        if (r < 0 || r >= ih) continue;
        for (let yc = 0; yc < ow; yc++) {
          const gBase = ((b * oh + yr) * ow + yc) * oc;
          for (let kw = 0; kw < fw; kw++) {
            const col = yc * sw - padLeft + kw * dw;
            if (col < 0 || col >= iw) continue;
            const xBase = ((b * ih + r) * iw + col) * c;
            const wBase = (kh * fw + kw) * oc;
            for (let ch = 0; ch < c; ch++) {
              let s = 0;
              for (let q = 0; q < m; q++) s += g[gBase + ch * m + q]! * w[wBase + ch * m + q]!;
              out[xBase + ch] = out[xBase + ch]! + s;
            }
          }
        }
      }
    }
  }
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropInput",
  backendName: "wasm",
  kernelFunc: depthwiseConv2dNativeBackpropInput,
};
