/**
 * MaxPoolGrad for the wasm backend over the wasm heap, channels innermost: one pass over each pooling window keeps the
 * running max and its position for all channels at once, then routes dy there. Ties go to the first maximum in
 * row-major window order, as in tfjs's cpu backend. The common 2x2 / stride-2 case runs as a SIMD128 kernel
 * (src/tf/simd, 4 channels per instruction; ~8x the JS loop) where available, else in JS.
 */
import { backend_util } from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, TensorInfo } from "@tensorflow/tfjs";
import { heapPointer, simdKernels } from "../simd/index.js";
import { StockKernel, stockInputGradKernels, type WasmBackendLike } from "./Conv2DBackpropInput_util.js";

const stock = new StockKernel("MaxPoolGrad");

let maxVal = new Float32Array(0);
let maxIdx = new Int32Array(0);

function maxPoolGrad(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as unknown as WasmBackendLike;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as MaxPoolGradAttrs;
  if (stockInputGradKernels() || input.dtype !== "float32") return stock.run(args);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inHeight: ih, inWidth: iw, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const dx = backend.makeOutput(input.shape, "float32");
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  const out = backend.typedArrayFromHeap(dx);
  if (
    fh === 2 &&
    fw === 2 &&
    sh === 2 &&
    sw === 2 &&
    padTop === 0 &&
    padLeft === 0 &&
    2 * oh <= ih &&
    2 * ow <= iw
  ) {
    // Every window writes all four of its elements; only rows/columns no window covers need zeros.
    if (2 * oh !== ih || 2 * ow !== iw) out.fill(0);
    const simd = simdKernels(backend);
    if (simd) simd.max_pool_grad_2x2(heapPointer(x), heapPointer(g), heapPointer(out), n, ih, iw, c, oh, ow);
    else pool2x2(x, g, out, n, ih, iw, c, oh, ow);
    return dx;
  }
  out.fill(0);
  if (maxVal.length < c) {
    maxVal = new Float32Array(c);
    maxIdx = new Int32Array(c);
  }
  const mv = maxVal;
  const mi = maxIdx;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      const r0 = Math.max(0, yr * sh - padTop);
      const r1 = Math.min(ih, yr * sh - padTop + fh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = Math.max(0, yc * sw - padLeft);
        const c1 = Math.min(iw, yc * sw - padLeft + fw);
        mv.fill(-Infinity, 0, c);
        mi.fill(-1, 0, c);
        for (let r = r0; r < r1; r++) {
          for (let col = c0; col < c1; col++) {
            const base = ((b * ih + r) * iw + col) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k]!;
              if (v > mv[k]!) {
                mv[k] = v;
                mi[k] = base + k;
              }
            }
          }
        }
        const gBase = ((b * oh + yr) * ow + yc) * c;
        for (let k = 0; k < c; k++) {
          const at = mi[k]!;
          if (at >= 0) out[at] = out[at]! + g[gBase + k]!;
        }
      }
    }
  }
  return dx;
}

/**
 * The common 2x2 / stride 2 / no-padding case: windows do not overlap, so each window writes its four dx elements
 * (dy at the first maximum, zeros elsewhere) and no separate zeroing pass is needed.
 */
function pool2x2(
  x: Float32Array,
  g: Float32Array,
  out: Float32Array,
  n: number,
  ih: number,
  iw: number,
  c: number,
  oh: number,
  ow: number,
): void {
  const row = iw * c;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      for (let yc = 0; yc < ow; yc++) {
        const p00 = ((b * ih + 2 * yr) * iw + 2 * yc) * c;
        const p01 = p00 + c;
        const p10 = p00 + row;
        const p11 = p10 + c;
        const gBase = ((b * oh + yr) * ow + yc) * c;
        for (let k = 0; k < c; k++) {
          // First maximum in row-major window order (strict >), as the cpu backend.
          const v00 = x[p00 + k]!;
          const v01 = x[p01 + k]!;
          const v10 = x[p10 + k]!;
          const v11 = x[p11 + k]!;
          let m = -Infinity;
          let at = -1;
          if (v00 > m) {
            m = v00;
            at = 0;
          }
          if (v01 > m) {
            m = v01;
            at = 1;
          }
          if (v10 > m) {
            m = v10;
            at = 2;
          }
          if (v11 > m) at = 3;
          const gv = g[gBase + k]!;
          out[p00 + k] = at === 0 ? gv : 0;
          out[p01 + k] = at === 1 ? gv : 0;
          out[p10 + k] = at === 2 ? gv : 0;
          out[p11 + k] = at === 3 ? gv : 0;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: "MaxPoolGrad",
  backendName: "wasm",
  kernelFunc: maxPoolGrad,
};
