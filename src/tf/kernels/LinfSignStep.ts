/**
 * One projected L-inf sign step as a single wasm kernel (SIMD128, src/tf/simd):
 *   out = clip(clip(x + alpha * sign(g), x0 - eps, x0 + eps), lo, hi)
 * in float32 and in the order the attack composes it from tensor ops (sign, multiply, add, maximum/minimum twice),
 * so the result is the same bit for bit; one pass over four inputs instead of seven kernels and six temporaries.
 * Kernel name GRADOPT_LINF_SIGN_STEP; src/attack/linf-step.ts runs it where the backend has it, else the composite.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import type { WasmBackendLike } from "./Conv2DBackpropInput_util.js";

export const GRADOPT_LINF_SIGN_STEP = "GradoptLinfSignStep";

export interface LinfSignStepAttrs {
  alpha: number;
  eps: number;
  lo: number;
  hi: number;
}

function linfSignStep(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x, g, x0 } = args.inputs as { x: TensorInfo; g: TensorInfo; x0: TensorInfo };
  const { alpha, eps, lo, hi } = args.attrs as unknown as LinfSignStepAttrs;
  const simd = simdKernels(backend);
  if (!simd)
    throw new Error(`gradopt: ${GRADOPT_LINF_SIGN_STEP} needs the SIMD kernels (linfSignStep checks)`);
  const out = backend.makeOutput(x.shape, "float32");
  const xs = backend.typedArrayFromHeap(x);
  simd.linf_sign_step_f32(
    heapPointer(xs),
    heapPointer(backend.typedArrayFromHeap(g)),
    heapPointer(backend.typedArrayFromHeap(x0)),
    heapPointer(backend.typedArrayFromHeap(out)),
    xs.length,
    alpha,
    eps,
    lo,
    hi,
  );
  return out;
}

export const linfSignStepConfig: KernelConfig = {
  kernelName: GRADOPT_LINF_SIGN_STEP,
  backendName: "wasm",
  kernelFunc: linfSignStep,
};
