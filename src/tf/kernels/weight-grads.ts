/**
 * Weight-gradient kernels for the wasm backend (needed for training): Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
 * BatchMatMul with explicit transposes (a dense layer's gradients), and Sum over leading axes (bias gradients).
 * Also FusedConv2D, the forward convolution of a training step (and of every other pass), by the same SIMD module.
 * Each lives in its own file; register.ts registers this list.
 */
import type { KernelConfig } from "@tensorflow/tfjs";
import { batchMatMulConfig } from "./BatchMatMul.js";
import { conv2DBackpropFilterConfig } from "./Conv2DBackpropFilter.js";
import { depthwiseConv2dNativeBackpropFilterConfig } from "./DepthwiseConv2dNativeBackpropFilter.js";
import { fusedConv2DConfig } from "./FusedConv2D.js";
import { sumConfig } from "./Sum.js";

export const weightGradKernels: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  batchMatMulConfig,
  sumConfig,
  fusedConv2DConfig,
];
