/**
 * Forward and attack-step kernels for the wasm backend (SIMD128 where the engine has it, else tfjs's own kernels or
 * composites): Conv2D (Winograd, first layers), conv + bias as one op, a bias Add, 2x2 MaxPool, Relu's gradient in one pass, relu + 2x2
 * max pooling fused, and the projected L-inf sign step. Registered by register.ts with the other lists.
 */
import type { GradConfig, KernelConfig } from "@tensorflow/tfjs";
import { addConfig } from "./Add.js";
import { conv2DConfig } from "./Conv2D.js";
import { conv2DBiasGradConfig } from "./Conv2DBias.js";
import { conv2DBiasConfig } from "./Conv2DBias_wasm.js";
import { linfSignStepConfig } from "./LinfSignStep.js";
import { maxPoolConfig } from "./MaxPool.js";
import { reluGradKernelConfig, reluGradKernelGradConfig } from "./ReluGrad.js";
import { reluMaxPoolConfig, reluMaxPoolGradConfig, reluMaxPoolGradientConfig } from "./ReluMaxPool.js";

export const attackKernels: KernelConfig[] = [
  conv2DConfig,
  conv2DBiasConfig,
  addConfig,
  maxPoolConfig,
  reluGradKernelConfig,
  linfSignStepConfig,
  reluMaxPoolConfig,
  reluMaxPoolGradConfig,
];

/** Gradients of gradopt's own kernels (so that tapes through them keep working). */
export const attackKernelGradients: GradConfig[] = [
  reluGradKernelGradConfig,
  reluMaxPoolGradientConfig,
  conv2DBiasGradConfig,
];
