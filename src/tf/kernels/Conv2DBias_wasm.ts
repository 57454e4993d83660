/** The wasm kernel of GRADOPT_CONV2D_BIAS (see Conv2DBias.ts): Winograd with the bias in its output pass, else Conv2D then Add. */
import { backend_util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { winogradConv2D } from "./Conv2D.js";
import { GRADOPT_CONV2D_BIAS, type Conv2DBiasAttrs } from "./Conv2DBias.js";
import { callKernel } from "./Conv2DBackpropFilter.js";
import type { WasmBackendLike } from "./Conv2DBackpropInput_util.js";

function forward(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, filter, bias } = args.inputs as { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  const { strides, pad } = args.attrs as unknown as Conv2DBiasAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
  );
  const viaWinograd = winogradConv2D(backend, x, filter, info, bias);
  if (viaWinograd) return viaWinograd;
  const y = callKernel(backend, "Conv2D", { x, filter }, { strides, pad, dataFormat: "NHWC", dilations: 1 });
  const out = callKernel(backend, "Add", { a: y, b: bias }, {});
  backend.disposeData(y.dataId);
  return out;
}

export const conv2DBiasConfig: KernelConfig = {
  kernelName: GRADOPT_CONV2D_BIAS,
  backendName: "wasm",
  kernelFunc: forward,
};
