/**
 * Sign for the wasm backend. tfjs-backend-wasm 4.22's own kernel returns 0 for |x| <= 1e-7 (measured: sign(1e-7) = 0,
 * sign(2e-7) = 1), so FGSM/PGD steps left every pixel with a small gradient where it was — most of them when the loss is
 * averaged over a batch. This one is exact, like the cpu backend: -1, 0 or 1, and 0 for NaN (SIMD128 where available).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Sign");

function sign(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype !== "float32") return stock.run(args);
  const backend = args.backend as unknown as WasmBackendLike;
  const out = backend.makeOutput(x.shape, "float32");
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const simd = simdKernels(backend);
  if (simd) {
    simd.sign_f32(heapPointer(src), heapPointer(dst), src.length);
    return out;
  }
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    dst[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
  }
  return out;
}

export const signConfig: KernelConfig = {
  kernelName: "Sign",
  backendName: "wasm",
  kernelFunc: sign,
};
