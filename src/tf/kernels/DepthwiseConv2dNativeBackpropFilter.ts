/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (absent from tfjs-backend-wasm).
 *
 * dW[kh,kw,c,m] = sum_{b,oh,ow} x[b, oh*sh + kh*dh - padTop, ow*sw + kw*dw - padLeft, c] * dy[b,oh,ow,c*M+m]
 *
 * Depthwise work is small (no sum over input channels), so a direct loop over the wasm heap is fast enough and
 * handles every stride, dilation and padding tfjs allows.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { filterGradInfo, type WasmBackendLike } from "./Conv2DBackpropFilter.js";

interface DepthwiseFilterAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: unknown;
  attrs: DepthwiseFilterAttrs;
}): TensorInfo {
  const { inputs, attrs } = args;
  const backend = args.backend as WasmBackendLike;
  const info = filterGradInfo(inputs.x.shape, { ...attrs, dataFormat: "NHWC" }, attrs.dilations, true);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const mult = info.outChannels / inChannels;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const x = backend.typedArrayFromHeap(inputs.x);
  const dy = backend.typedArrayFromHeap(inputs.dy);
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, mult], "float32");
  const dw = backend.typedArrayFromHeap(out);
  dw.fill(0);
  const outC = inChannels * mult;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const wBase = (kh * filterWidth + kw) * outC;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let ow = 0; ow < outWidth; ow++) {
            const iw = ow * strideWidth + kw * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const dyBase = ((b * outHeight + oh) * outWidth + ow) * outC;
            for (let c = 0; c < inChannels; c++) {
              const xv = x[xBase + c];
              const o = c * mult;
              for (let m = 0; m < mult; m++) dw[wBase + o + m] += xv * dy[dyBase + o + m];
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  backendName: "wasm",
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
