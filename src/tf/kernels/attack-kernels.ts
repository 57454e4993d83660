/**
 * Forward and attack-step kernels for the wasm backend (SIMD128 where the engine has it, else tfjs's own kernels or
 * composites): a first layer's Conv2D, a bias Add, 2x2 MaxPool, Relu's gradient in one pass, and the projected L-inf
 * sign step. Registered by register.ts with the other lists.
 */
import type { GradConfig, KernelConfig } from "@tensorflow/tfjs";
import { addConfig } from "./Add.js";
import { conv2DConfig } from "./Conv2D.js";
import { linfSignStepConfig } from "./LinfSignStep.js";
import { maxPoolConfig } from "./MaxPool.js";
import { reluGradKernelConfig, reluGradKernelGradConfig } from "./ReluGrad.js";

export const attackKernels: KernelConfig[] = [
  conv2DConfig,
  addConfig,
  maxPoolConfig,
  reluGradKernelConfig,
  linfSignStepConfig,
];

/** Gradients of gradopt's own kernels (so that tapes through them keep working). */
export const attackKernelGradients: GradConfig[] = [reluGradKernelGradConfig];
