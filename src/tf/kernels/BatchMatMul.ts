/**
 * BatchMatMul for the wasm backend. tfjs-backend-wasm's kernel takes a slow generic path whenever transposeA or
 * transposeB is set — exactly what a dense layer's gradients use (dx = dy W^T, dW = x^T dy) — measured 8x slower
 * than Transpose + the plain (XNNPACK-style) product at [128,3136]x[3136,128]; and its plain product repacks B
 * on every call. So: the SIMD128 GEMM of src/tf/simd/train.c where it applies (it reads A transposed in place; B
 * transposed explicitly), else Transpose + the stock kernel without flags.
 */
import { util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { StockKernel, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";
import { callKernel } from "./Conv2DBackpropFilter.js";
import { heapOffset, trainKernels } from "../simd/train-module.js";

/** Products smaller than this (multiply-adds) take the stock kernel. */
const SIMD_MIN_WORK = 1 << 15;
let simdGemm = true;
/** Tests and benchmarks: use the SIMD GEMM where it applies (default) or always the stock kernel. */
export function setSimdMatMul(on: boolean): void {
  simdGemm = on;
}

/**
 * C = op(A) op(B) per batch entry by gemm_f32; null when not applicable: not float32, batch shapes that are neither
 * equal nor 1 (broadcasting), N not a multiple of 4, or a small product.
 */
function simdBatchMatMul(
  backend: WasmBackendLike,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | null {
  if (!simdGemm || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [kb, n] = transposeB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(batchShapeA);
  const batchB = util.sizeFromShape(batchShapeB);
  const batchShape = batchB > batchA ? batchShapeB : batchShapeA;
  const sameBatch = batchA === batchB && util.arraysEqual(batchShapeA, batchShapeB);
  if (k !== kb || n % 4 !== 0 || m * n * k < SIMD_MIN_WORK) return null;
  if (!sameBatch && batchA !== 1 && batchB !== 1) return null;
  const simd = trainKernels(backend);
  if (!simd) return null;
  let bRowMajor = b;
  if (transposeB) bRowMajor = callKernel(backend, "Transpose", { x: b }, { perm: swapLastTwo(rb) });
  const out = backend.makeOutput([...batchShape, m, n], "float32");
  const pa = heapOffset(backend, a);
  const pb = heapOffset(backend, bRowMajor);
  const pc = heapOffset(backend, out);
  const [sam, sak] = transposeA ? [1, m] : [k, 1];
  for (let i = 0; i < Math.max(batchA, batchB); i++) {
    const ia = batchA === 1 ? 0 : i;
    const ib = batchB === 1 ? 0 : i;
    simd.gemm_f32(pa + 4 * ia * m * k, sam, sak, pb + 4 * ib * k * n, n, pc + 4 * i * m * n, n, m, n, k);
  }
  if (bRowMajor !== b) backend.disposeData(bRowMajor.dataId);
  return out;
}

const stock = new StockKernel("BatchMatMul");

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function batchMatMul(args: Parameters<KernelFunc>[0]): TensorInfo {
  const { inputs, attrs } = args;
  const backend = args.backend as unknown as WasmBackendLike;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const direct = simdBatchMatMul(
    backend,
    inputs.a as TensorInfo,
    inputs.b as TensorInfo,
    transposeA,
    transposeB,
  );
  if (direct) return direct;
  if (!transposeA && !transposeB) return stock.run(args);
  let a = inputs.a as TensorInfo;
  let b = inputs.b as TensorInfo;
  const temps: TensorInfo[] = [];
  if (transposeA) {
    a = callKernel(backend, "Transpose", { x: a }, { perm: swapLastTwo(a.shape.length) });
    temps.push(a);
  }
  if (transposeB) {
    b = callKernel(backend, "Transpose", { x: b }, { perm: swapLastTwo(b.shape.length) });
    temps.push(b);
  }
  const out = stock.run({
    ...args,
    inputs: { a, b },
    attrs: { ...attrs, transposeA: false, transposeB: false },
  });
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: "BatchMatMul",
  backendName: "wasm",
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
