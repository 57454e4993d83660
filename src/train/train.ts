/**
 * The training loop behind `gradopt train`: seeded shuffle and validation split, Adam with a cosine learning-rate
 * schedule and linear warm-up, optional augmentation (random horizontal flips), optional adversarial training
 * (FGSM with random start or PGD, on the adversarial batch only, as in Wong et al. 2020 and Madry et al. 2018), a
 * checkpoint in `out` after every epoch. Reproducible: the same seed, data and options give the same weights.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/index.js";
import { GradoptError } from "../errors.js";
import { TfjsClassifier } from "../attack/model.js";
import { adversarialBatch, type AdversarialConfig, type Logits } from "./adversarial.js";
import { evaluateLoss } from "./evaluate.js";
import { fileIOHandler } from "./file-io.js";
import { buildCnn, type CnnOptions } from "./model.js";
import { ModelWorkerPool } from "../tf/workers/index.js";
import { applyForWeightGradients } from "../tf/weight-grad-forward.js";
import { mulberry32, permutation, type Rng } from "./rng.js";
import { FlatAdam } from "./flat-adam.js";
import { FusedTrainStep } from "./fused-step.js";

export type Augmentation = "none" | "flip";

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  /** Peak learning rate of Adam (default 1e-3). */
  lr?: number;
  /** Seeds initialisers, shuffling, augmentation and adversarial random starts (default 1). */
  seed?: number;
  /** Fraction of the training data held out for validation (default 0.1; 0 disables). */
  validationSplit?: number;
  adversarial?: AdversarialConfig;
  augment?: Augmentation;
  /** "cosine" (default) decays to 0 over the run after a warm-up; "constant" keeps `lr`. */
  schedule?: "cosine" | "constant";
  /** Start from this model instead of a fresh buildCnn(). */
  initialModel?: tf.LayersModel;
  /** Size of a fresh buildCnn() (channels per conv stage, convolutions per stage, dense units); not with initialModel. */
  architecture?: Pick<CnnOptions, "filters" | "convsPerStage" | "dense">;
  /** Directory to checkpoint into (model.json + weights.bin) after each epoch. */
  out?: string;
  /**
   * Data-parallel training over this many worker threads (one wasm backend each): every step the batch is split, each
   * worker differentiates its shard (adversarial examples included), the gradients are summed here, Adam updates the
   * weights and the workers get them back. 0 or 1: train in this thread. Same seed + same worker count = same result.
   */
  workers?: number;
  /** Stop after this many optimiser steps in total (for quick runs and tests). */
  maxSteps?: number;
  /** Extra JSON stored in the checkpoint's userDefinedMetadata.gradopt. */
  metadata?: Record<string, unknown>;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (summary: EpochSummary) => void;
}

export interface BatchProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  lr: number;
}

export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
  imagesPerSecond: number;
}

export interface TrainResult {
  model: tf.LayersModel;
  history: EpochSummary[];
  steps: number;
  trainExamples: number;
  validationExamples: number;
  seconds: number;
}

/** The subset of `data` at `indices` (copies). */
export function subsetDataset(data: Dataset, indices: Int32Array): Dataset {
  const [, h, w, c] = data.shape;
  const per = h * w * c;
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, k) => {
    images.set(data.images.subarray(src * per, (src + 1) * per), k * per);
    labels[k] = data.labels[src]!;
  });
  return { ...data, images, labels, shape: [indices.length, h, w, c] };
}

function fillBatch(
  data: Dataset,
  order: Int32Array,
  start: number,
  end: number,
  buf: Float32Array,
  labels: Int32Array,
  augment: Augmentation,
  rng: Rng,
): void {
  const [, h, w, c] = data.shape;
  const per = h * w * c;
  for (let k = 0; k < end - start; k++) {
    const src = order[start + k]!;
    labels[k] = data.labels[src]!;
    const from = src * per;
    const to = k * per;
    if (augment === "flip" && rng.next() < 0.5) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let ch = 0; ch < c; ch++)
            buf[to + (y * w + x) * c + ch] = data.images[from + (y * w + (w - 1 - x)) * c + ch]!;
        }
      }
    } else {
      buf.set(data.images.subarray(from, from + per), to);
    }
  }
}

function learningRateAt(step: number, total: number, peak: number, schedule: "cosine" | "constant"): number {
  if (schedule === "constant") return peak;
  const warmup = Math.min(200, Math.max(1, Math.floor(total * 0.03)));
  const warm = Math.min(1, (step + 1) / warmup);
  return peak * warm * 0.5 * (1 + Math.cos((Math.PI * step) / total));
}

function checkArgs(o: Required<Pick<TrainOptions, "epochs" | "batchSize" | "lr" | "validationSplit">>): void {
  const bad = (name: string, v: number, why: string) =>
    new GradoptError("E_ARG", `train: ${name} ${why}, got ${v}`);
  if (!(Number.isInteger(o.epochs) && o.epochs > 0))
    throw bad("epochs", o.epochs, "must be a positive integer");
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
    throw bad("batchSize", o.batchSize, "must be a positive integer");
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw bad("lr", o.lr, "must be a positive number");
  if (!(o.validationSplit >= 0 && o.validationSplit < 1))
    throw bad("validationSplit", o.validationSplit, "must be in [0, 1)");
}

/** Trains a logits classifier on `data` (images in [0, 1], NHWC). */
export async function trainClassifier(data: Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  const {
    epochs = 5,
    batchSize = 128,
    lr = 1e-3,
    seed = 1,
    validationSplit = 0.1,
    augment = "none",
    schedule = "cosine",
  } = options;
  checkArgs({ epochs, batchSize, lr, validationSplit });
  const adv = options.adversarial;
  if (adv && !(adv.eps > 0 && adv.eps <= 1))
    throw new GradoptError("E_ARG", `train: adversarial eps must be in (0, 1], got ${adv.eps}`);
  const rng = mulberry32(seed);
  const classes = data.classNames.length;
  const all = permutation(data.shape[0], rng);
  const valCount = Math.floor(data.shape[0] * validationSplit);
  const trainIdx = all.subarray(0, data.shape[0] - valCount);
  const val = valCount > 0 ? subsetDataset(data, all.subarray(data.shape[0] - valCount)) : null;
  if (trainIdx.length === 0)
    throw new GradoptError("E_ARG", "train: no training examples left after the validation split");

  const [, h, w, c] = data.shape;
  if (options.initialModel && options.architecture)
    throw new GradoptError("E_ARG", "train: architecture applies to a fresh model, not to initialModel");
  const model =
    options.initialModel ?? buildCnn({ inputShape: [h, w, c], classes, seed, ...options.architecture });
  const inference: Logits = (x) => model.apply(x, { training: false }) as tf.Tensor2D;
  // The attack module's wrapper: under a gradient tape its fast path skips the weight gradients (input ones only).
  const attackModel = TfjsClassifier.fromModel(model, { output: "logits", onWarning: () => {} });
  const workers = options.workers ?? 0;
  if (workers > 1 && model.nonTrainableWeights.length > 0) {
    throw new GradoptError(
      "E_ARG",
      "train: data-parallel training (workers > 1) does not support layers with non-trainable state (batch norm)",
    );
  }
  const pool = workers > 1 ? await ModelWorkerPool.create(model, { size: workers }) : null;
  // Adam on flat arrays (FlatAdam: bit-identical to tf.train.adam, without ~60 kernel launches a step). Data-parallel,
  // the weights go to the workers through the pool's shared buffer and the model's variables get them back when the
  // main thread needs them; in this thread they are written back after every step.
  const flatWeights = model.trainableWeights.map((v) => (v.read().dataSync() as Float32Array).slice());
  const flatAdam = new FlatAdam(
    flatWeights.map((w) => w.length),
    { epsilon: tf.backend().epsilon() },
  );
  const syncModel = () =>
    tf.tidy(() =>
      model.trainableWeights.forEach((v, k) => v.write(tf.tensor(flatWeights[k]!, v.shape as number[]))),
    );
  // In this thread, the tape-free step where it covers the model (wasm backend, gradopt's CNN layers): the model's
  // variables then get the weights only when something reads them (adversarial batches, evaluation, checkpoints).
  const fused = pool ? null : FusedTrainStep.create(model);
  const fusedGrads = flatWeights.map((w) => new Float32Array(w.length));
  const stepsPerEpoch = Math.ceil(trainIdx.length / batchSize);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, epochs * stepsPerEpoch);
  const buf = new Float32Array(batchSize * h * w * c);
  const labelBuf = new Int32Array(batchSize);
  const history: EpochSummary[] = [];
  const t0 = performance.now();
  let step = 0;

  try {
    for (let epoch = 1; epoch <= epochs && step < totalSteps; epoch++) {
      const te = performance.now();
      const order = Int32Array.from(trainIdx);
      const shuffle = permutation(order.length, rng);
      for (let i = 0; i < order.length; i++) order[i] = trainIdx[shuffle[i]!]!;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < stepsPerEpoch && step < totalSteps; b++, step++) {
        const start = b * batchSize;
        const end = Math.min(order.length, start + batchSize);
        const n = end - start;
        fillBatch(data, order, start, end, buf, labelBuf, augment, rng);
        const rate = learningRateAt(step, totalSteps, lr, schedule);
        // Let timers (progress bar redraws) and I/O run between steps.
        await new Promise((resolve) => setImmediate(resolve));
        let lossValue: number;
        let hitValue: number;
        if (pool) {
          const r = await pool.gradients(
            buf.slice(0, n * h * w * c),
            [n, h, w, c],
            labelBuf.slice(0, n),
            classes,
            adv ?? null,
            rng.int(),
          );
          flatAdam.step(flatWeights, r.grads, rate);
          await pool.setWeights(flatWeights);
          lossValue = r.loss;
          hitValue = r.hits;
        } else if (fused) {
          let images: Float32Array = buf.subarray(0, n * h * w * c);
          if (adv) {
            const xAdv = tf.tidy(() =>
              adversarialBatch(
                attackModel,
                tf.tensor4d(images, [n, h, w, c]),
                labelBuf.subarray(0, n),
                adv,
                rng,
              ),
            );
            images = xAdv.dataSync() as Float32Array;
            xAdv.dispose();
          }
          const r = fused.run(images, [n, h, w, c], labelBuf.subarray(0, n), fusedGrads, 1 / n);
          flatAdam.step(flatWeights, fusedGrads, rate);
          fused.setWeights(flatWeights);
          if (adv) syncModel();
          lossValue = r.loss;
          hitValue = r.hits;
        } else {
          const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
          const [loss, ok, ...grads] = tf.tidy(() => {
            const x = tf.tensor4d(buf.subarray(0, n * h * w * c), [n, h, w, c]);
            const labels = tf.tensor1d(labelBuf.subarray(0, n), "int32");
            const y = tf.oneHot(labels, classes) as tf.Tensor2D;
            const xTrain = adv ? adversarialBatch(attackModel, x, labelBuf.subarray(0, n), adv, rng) : x;
            let hits: tf.Scalar | undefined;
            const r = tf.variableGrads(() => {
              // Weight gradients only: the first conv's input gradient is pruned (see weight-grad-forward.ts).
              const z = applyForWeightGradients(model, xTrain) as tf.Tensor2D;
              hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), "float32")) as tf.Scalar);
              return tf.losses.softmaxCrossEntropy(y, z) as tf.Scalar;
            }, vars);
            return [r.value, hits!, ...vars.map((v) => r.grads[v.name]!)];
          });
          flatAdam.step(
            flatWeights,
            grads.map((g) => g!.dataSync() as Float32Array),
            rate,
          );
          syncModel();
          lossValue = loss!.dataSync()[0]!;
          hitValue = ok!.dataSync()[0]!;
          tf.dispose([loss!, ok!, ...grads.map((g) => g!)]);
        }
        if (!Number.isFinite(lossValue)) {
          throw new GradoptError(
            "E_SOLVER",
            `train: loss became ${lossValue} at epoch ${epoch}, step ${b + 1} (lr ${rate.toExponential(2)}); lower --lr`,
          );
        }
        lossSum += lossValue * n;
        correct += hitValue;
        seen += n;
        options.onBatch?.({
          epoch,
          step: b + 1,
          stepsPerEpoch,
          loss: lossSum / seen,
          accuracy: correct / seen,
          lr: rate,
        });
      }
      if (pool || (fused && !adv)) syncModel();
      const v = val ? evaluateLoss(inference, val) : null;
      const seconds = (performance.now() - te) / 1000;
      const summary: EpochSummary = {
        epoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        valLoss: v?.loss ?? null,
        valAccuracy: v?.accuracy ?? null,
        seconds,
        imagesPerSecond: seen / seconds,
      };
      history.push(summary);
      options.onEpoch?.(summary);
      if (options.out)
        await saveClassifier(model, options.out, {
          ...options.metadata,
          classNames: data.classNames,
          history,
        });
    }
  } finally {
    fused?.dispose();
    await pool?.close();
  }
  return {
    model,
    history,
    steps: step,
    trainExamples: trainIdx.length,
    validationExamples: valCount,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Saves a classifier as TensorFlow.js files, with gradopt's metadata (`userDefinedMetadata.gradopt`): the output is
 * logits, inputs are [0, 1] NHWC, class names, plus whatever the caller adds (training command, accuracy, ...).
 */
export async function saveClassifier(
  model: tf.LayersModel,
  dir: string,
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const inputShape = model.inputs[0]!.shape.slice(1);
  model.setUserDefinedMetadata({
    gradopt: { output: "logits", inputRange: [0, 1], inputShape, ...metadata },
  });
  await model.save(fileIOHandler(dir));
}

/** Loads a model saved by saveClassifier (or any TensorFlow.js layers model in a directory). */
export async function loadClassifier(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileIOHandler(dir));
}
