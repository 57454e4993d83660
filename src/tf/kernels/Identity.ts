/**
 * Identity for the wasm backend without the copy. tfjs-backend-wasm's kernel copies the tensor, and the engine runs
 * Identity (tf.clone) on every tensor a gradient saves for the backward pass: under a tape each conv, relu and pool
 * input/output was copied once more (about a tenth of a training step on the bundled CNN). Tensors are immutable, so
 * the clone can share the data with a reference count, as Reshape and the cpu backend's Identity already do.
 */
import type { DataId, KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { StockKernel } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("Identity");

interface RefCounting {
  incRef(dataId: DataId): void;
}

function identity(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === "string") return stock.run(args);
  (args.backend as unknown as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: "Identity",
  backendName: "wasm",
  kernelFunc: identity,
};
