/**
 * A tape-free training step for gradopt's Sequential CNNs on the wasm backend: the forward and backward passes call
 * the backend's kernels directly on TensorInfos (callKernel: no tf.Tensor objects, no engine bookkeeping, no gradient
 * tape, no tfjs-layers calls), keep the activations the backward pass needs, compute the softmax cross-entropy and its
 * gradient on the host, and copy the weight gradients into the caller's flat arrays. The same kernels the tape path
 * runs do the arithmetic, so weights agree with it up to float32 rounding (the first convolution's bias is fused here;
 * the tape path adds it separately). About 17% of a batch-128 step was tfjs's own JavaScript (engine, tape, layers).
 *
 * Covered: Conv2D (channels-last, dilation 1, linear or relu activation, with or without bias), ReLU (no max value,
 * threshold 0), MaxPooling2D, Flatten, Dense (linear or relu, with or without bias), the last layer a linear Dense
 * (logits). Anything else (batch norm, dropout, other backends) gives `null` from FusedTrainStep.create and the caller
 * keeps its tape path.
 */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import { callKernel, type WasmBackendLike } from "../tf/kernels/Conv2DBackpropFilter.js";
import { GRADOPT_RELU_MAX_POOL, GRADOPT_RELU_MAX_POOL_GRAD } from "../tf/kernels/ReluMaxPool.js";
import { GRADOPT_RELU_GRAD } from "../tf/kernels/ReluGrad.js";
import { simdKernels } from "../tf/simd/index.js";

type Pad = "same" | "valid";

type Op =
  | {
      kind: "conv";
      kernel: number;
      bias: number | null;
      strides: [number, number];
      pad: Pad;
      relu: boolean;
    }
  | { kind: "relu" }
  | { kind: "pool"; size: [number, number]; strides: [number, number]; pad: Pad }
  | { kind: "flatten" }
  | { kind: "dense"; kernel: number; bias: number | null; relu: boolean };

interface Backend extends WasmBackendLike {
  numDataIds(): number;
}

interface LayerInternals {
  kernel?: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
}

const pair = (v: unknown): [number, number] | null => {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === "number")) return [v[0], v[1]];
  return null;
};

/** The model as a list of covered ops, or null where some layer is not covered. */
function planOf(model: tf.LayersModel): Op[] | null {
  if (model.getClassName() !== "Sequential" || model.inputs.length !== 1 || model.outputs.length !== 1)
    return null;
  const index = (v: tf.LayerVariable | null | undefined) => {
    if (!v) return null;
    const k = model.trainableWeights.indexOf(v);
    return k >= 0 ? k : undefined;
  };
  const ops: Op[] = [];
  let used = 0;
  // Rank of the activations: images in (NHWC), flat features after a Flatten (a Dense on images acts per pixel).
  let rank = model.inputs[0]!.shape.length;
  if (rank !== 4) return null;
  for (const layer of model.layers) {
    const name = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    const l = layer as unknown as LayerInternals;
    if (name === "InputLayer") continue;
    if (layer.nonTrainableWeights.length > 0) return null;
    if (name === "Conv2D" || name === "Dense") {
      const activation = config.activation;
      if (activation !== "linear" && activation !== "relu") return null;
      const kernel = index(l.kernel);
      const bias = config.useBias ? index(l.bias) : null;
      if (kernel === null || kernel === undefined || bias === undefined) return null;
      used += bias === null ? 1 : 2;
      if (name === "Dense") {
        if (l.kernel!.shape.length !== 2 || rank !== 2) return null;
        ops.push({ kind: "dense", kernel, bias, relu: activation === "relu" });
        continue;
      }
      const strides = pair(config.strides);
      const dilation = pair(config.dilationRate ?? 1);
      const pad = config.padding;
      if (
        !strides ||
        !dilation ||
        dilation[0] !== 1 ||
        dilation[1] !== 1 ||
        (pad !== "same" && pad !== "valid") ||
        config.dataFormat !== "channelsLast"
      )
        return null;
      if (rank !== 4) return null;
      ops.push({ kind: "conv", kernel, bias, strides, pad, relu: activation === "relu" });
    } else if (name === "ReLU") {
      if (config.maxValue !== null && config.maxValue !== undefined) return null;
      if (config.threshold !== undefined && config.threshold !== 0) return null;
      ops.push({ kind: "relu" });
    } else if (name === "MaxPooling2D") {
      const size = pair(config.poolSize);
      const strides = pair(config.strides ?? config.poolSize);
      const pad = config.padding;
      if (
        !size ||
        !strides ||
        (pad !== "same" && pad !== "valid") ||
        config.dataFormat !== "channelsLast" ||
        rank !== 4
      )
        return null;
      ops.push({ kind: "pool", size, strides, pad });
    } else if (name === "Flatten") {
      ops.push({ kind: "flatten" });
      rank = 2;
    } else {
      return null;
    }
  }
  const last = ops[ops.length - 1];
  if (!last || last.kind !== "dense" || last.relu || used !== model.trainableWeights.length) return null;
  return ops;
}

/** Per op, what the backward pass reads (the forward pass's tensors). */
interface Saved {
  x: TensorInfo;
  y: TensorInfo;
  /** relu+pool fused: the relu's input (x) is what the gradient kernel reads. */
  fused?: boolean;
}

export interface FusedStepResult {
  /** scale * (sum of the examples' cross-entropies). */
  loss: number;
  /** Examples whose largest logit is their label. */
  hits: number;
}

// GRADOPT_FUSED_STEP=0 keeps the tape path everywhere (worker threads inherit the environment): A/B benchmarks.
let enabled =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.GRADOPT_FUSED_STEP !== "0";
/** Tests and benchmarks: let FusedTrainStep.create cover what it can (default) or always decline (the tape path). */
export function setFusedTrainStep(on: boolean): void {
  enabled = on;
}

/** See the file comment. One instance per model and backend; `dispose()` frees its weight copies. */
export class FusedTrainStep {
  private readonly weights: TensorInfo[];
  private disposed = false;

  private constructor(
    private readonly backend: Backend,
    private readonly ops: Op[],
    private readonly shapes: number[][],
    private readonly fusedReluPool: boolean,
    private readonly reluGradKernel: boolean,
  ) {
    this.weights = shapes.map((s) => backend.makeOutput(s, "float32"));
  }

  /** The step for `model` on the active backend, holding a copy of its current weights; null where not covered. */
  static create(model: tf.LayersModel): FusedTrainStep | null {
    if (!enabled || tf.getBackend() !== "wasm") return null;
    const ops = planOf(model);
    if (!ops) return null;
    const backend = tf.backend() as unknown as Backend;
    const hasSimd = simdKernels(backend) !== undefined;
    const fusedReluPool = hasSimd && tf.getKernel(GRADOPT_RELU_MAX_POOL, "wasm") !== undefined;
    const reluGradKernel = hasSimd && tf.getKernel(GRADOPT_RELU_GRAD, "wasm") !== undefined;
    const vars = model.trainableWeights;
    const step = new FusedTrainStep(
      backend,
      ops,
      vars.map((v) => v.shape as number[]),
      fusedReluPool,
      reluGradKernel,
    );
    step.setWeights(vars.map((v) => v.read().dataSync() as Float32Array));
    return step;
  }

  /**
   * Copies the weights (in model.trainableWeights' order) onto the backend, as new tensors: XNNPACK caches its packed
   * filters per data id (as the tape path's variable writes do, a new weight gets a new id).
   */
  setWeights(values: ArrayLike<number>[]): void {
    this.weights.forEach((w, k) => {
      this.backend.disposeData(w.dataId);
      const fresh = this.backend.makeOutput(this.shapes[k]!, "float32");
      this.backend.typedArrayFromHeap(fresh).set(values[k]!);
      this.weights[k] = fresh;
    });
  }

  /** The backend's tensors this step holds (its weight copies), for leak checks. */
  get heldDataIds(): number {
    return this.disposed ? 0 : this.weights.length;
  }

  /**
   * Forward and backward pass on a batch: writes d(scale * sum of cross-entropies)/d(weights) into `grads` (one array
   * per trainable weight, model order) and returns the loss and hits. `scale` 1/n gives the mean loss's gradient.
   */
  run(
    images: Float32Array,
    shape: [number, number, number, number],
    labels: Int32Array,
    grads: Float32Array[],
    scale: number,
  ): FusedStepResult {
    if (this.disposed) throw new Error("FusedTrainStep: used after dispose()");
    const backend = this.backend;
    const temps: TensorInfo[] = [];
    const make = (s: number[]) => {
      const t = backend.makeOutput(s, "float32");
      temps.push(t);
      return t;
    };
    const run = (name: string, inputs: Record<string, TensorInfo>, attrs: object) => {
      const t = callKernel(backend, name, inputs, attrs);
      temps.push(t);
      return t;
    };
    const view = (t: TensorInfo, s: number[]): TensorInfo => ({ dataId: t.dataId, shape: s, dtype: t.dtype });
    try {
      const n = shape[0];
      const x0 = make(shape);
      backend.typedArrayFromHeap(x0).set(images.subarray(0, tf.util.sizeFromShape(shape)));
      const saved: Saved[] = [];
      let x = x0;
      for (let i = 0; i < this.ops.length; i++) {
        const op = this.ops[i]!;
        const next = this.ops[i + 1];
        let y: TensorInfo;
        if (op.kind === "conv") {
          const attrs = {
            strides: op.strides,
            pad: op.pad,
            dataFormat: "NHWC",
            dilations: [1, 1],
            activation: op.relu ? "relu" : "linear",
          };
          const filter = this.weights[op.kernel]!;
          y =
            op.bias === null && !op.relu
              ? run("Conv2D", { x, filter }, attrs)
              : run(
                  "FusedConv2D",
                  op.bias === null ? { x, filter } : { x, filter, bias: this.weights[op.bias]! },
                  attrs,
                );
        } else if (op.kind === "relu") {
          if (
            this.fusedReluPool &&
            next?.kind === "pool" &&
            next.pad === "valid" &&
            next.size.every((s) => s === 2) &&
            next.strides.every((s) => s === 2) &&
            x.shape[1]! >= 2 &&
            x.shape[2]! >= 2
          ) {
            y = run(GRADOPT_RELU_MAX_POOL, { x }, {});
            saved.push({ x, y, fused: true });
            x = y;
            i++; // the pool is done
            continue;
          }
          y = run("Relu", { x }, {});
        } else if (op.kind === "pool") {
          y = run("MaxPool", { x }, { filterSize: op.size, strides: op.strides, pad: op.pad });
        } else if (op.kind === "flatten") {
          y = view(x, [n, tf.util.sizeFromShape(x.shape.slice(1))]);
        } else {
          const k = x.shape[1]!;
          const w = this.weights[op.kernel]!;
          const units = w.shape[1]!;
          const a = view(x, [1, n, k]);
          const b = view(w, [1, k, units]);
          if (units % 4 === 0) {
            // gradopt's BatchMatMul (SIMD gemm, ~2x XNNPACK's fused product here, no weight packing per new weight),
            // then the bias and relu.
            y = view(run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false }), [n, units]);
            if (op.bias !== null) y = run("Add", { a: y, b: this.weights[op.bias]! }, {});
            if (op.relu) y = run("Relu", { x: y }, {});
          } else {
            const inputs: Record<string, TensorInfo> = { a, b };
            if (op.bias !== null) inputs.bias = this.weights[op.bias]!;
            const out = run("_FusedMatMul", inputs, {
              transposeA: false,
              transposeB: false,
              activation: op.relu ? "relu" : "linear",
              leakyreluAlpha: 0,
            });
            y = view(out, [n, units]);
          }
        }
        saved.push({ x, y });
        x = y;
      }

      // Softmax cross-entropy on the host (logits are n x classes), its gradient scale * (softmax - onehot).
      const classes = x.shape[1]!;
      const z = backend.typedArrayFromHeap(x);
      const dz = make([n, classes]);
      const dzValues = backend.typedArrayFromHeap(dz);
      const s = Math.fround(scale);
      let loss = 0;
      let hits = 0;
      for (let b = 0; b < n; b++) {
        const row = b * classes;
        let max = -Infinity;
        let arg = 0;
        for (let c = 0; c < classes; c++) {
          if (z[row + c]! > max) {
            max = z[row + c]!;
            arg = c;
          }
        }
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(z[row + c]! - max);
        const lse = max + Math.log(sum);
        const label = labels[b]!;
        if (arg === label) hits++;
        loss -= z[row + label]! - lse;
        for (let c = 0; c < classes; c++) {
          const p = Math.fround(Math.exp(Math.fround(z[row + c]! - lse)));
          dzValues[row + c] = Math.fround(s * Math.fround(p - (c === label ? 1 : 0)));
        }
      }

      // Backward, last op first; the first layer's input gradient is never formed.
      let dy: TensorInfo = dz;
      for (let i = saved.length - 1; i >= 0; i--) {
        const { x: input, y, fused } = saved[i]!;
        const op = this.ops[this.opIndex(saved, i)]!;
        const first = i === 0;
        if (fused) {
          dy = run(GRADOPT_RELU_MAX_POOL_GRAD, { dy, x: input }, {});
        } else if (op.kind === "relu") {
          if (!first) dy = this.reluGrad(dy, y, run);
        } else if (op.kind === "pool") {
          if (!first)
            dy = run(
              "MaxPoolGrad",
              { dy, input, output: y },
              { filterSize: op.size, strides: op.strides, pad: op.pad },
            );
        } else if (op.kind === "flatten") {
          dy = view(dy, input.shape);
        } else if (op.kind === "dense") {
          if (op.relu) dy = this.reluGrad(dy, y, run);
          const k = input.shape[1]!;
          const units = y.shape[1]!;
          const w = this.weights[op.kernel]!;
          const dW = run(
            "BatchMatMul",
            { a: view(input, [1, n, k]), b: view(dy, [1, n, units]) },
            { transposeA: true, transposeB: false },
          );
          this.readInto(dW, grads[op.kernel]!);
          if (op.bias !== null)
            this.readInto(run("Sum", { x: dy }, { axis: [0], keepDims: false }), grads[op.bias]!);
          if (!first) {
            const dx = run(
              "BatchMatMul",
              { a: view(dy, [1, n, units]), b: view(w, [1, k, units]) },
              { transposeA: false, transposeB: true },
            );
            dy = view(dx, [n, k]);
          }
        } else {
          if (op.relu) dy = this.reluGrad(dy, y, run);
          const filter = this.weights[op.kernel]!;
          const attrs = { strides: op.strides, pad: op.pad, dataFormat: "NHWC" };
          const dW = run("Conv2DBackpropFilter", { x: input, dy }, { ...attrs, filterShape: filter.shape });
          this.readInto(dW, grads[op.kernel]!);
          if (op.bias !== null)
            this.readInto(run("Sum", { x: dy }, { axis: [0, 1, 2], keepDims: false }), grads[op.bias]!);
          if (!first) dy = run("Conv2DBackpropInput", { dy, filter }, { ...attrs, inputShape: input.shape });
        }
      }
      return { loss: loss * scale, hits };
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  }

  /** Frees the weight copies on the backend. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.weights) this.backend.disposeData(w.dataId);
  }

  /** The op behind saved entry i (a fused relu+pool entry stands for the relu). */
  private opIndex(saved: Saved[], i: number): number {
    let op = 0;
    for (let j = 0; j < i; j++) op += saved[j]!.fused ? 2 : 1;
    return op;
  }

  private reluGrad(
    dy: TensorInfo,
    y: TensorInfo,
    run: (name: string, inputs: Record<string, TensorInfo>, attrs: object) => TensorInfo,
  ): TensorInfo {
    // dy * step(y) (relu's output is positive exactly where its input is, so its step is the same).
    if (this.reluGradKernel) return run(GRADOPT_RELU_GRAD, { dy, x: y }, {});
    const step = run("Step", { x: y }, { alpha: 0 });
    return run("Multiply", { a: dy, b: step }, {});
  }

  private readInto(t: TensorInfo, out: Float32Array): void {
    out.set(this.backend.typedArrayFromHeap(t));
  }
}
