/**
 * Shared plumbing for gradopt's wasm input-gradient kernels: the slice of tfjs-backend-wasm's backend we use
 * (its tensors live on the wasm heap, addressed through `dataIdMap`), and the transposed-convolution identity
 * that turns an input gradient into a forward convolution XNNPACK runs fast:
 *
 *   dx = conv_stride1( dilate(dy, stride), rot180(W) with in/out channels swapped, pad' = k - 1 - pad )
 *
 * (Dumoulin & Visin 2016, "A guide to convolution arithmetic", section 4.)
 */
import * as tf from "@tensorflow/tfjs";
// tfjs-backend-wasm registers its own kernels on import; StockKernel captures them, so it must load first.
import "@tensorflow/tfjs-backend-wasm";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

/** The part of tfjs-backend-wasm's BackendWasm that the kernels touch. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Runs another wasm kernel by name (its setup has run: it was registered when the backend started). */
export function runWasmKernel(
  name: string,
  backend: WasmBackendLike,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`gradopt: wasm kernel ${name} is not registered`);
  return config.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo;
}

/**
 * tfjs-backend-wasm's own kernel of a name, captured before gradopt replaces it, so we can fall back to it (cases we
 * do not handle) and benchmark against it. Its setup (a cwrap of the C++ function) runs lazily, once, on first use,
 * because a kernel unregistered before the backend starts never gets its setup called.
 */
export class StockKernel {
  private readonly config: KernelConfig | undefined;
  private ready = false;
  constructor(readonly name: string) {
    this.config = tf.getKernel(name, "wasm");
  }
  get available(): boolean {
    return this.config !== undefined;
  }
  run(args: Parameters<KernelFunc>[0]): TensorInfo {
    const config = this.config;
    if (!config) throw new Error(`gradopt: tfjs-backend-wasm has no ${this.name} kernel to fall back to`);
    if (!this.ready) {
      config.setupFunc?.(args.backend);
      this.ready = true;
    }
    return config.kernelFunc(args) as TensorInfo;
  }
}

let stockMode = false;
/** Benchmarks only: route our replaced kernels to tfjs-backend-wasm's own ones (true) or to gradopt's (false). */
export function setStockInputGradKernels(on: boolean): void {
  stockMode = on;
}
export function stockInputGradKernels(): boolean {
  return stockMode;
}

/**
 * A new [fh, fw, outC, inC] filter: `w` ([fh, fw, inC, outC]) rotated 180 degrees with in/out channels swapped,
 * the filter of the transposed convolution.
 */
export function flipTransposeFilter(backend: WasmBackendLike, w: TensorInfo): TensorInfo {
  const [fh, fw, inC, outC] = w.shape as [number, number, number, number];
  const out = backend.makeOutput([fh, fw, outC, inC], "float32");
  const src = backend.typedArrayFromHeap(w);
  const dst = backend.typedArrayFromHeap(out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const s = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * inC * outC;
      const d = (kh * fw + kw) * outC * inC;
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < outC; o++) dst[d + o * inC + i] = src[s + i * outC + o]!;
      }
    }
  }
  return out;
}

/** A new [fh, fw, C, 1] depthwise filter rotated 180 degrees (channel multiplier 1). */
export function flipDepthwiseFilter(backend: WasmBackendLike, w: TensorInfo): TensorInfo {
  const [fh, fw, c] = w.shape as [number, number, number, number];
  const out = backend.makeOutput([fh, fw, c, 1], "float32");
  const src = backend.typedArrayFromHeap(w);
  const dst = backend.typedArrayFromHeap(out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const s = ((fh - 1 - kh) * fw + (fw - 1 - kw)) * c;
      const d = (kh * fw + kw) * c;
      for (let i = 0; i < c; i++) dst[d + i] = src[s + i]!;
    }
  }
  return out;
}

/** A new NHWC tensor with `dy`'s pixels spread `sh`/`sw` apart and zeros between (the transposed stride). */
export function dilateSpatial(backend: WasmBackendLike, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, h, w, c] = dy.shape as [number, number, number, number];
  const hd = (h - 1) * sh + 1;
  const wd = (w - 1) * sw + 1;
  const out = backend.makeOutput([n, hd, wd, c], "float32");
  const src = backend.typedArrayFromHeap(dy);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = ((b * h + y) * w + x) * c;
        const d = ((b * hd + y * sh) * wd + x * sw) * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k]!;
      }
    }
  }
  return out;
}

/**
 * Explicit padding of the transposed convolution that maps a (dilated) dy of height `dyH` back to height `inH`;
 * null when it would need negative padding (then the caller uses another path).
 */
export function transposedPads(
  inH: number,
  inW: number,
  dyH: number,
  dyW: number,
  fh: number,
  fw: number,
  padTop: number,
  padLeft: number,
): [[number, number], [number, number], [number, number], [number, number]] | null {
  const top = fh - 1 - padTop;
  const left = fw - 1 - padLeft;
  const bottom = inH - dyH + fh - 1 - top;
  const right = inW - dyW + fw - 1 - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}
