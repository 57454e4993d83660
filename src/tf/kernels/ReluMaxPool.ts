/**
 * relu followed by 2x2 / stride-2 max pooling as ONE op on the wasm backend (SIMD128, src/tf/simd): the attack's
 * gradient fast path (src/attack/model.ts) runs a ReLU layer and the MaxPooling2D layer after it through this, which
 * saves the Relu kernel, Relu's gradient kernel and a full-size activation each way. Forward: relu(maxPool(x)).
 * Gradient: dy goes to each window's first maximum of x when that maximum is > 0 (MaxPoolGrad then Relu's gradient,
 * the same values for finite x). Elsewhere (other backends, no SIMD) `reluMaxPool2x2` is tf.maxPool(tf.relu(x)).
 * No second-order gradient: the fast path only runs under a first-order tape of the attack.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, KernelConfig, KernelFunc, Tensor, Tensor4D, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import type { WasmBackendLike } from "./Conv2DBackpropInput_util.js";

export const GRADOPT_RELU_MAX_POOL = "GradoptReluMaxPool";
export const GRADOPT_RELU_MAX_POOL_GRAD = "GradoptReluMaxPoolGrad";

/** relu(x) then 2x2 max pooling, stride 2, valid padding, NHWC. */
export function reluMaxPool2x2(x: Tensor4D): Tensor4D {
  const fused =
    x.dtype === "float32" &&
    x.shape[1] >= 2 &&
    x.shape[2] >= 2 &&
    tf.getKernel(GRADOPT_RELU_MAX_POOL, tf.getBackend()) !== undefined &&
    simdKernels(tf.backend()) !== undefined;
  if (fused) return tf.engine().runKernel(GRADOPT_RELU_MAX_POOL, { x }) as Tensor4D;
  return tf.tidy(() => tf.maxPool(tf.relu(x), 2, 2, "valid"));
}

function dims(x: TensorInfo): [number, number, number, number, number, number] {
  const [n, ih, iw, c] = x.shape as [number, number, number, number];
  return [n, ih, iw, c, Math.floor(ih / 2), Math.floor(iw / 2)];
}

function needSimd(backend: WasmBackendLike, name: string) {
  const simd = simdKernels(backend);
  if (!simd) throw new Error(`gradopt: ${name} needs the SIMD kernels (reluMaxPool2x2 checks)`);
  return simd;
}

function forward(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { x } = args.inputs as { x: TensorInfo };
  const [n, ih, iw, c, oh, ow] = dims(x);
  const simd = needSimd(backend, GRADOPT_RELU_MAX_POOL);
  const out = backend.makeOutput([n, oh, ow, c], "float32");
  simd.relu_max_pool_2x2_f32(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(out)),
    n,
    ih,
    iw,
    c,
    oh,
    ow,
  );
  return out;
}

function gradient(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
  const [n, ih, iw, c, oh, ow] = dims(x);
  const simd = needSimd(backend, GRADOPT_RELU_MAX_POOL_GRAD);
  const dx = backend.makeOutput(x.shape, "float32");
  const out = backend.typedArrayFromHeap(dx);
  if (2 * oh !== ih || 2 * ow !== iw) out.fill(0); // rows/columns no window covers
  simd.relu_max_pool_grad_2x2(
    heapPointer(backend.typedArrayFromHeap(x)),
    heapPointer(backend.typedArrayFromHeap(dy)),
    heapPointer(out),
    n,
    ih,
    iw,
    c,
    oh,
    ow,
  );
  return dx;
}

export const reluMaxPoolConfig: KernelConfig = {
  kernelName: GRADOPT_RELU_MAX_POOL,
  backendName: "wasm",
  kernelFunc: forward,
};

export const reluMaxPoolGradConfig: KernelConfig = {
  kernelName: GRADOPT_RELU_MAX_POOL_GRAD,
  backendName: "wasm",
  kernelFunc: gradient,
};

export const reluMaxPoolGradientConfig: GradConfig = {
  kernelName: GRADOPT_RELU_MAX_POOL,
  inputsToSave: ["x"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    return { x: () => tf.engine().runKernel(GRADOPT_RELU_MAX_POOL_GRAD, { dy: dy as Tensor, x }) as Tensor };
  },
};
