/** Input-gradient kernels for the wasm backend (they dominate an attack step): Conv2DBackpropInput, MaxPoolGrad, DepthwiseConv2dNativeBackpropInput. */
import type { KernelConfig } from "@tensorflow/tfjs";
import { conv2DBackpropInputConfig } from "./Conv2DBackpropInput.js";
import { depthwiseConv2dNativeBackpropInputConfig } from "./DepthwiseConv2dNativeBackpropInput.js";
import { maxPoolGradConfig } from "./MaxPoolGrad.js";

export { setStockInputGradKernels } from "./Conv2DBackpropInput_util.js";

export const inputGradKernels: KernelConfig[] = [
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  depthwiseConv2dNativeBackpropInputConfig,
];
