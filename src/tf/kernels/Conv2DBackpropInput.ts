/**
 * Conv2DBackpropInput for the wasm backend as a forward Conv2D (XNNPACK) of the dilated dy with the flipped,
 * transposed filter. tfjs-backend-wasm's own kernel is a plain C++ loop and dominated an attack step (278 of 629 ms
 * for a batch of 128 on a two-conv CNN); the forward convolution of the same size takes ~15 ms.
 * NCHW and paddings the identity cannot express fall back to tfjs's own kernel.
 */
import { backend_util } from "@tensorflow/tfjs";
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
