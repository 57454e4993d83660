/**
 * Weight-gradient kernels for the wasm backend (needed for training): Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter.
 * Each lives in its own file; register.ts registers this list.
 */
import type { KernelConfig } from "@tensorflow/tfjs";
import { conv2DBackpropFilterConfig } from "./Conv2DBackpropFilter.js";
import { depthwiseConv2dNativeBackpropFilterConfig } from "./DepthwiseConv2dNativeBackpropFilter.js";

export const weightGradKernels: KernelConfig[] = [conv2DBackpropFilterConfig, depthwiseConv2dNativeBackpropFilterConfig];
