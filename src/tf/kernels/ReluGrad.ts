/**
 * Relu's gradient as one kernel on the wasm backend: dy * step(x) in one pass (SIMD128, src/tf/simd) instead of a
 * Step kernel, a full-size temporary and a Multiply. Same values as the composite, NaN included (step(NaN) = NaN).
 * Kernel name GRADOPT_RELU_GRAD; Relu_grad.ts uses it where the active backend has it (wasm with SIMD128), else
 * the composite. Its own gradient (second order) is registered too: d/d(dy) = relu'(x) * ddx, d/dx = 0.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, Tensor, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import type { WasmBackendLike } from "./Conv2DBackpropInput_util.js";

export const GRADOPT_RELU_GRAD = "GradoptReluGrad";

/** dy * step(x) by the kernel where the backend has it and SIMD runs, else undefined (the caller composes). */
export function fusedReluGrad(dy: Tensor, x: Tensor): Tensor | undefined {
  if (dy.dtype !== "float32" || x.dtype !== "float32" || !tf.util.arraysEqual(dy.shape, x.shape))
    return undefined;
  if (!tf.getKernel(GRADOPT_RELU_GRAD, tf.getBackend()) || !simdKernels(tf.backend())) return undefined;
  return tf.engine().runKernel(GRADOPT_RELU_GRAD, { dy, x }) as Tensor;
}

function reluGradKernel(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`gradopt: ${GRADOPT_RELU_GRAD} needs the SIMD kernels (fusedReluGrad checks)`);
  const out = backend.makeOutput(x.shape, "float32");
  const src = backend.typedArrayFromHeap(dy);
  simd.relu_grad_f32(
    heapPointer(src),
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(out)),
    src.length,
  );
  return out;
}

export const reluGradKernelConfig: KernelConfig = {
  kernelName: GRADOPT_RELU_GRAD,
  backendName: "wasm",
  kernelFunc: reluGradKernel,
};

export const reluGradKernelGradConfig: GradConfig = {
  kernelName: GRADOPT_RELU_GRAD,
  inputsToSave: ["x"],
  gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    return { dy: () => tf.mul(ddx as Tensor, tf.step(x)), x: () => tf.zerosLike(x) };
  },
};
