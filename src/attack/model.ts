/**
 * TfjsClassifier: a TensorFlow.js classifier as attacks see it (Foolbox's model wrapper). It owns the input bounds and
 * the preprocessing, which runs inside the forward pass so that inputs and eps are always on the [0, 1] pixel scale;
 * it always returns logits (a model that ends in softmax is run without it, or, where that is impossible, as log
 * probabilities with a loud warning); it runs in inference mode (dropout off, batch norm on running statistics);
 * and it batches.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError, assertArg } from "../errors.js";
import { conv2dBias } from "../tf/kernels/Conv2DBias.js";
import { reluMaxPool2x2 } from "../tf/kernels/ReluMaxPool.js";
import { loadTfjsModel, type LoadedModel } from "./io.js";

/** Pixel-scale preprocessing applied inside the model: none; MobileNet's [-1, 1] (x * 2 - 1); or (x - mean) / std per channel. */
export type Preprocessing = "none" | "mobilenet" | { mean: number | number[]; std: number | number[] };

/** How the model's raw output relates to logits. */
export type OutputKind = "logits" | "softmax-removed" | "log-probabilities";

export interface ClassifierOptions {
  /** Valid input range, default [0, 1]. */
  bounds?: readonly [number, number];
  preprocessing?: Preprocessing;
  classNames?: string[];
  /** Images per forward/backward pass (default 128). */
  batchSize?: number;
  /** "auto" (default): detect a final softmax and drop it. "logits": trust the output. "probabilities": use log(p). */
  output?: "auto" | "logits" | "probabilities";
  /**
   * Under a gradient tape, run Conv2D and BatchNormalization layers through ops whose gradients skip the weights
   * (default true; the same values, checked in the tests). false: tfjs-layers' own calls.
   */
  gradientFastPath?: boolean;
  /** Where warnings go (default: collected in `warnings` and printed to stderr). */
  onWarning?: (message: string) => void;
  /**
   * Input height and width (a number for square) for models that leave them open, e.g. TF Hub graphs whose input is
   * [-1, -1, -1, 3]. Must match a fixed size where the model has one.
   */
  inputSize?: number | readonly [number, number];
}

/** The side a model with open input height/width is probed and fed at when no inputSize is given: the ImageNet models' 224. */
export const DEFAULT_INPUT_SIDE = 224;

/** The model's per-sample input shape with open height/width (-1) filled from `inputSize`. */
function resolveInputShape(shape: number[], inputSize: ClassifierOptions["inputSize"]): number[] {
  if (inputSize === undefined) return shape;
  const [h, w] = typeof inputSize === "number" ? [inputSize, inputSize] : inputSize;
  assertArg(
    Number.isInteger(h) && h >= 1 && Number.isInteger(w) && w >= 1,
    () => `TfjsClassifier: inputSize must be positive integers, got ${JSON.stringify(inputSize)}`,
  );
  if (shape.length !== 3)
    throw new GradoptError(
      "E_ARG",
      `input size ${h}x${w} given, but the model's input [${shape.join(", ")}] is not an image [height, width, channels]`,
    );
  const fits = (d: number, v: number) => d < 0 || d === v;
  if (!fits(shape[0]!, h) || !fits(shape[1]!, w))
    throw new GradoptError(
      "E_ARG",
      `input size ${h}x${w} does not match the model's fixed input [${shape.join(", ")}]`,
    );
  return [h, w, shape[2]!];
}

type Forward = (x: tf.Tensor) => tf.Tensor;

export class TfjsClassifier {
  readonly bounds: readonly [number, number];
  readonly preprocessing: Preprocessing;
  readonly inputShape: number[];
  readonly numClasses: number;
  readonly classNames: string[];
  readonly batchSize: number;
  readonly outputKind: OutputKind;
  readonly warnings: string[] = [];
  private readonly forward: Forward;
  private readonly disposeModel: () => void;

  constructor(
    forward: Forward,
    meta: { inputShape: number[]; numClasses: number; outputKind: OutputKind; dispose?: () => void },
    options: ClassifierOptions = {},
  ) {
    const bounds = options.bounds ?? [0, 1];
    assertArg(
      bounds[0] < bounds[1],
      () => `TfjsClassifier: bounds must be [lower, upper] with lower < upper, got [${bounds.join(", ")}]`,
    );
    const batchSize = options.batchSize ?? 128;
    assertArg(
      Number.isInteger(batchSize) && batchSize > 0,
      () => `TfjsClassifier: batchSize must be a positive integer, got ${batchSize}`,
    );
    this.bounds = [bounds[0], bounds[1]];
    this.preprocessing = checkPreprocessing(options.preprocessing ?? "none");
    this.inputShape = meta.inputShape;
    this.numClasses = meta.numClasses;
    this.outputKind = meta.outputKind;
    this.batchSize = batchSize;
    this.forward = forward;
    this.disposeModel = meta.dispose ?? (() => {});
    const names = options.classNames;
    assertArg(
      !names || names.length === meta.numClasses,
      () => `TfjsClassifier: ${names!.length} class names for ${meta.numClasses} classes`,
    );
    this.classNames = names ?? Array.from({ length: meta.numClasses }, (_, i) => String(i));
    const sink = options.onWarning ?? defaultWarningSink;
    this.warn = (m) => {
      this.warnings.push(m);
      sink(m);
    };
    if (meta.outputKind === "log-probabilities") {
      this.warn(
        "the model outputs probabilities and its softmax could not be removed: using log(probabilities) as logits. " +
          "Gradients vanish where probabilities saturate to 0 or 1 in float32; export the model without its final softmax.",
      );
    }
  }

  /** Records a warning (also sent to onWarning / stderr). */
  readonly warn: (message: string) => void;

  /** Loads a Layers or Graph model from a directory / model.json on disk, or a URL. Class names may come from the model's metadata. */
  static async load(path: string, options: ClassifierOptions = {}): Promise<TfjsClassifier> {
    const loaded = await loadTfjsModel(path);
    const metaNames = loaded.metadata.classNames ?? loaded.metadata.classes;
    const classNames =
      options.classNames ??
      (Array.isArray(metaNames) && metaNames.every((n) => typeof n === "string")
        ? (metaNames as string[])
        : undefined);
    return TfjsClassifier.fromModel(loaded, { ...options, ...(classNames ? { classNames } : {}) });
  }

  /** Wraps an in-memory model (the wrapper does not take ownership unless `dispose` is called). */
  static fromModel(
    loaded: LoadedModel | tf.LayersModel | tf.GraphModel,
    options: ClassifierOptions = {},
  ): TfjsClassifier {
    const l: LoadedModel =
      loaded instanceof tf.LayersModel
        ? { format: "layers-model", model: loaded, metadata: {} }
        : loaded instanceof tf.GraphModel
          ? { format: "graph-model", model: loaded, metadata: {} }
          : loaded;
    return l.format === "layers-model" ? fromLayers(l.model, options) : fromGraph(l.model, options);
  }

  /** Logits [n, classes] for inputs on the pixel scale (within `bounds`); differentiable; inference mode. */
  logits(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const out = this.forward(this.preprocess(x));
      if (out.rank !== 2)
        throw new GradoptError(
          "E_ARG",
          `TfjsClassifier: the model's output has shape [${out.shape.join(", ")}], expected [batch, classes]`,
        );
      return (this.outputKind === "log-probabilities" ? tf.log(tf.maximum(out, 1e-30)) : out) as tf.Tensor2D;
    });
  }

  /** Logits of many inputs, `batchSize` at a time (no gradient). */
  logitsBatched(x: tf.Tensor): tf.Tensor2D {
    const n = x.shape[0]!;
    if (n <= this.batchSize) return this.logits(x);
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < n; start += this.batchSize) {
      const size = Math.min(this.batchSize, n - start);
      parts.push(tf.tidy(() => this.logits(tf.slice(x, start, size))));
    }
    const all = tf.concat(parts);
    tf.dispose(parts);
    return all;
  }

  /** Predicted classes and the softmax probability of the predicted class. */
  predict(x: tf.Tensor): { labels: Int32Array; confidence: Float32Array } {
    const logits = this.logitsBatched(x);
    const [labels, confidence] = tf.tidy(() => [tf.argMax(logits, 1), tf.max(tf.softmax(logits), 1)]);
    const out = {
      labels: labels!.dataSync() as Int32Array,
      confidence: confidence!.dataSync() as Float32Array,
    };
    tf.dispose([logits, labels!, confidence!]);
    return out;
  }

  private preprocess(x: tf.Tensor): tf.Tensor {
    const p = this.preprocessing;
    if (p === "none") return x;
    if (p === "mobilenet") return tf.sub(tf.mul(x, 2), 1);
    return tf.div(tf.sub(x, p.mean), p.std);
  }

  /** Frees the underlying model's weights. */
  dispose(): void {
    this.disposeModel();
  }
}

function checkPreprocessing(p: Preprocessing): Preprocessing {
  if (p === "none" || p === "mobilenet") return p;
  if (typeof p !== "object" || p === null || !("mean" in p) || !("std" in p)) {
    throw new GradoptError(
      "E_ARG",
      `TfjsClassifier: preprocessing must be "none", "mobilenet" or { mean, std }, got ${JSON.stringify(p)}`,
    );
  }
  const stds = Array.isArray(p.std) ? p.std : [p.std];
  assertArg(
    stds.every((s) => s > 0 && Number.isFinite(s)),
    () => `TfjsClassifier: preprocessing std must be > 0, got ${JSON.stringify(p.std)}`,
  );
  return p;
}

type ActivationLike = { getClassName(): string };
type LayerWithActivation = tf.layers.Layer & { activation?: ActivationLike | null; softmax?: unknown };

/** Runs `fn` with the layer's softmax swapped for the identity (restored afterwards, even on throw). */
function withoutSoftmax(layer: LayerWithActivation, fn: () => tf.Tensor): tf.Tensor {
  if (layer.getClassName() === "Softmax") {
    const saved = layer.softmax;
    layer.softmax = (x: tf.Tensor) => x;
    try {
      return fn();
    } finally {
      layer.softmax = saved;
    }
  }
  const saved = layer.activation;
  layer.activation = LINEAR;
  try {
    return fn();
  } finally {
    layer.activation = saved;
  }
}

const LINEAR = (tf.layers.activation({ activation: "linear" }) as unknown as { activation: ActivationLike })
  .activation;

function endsInSoftmax(layer: LayerWithActivation): boolean {
  if (layer.getClassName() === "Softmax") return true;
  return layer.activation?.getClassName?.() === "softmax";
}

/**
 * Inference-mode replacements for the layers that dominate an input-gradient step, swapped in only during our own
 * forward pass (the user's model is untouched). tfjs-layers runs every Conv2D through fused.conv2d, whose custom
 * gradient computes the FILTER gradient too (wasted work when only the input gradient is wanted), Dense likewise through
 * fused.matMul; and the gradient of
 * BatchNormalization tiles its scale to the full activation shape. Here a Conv2D is conv2d + bias + activation (ops
 * whose gradients are lazy per input) and an inference-mode BatchNormalization is x * scale + shift with broadcasting.
 */
type CallFn = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
interface LayerInternals {
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation?: { apply(x: tf.Tensor): tf.Tensor } | null;
  strides?: [number, number];
  padding?: string;
  dataFormat?: string;
  dilationRate?: [number, number];
  rank?: number;
  axis?: number;
  epsilon?: number;
  movingMean?: { read(): tf.Tensor };
  movingVariance?: { read(): tf.Tensor };
  gamma?: { read(): tf.Tensor } | null;
  beta?: { read(): tf.Tensor } | null;
  call: CallFn;
}

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function inferenceCall(layer: tf.layers.Layer): CallFn | undefined {
  const l = layer as unknown as LayerInternals;
  const cls = layer.getClassName();
  if (
    cls === "Conv2D" &&
    l.rank === 2 &&
    l.dataFormat === "channelsLast" &&
    l.kernel &&
    (l.padding === "same" || l.padding === "valid")
  ) {
    const undilated = (l.dilationRate ?? [1, 1]).every((d) => d === 1);
    return (inputs) =>
      tf.tidy(() => {
        const x = one(inputs) as tf.Tensor4D;
        const w = l.kernel!.read() as tf.Tensor4D;
        const pad = l.padding as "same" | "valid";
        let y: tf.Tensor;
        // conv + bias as one op whose gradient stays lazy per input (the bias added in the convolution's output pass).
        if (l.bias && undilated) y = conv2dBias(x, w, l.bias.read(), l.strides!, pad);
        else {
          y = tf.conv2d(x, w, l.strides!, pad, "NHWC", l.dilationRate!);
          if (l.bias) y = tf.add(y, l.bias.read());
        }
        return l.activation ? l.activation.apply(y) : y;
      });
  }
  if (cls === "Dense" && l.kernel) {
    return (inputs) =>
      tf.tidy(() => {
        const x = one(inputs);
        if (x.rank !== 2) return Object.getPrototypeOf(layer).call.call(layer, inputs, {}) as tf.Tensor;
        let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, l.kernel!.read() as tf.Tensor2D);
        if (l.bias) y = tf.add(y, l.bias.read());
        return l.activation ? l.activation.apply(y) : y;
      });
  }
  if (cls === "BatchNormalization" && l.movingMean && l.movingVariance) {
    return (inputs) =>
      tf.tidy(() => {
        const x = one(inputs);
        const axis = l.axis! < 0 ? l.axis! + x.rank : l.axis!;
        if (axis !== x.rank - 1)
          return Object.getPrototypeOf(layer).call.call(layer, inputs, { training: false }) as tf.Tensor;
        let scale = tf.rsqrt(tf.add(l.movingVariance!.read(), l.epsilon ?? 1e-3));
        if (l.gamma) scale = tf.mul(scale, l.gamma.read());
        let shift = tf.neg(tf.mul(l.movingMean!.read(), scale));
        if (l.beta) shift = tf.add(shift, l.beta.read());
        return tf.add(tf.mul(x, scale), shift);
      });
  }
  return undefined;
}

interface PoolInternals {
  poolSize?: number[];
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  maxValue?: number | null;
  activation?: ActivationLike | null;
  outboundNodes?: unknown[];
}

/** A ReLU layer (or Activation("relu")) without a cap. */
function isPlainRelu(layer: tf.layers.Layer): boolean {
  const l = layer as unknown as PoolInternals;
  const cls = layer.getClassName();
  if (cls === "ReLU") return l.maxValue === undefined || l.maxValue === null;
  return cls === "Activation" && l.activation?.getClassName?.() === "relu";
}

/** MaxPooling2D with 2x2 windows, stride 2, valid padding, channels last. */
function isPool2x2(layer: tf.layers.Layer | undefined): boolean {
  const l = layer as unknown as PoolInternals | undefined;
  return (
    layer?.getClassName() === "MaxPooling2D" &&
    l?.poolSize?.[0] === 2 &&
    l.poolSize[1] === 2 &&
    l.strides?.[0] === 2 &&
    l.strides[1] === 2 &&
    l.padding === "valid" &&
    l.dataFormat === "channelsLast"
  );
}

/**
 * A ReLU layer whose only consumer is the 2x2 max pooling right after it (a Sequential model's conv -> relu -> pool):
 * under the tape the ReLU passes its input through and the pool computes relu + pooling as one op (reluMaxPool2x2:
 * one kernel each way on wasm instead of four, and one full-size activation less).
 */
function reluPoolSwaps(layers: tf.layers.Layer[]): Array<[tf.layers.Layer, CallFn]> {
  const swaps: Array<[tf.layers.Layer, CallFn]> = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    const relu = layers[i]!;
    const pool = layers[i + 1]!;
    const consumers = (relu as unknown as PoolInternals).outboundNodes?.length;
    if (!isPlainRelu(relu) || !isPool2x2(pool) || consumers !== 1) continue;
    if (
      Object.prototype.hasOwnProperty.call(relu, "call") ||
      Object.prototype.hasOwnProperty.call(pool, "call")
    )
      continue;
    // A reshape to the same shape, not the input itself: tfjs-layers clones a layer output that is one of its inputs,
    // and the gradient of that clone (Identity) is a full-size Cast copy; Reshape shares the data both ways.
    swaps.push([relu, (inputs) => tf.reshape(one(inputs), one(inputs).shape)]);
    swaps.push([pool, (inputs) => reluMaxPool2x2(one(inputs) as tf.Tensor4D)]);
    i++;
  }
  return swaps;
}

/** True inside tf.grad / valueAndGrad (tfjs-core's engine keeps this private). */
function tapeIsOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return typeof engine.isTapeOn === "function" ? engine.isTapeOn() : true;
}

/** Runs `fn` with the inference calls swapped in (restored afterwards, even on throw). */
function withInferenceCalls(swaps: Array<[tf.layers.Layer, CallFn]>, fn: () => tf.Tensor): tf.Tensor {
  for (const [layer, call] of swaps) (layer as unknown as LayerInternals).call = call;
  try {
    return fn();
  } finally {
    for (const [layer] of swaps) delete (layer as unknown as Partial<LayerInternals>).call;
  }
}

function fromLayers(model: tf.LayersModel, options: ClassifierOptions): TfjsClassifier {
  assertArg(
    model.inputs.length === 1 && model.outputs.length === 1,
    () =>
      `TfjsClassifier: expected one input and one output, got ${model.inputs.length} and ${model.outputs.length}`,
  );
  const outLayer = model.outputs[0]!.sourceLayer as LayerWithActivation;
  const mode = options.output ?? "auto";
  const softmax = endsInSoftmax(outLayer);
  const swaps: Array<[tf.layers.Layer, CallFn]> = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const layer of layers) {
      if (Object.prototype.hasOwnProperty.call(layer, "call")) continue; // already patched by someone: leave it
      const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(nested)) visit(nested);
      const call = inferenceCall(layer);
      if (call) swaps.push([layer, call]);
    }
  };
  if (options.gradientFastPath ?? true) {
    visit(model.layers);
    if (model instanceof tf.Sequential) swaps.push(...reluPoolSwaps(model.layers));
  }
  const plain = (x: tf.Tensor) => model.apply(x, { training: false }) as tf.Tensor;
  // The replacements pay off only under a gradient tape; plain inference keeps tfjs's fused kernels.
  const apply = (x: tf.Tensor) =>
    swaps.length > 0 && tapeIsOn() ? withInferenceCalls(swaps, () => plain(x)) : plain(x);
  let forward: Forward = apply;
  let outputKind: OutputKind = "logits";
  if (mode === "probabilities" && !softmax) outputKind = "log-probabilities";
  else if (mode !== "logits" && softmax) {
    forward = (x) => withoutSoftmax(outLayer, () => apply(x));
    outputKind = "softmax-removed";
  }
  const shape = model.outputs[0]!.shape;
  return new TfjsClassifier(
    forward,
    {
      inputShape: resolveInputShape(
        model.inputs[0]!.shape.slice(1).map((d) => d ?? -1),
        options.inputSize,
      ),
      numClasses: shape[shape.length - 1] ?? -1,
      outputKind,
      dispose: () => model.dispose(),
    },
    options,
  );
}

interface GraphInternals {
  executor?: { graph?: { outputs?: Array<{ op: string; name: string; inputs: Array<{ name: string }> }> } };
}

function fromGraph(model: tf.GraphModel, options: ClassifierOptions): TfjsClassifier {
  const mode = options.output ?? "auto";
  const outputs = (model as unknown as GraphInternals).executor?.graph?.outputs ?? [];
  assertArg(
    outputs.length <= 1,
    () => `TfjsClassifier: expected a graph model with one output, got ${outputs.length}`,
  );
  const last = outputs[0];
  let forward: Forward = (x) => model.execute(x) as tf.Tensor;
  let outputKind: OutputKind = mode === "probabilities" ? "log-probabilities" : "logits";
  if (mode !== "logits" && last && last.op === "Softmax" && last.inputs[0]) {
    const pre = last.inputs[0].name;
    forward = (x) => model.execute(x, pre) as tf.Tensor;
    outputKind = "softmax-removed";
  }
  const inShape = resolveInputShape(
    (model.inputs[0]?.shape ?? []).slice(1).map((d) => d ?? -1),
    options.inputSize,
  );
  const outShape = model.outputs[0]?.shape ?? [];
  let classes = outShape[outShape.length - 1] ?? -1;
  if (classes === -1) classes = probeClasses(forward, inShape);
  return new TfjsClassifier(
    forward,
    { inputShape: inShape, numClasses: classes, outputKind, dispose: () => model.dispose() },
    options,
  );
}

/**
 * The number of classes of a graph that does not declare its output shape: one forward pass on zeros. Open height and
 * width (TF Hub's [-1, -1, -1, 3]) are probed at DEFAULT_INPUT_SIDE; a graph that cannot run there needs inputSize.
 */
function probeClasses(forward: Forward, inShape: number[]): number {
  const open = inShape.length === 3 && inShape[2]! > 0 && (inShape[0]! < 0 || inShape[1]! < 0);
  const probe = open ? inShape.map((d, i) => (d < 0 && i < 2 ? DEFAULT_INPUT_SIDE : d)) : inShape;
  if (probe.length === 0 || probe.some((d) => d < 0)) return -1; // nothing to probe with: the caller checks the shape
  try {
    return tf.tidy(() => {
      const out = forward(tf.zeros([1, ...probe]));
      // One image in must give one row of logits out; anything else means the graph does not take this size.
      if (out.rank !== 2 || out.shape[0] !== 1)
        throw new Error(`one image gave an output of shape [${out.shape.join(", ")}], not [1, classes]`);
      return out.shape[1]!;
    });
  } catch (err) {
    throw new GradoptError(
      "E_ARG",
      `cannot find the model's number of classes: its input is [${inShape.join(", ")}] and a forward pass at ` +
        `[${probe.join(", ")}] failed (${(err as Error).message}). Give the input size (--input-size, or inputSize)`,
      undefined,
      { cause: err },
    );
  }
}

function defaultWarningSink(message: string): void {
  if (typeof process !== "undefined" && process.stderr)
    process.stderr.write(`gradopt: warning: ${message}\n`);
  else console.warn(`gradopt: warning: ${message}`);
}
