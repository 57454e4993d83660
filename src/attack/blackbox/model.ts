/**
 * The black-box view of a classifier: a function from a batch of images to class scores (probabilities, or logits
 * where the owner exposes them) — no tfjs model, no gradients. The wrapper owns the bounds and the per-sample shape,
 * batches large queries, checks the output, and counts every image it is asked about (`queries`), so the attacks'
 * reported query counts can be checked against the calls made.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError, assertArg } from "../../errors.js";
import type { TfjsClassifier } from "../model.js";

/** x: n images, each `inputSize` floats in the model's layout (NHWC for images); returns n·numClasses scores. */
export type PredictFn = (x: Float32Array, n: number) => ArrayLike<number> | Promise<ArrayLike<number>>;

export interface PredictModelOptions {
  /** Per-sample shape, e.g. [28, 28, 1] (height, width, channels for the square attack). */
  inputShape: readonly number[];
  numClasses: number;
  /** Valid input range (default [0, 1]). */
  bounds?: readonly [number, number];
  /** What predict returns (default "probabilities"). */
  output?: "probabilities" | "logits";
  /** Largest batch handed to predict at once (default 256). */
  batchSize?: number;
}

export interface BlackBoxModel {
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly numClasses: number;
  readonly bounds: readonly [number, number];
  readonly output: "probabilities" | "logits";
  /** Images queried so far, and predict calls made. */
  queries: number;
  calls: number;
  /** Scores [n·numClasses] of n images; counts n queries. */
  scores(x: Float32Array, n: number): Promise<Float32Array>;
}

/** Wraps any predict function as a black-box model. */
export function predictModel(predict: PredictFn, options: PredictModelOptions): BlackBoxModel {
  const inputShape = [...options.inputShape];
  assertArg(
    inputShape.length > 0 && inputShape.every((d) => Number.isInteger(d) && d > 0),
    () => `predictModel: inputShape must be positive integers, got [${inputShape.join(", ")}]`,
  );
  const numClasses = options.numClasses;
  assertArg(
    Number.isInteger(numClasses) && numClasses >= 2,
    () => `predictModel: numClasses must be an integer >= 2, got ${numClasses}`,
  );
  const bounds = options.bounds ?? [0, 1];
  assertArg(
    bounds[0] < bounds[1],
    () => `predictModel: bounds must be [lower, upper] with lower < upper, got [${bounds.join(", ")}]`,
  );
  const batchSize = options.batchSize ?? 256;
  assertArg(
    Number.isInteger(batchSize) && batchSize > 0,
    () => `predictModel: batchSize must be a positive integer, got ${batchSize}`,
  );
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  const model: BlackBoxModel = {
    inputShape,
    inputSize,
    numClasses,
    bounds: [bounds[0], bounds[1]],
    output: options.output ?? "probabilities",
    queries: 0,
    calls: 0,
    async scores(x, n) {
      assertArg(
        x.length === n * inputSize,
        () => `predictModel: ${x.length} values for ${n} inputs of size ${inputSize}`,
      );
      const out = new Float32Array(n * numClasses);
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        const part = x.subarray(start * inputSize, (start + m) * inputSize);
        const y = await predict(part, m);
        model.calls++;
        model.queries += m;
        if (y.length !== m * numClasses) {
          throw new GradoptError(
            "E_ARG",
            `predictModel: predict returned ${y.length} values for ${m} inputs, expected ${m * numClasses}`,
          );
        }
        out.set(y, start * numClasses);
      }
      return out;
    },
  };
  return model;
}

/** A TfjsClassifier seen only through its output probabilities (or logits with `output: "logits"`). */
export function classifierAsBlackBox(
  classifier: TfjsClassifier,
  options: { output?: "probabilities" | "logits"; batchSize?: number } = {},
): BlackBoxModel {
  const shape = classifier.inputShape;
  assertArg(
    shape.length > 0 && shape.every((d) => d > 0),
    () => `classifierAsBlackBox: the model's input shape [${shape.join(", ")}] is not fixed`,
  );
  const output = options.output ?? "probabilities";
  const predict: PredictFn = (x, n) =>
    tf.tidy(() => {
      const logits = classifier.logitsBatched(tf.tensor(x, [n, ...shape]));
      return (output === "logits" ? logits : tf.softmax(logits)).dataSync() as Float32Array;
    });
  return predictModel(predict, {
    inputShape: shape,
    numClasses: classifier.numClasses,
    bounds: classifier.bounds,
    output,
    batchSize: options.batchSize ?? classifier.batchSize,
  });
}

/**
 * Margin of each row: s_y − max_{j≠y} s_j on logits, on log-probabilities for probability outputs (the same number
 * up to float32 saturation: log-softmax shifts every logit by one constant). Negative = misclassified.
 */
export function margins(
  model: BlackBoxModel,
  scores: Float32Array,
  labels: ArrayLike<number>,
  rows: ArrayLike<number>,
  out: Float64Array,
): void {
  const k = model.numClasses;
  const logp = model.output === "probabilities";
  for (let r = 0; r < rows.length; r++) {
    const y = labels[rows[r]!]!;
    let own = -Infinity;
    let other = -Infinity;
    for (let j = 0; j < k; j++) {
      const raw = scores[r * k + j]!;
      const s = logp ? Math.log(Math.max(raw, 1e-30)) : raw;
      if (j === y) own = s;
      else if (s > other) other = s;
    }
    out[r] = Number.isFinite(own) || Number.isFinite(other) ? own - other : NaN;
  }
}

/** Top-1 label of each row. */
export function topLabels(scores: Float32Array, numClasses: number, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if (scores[r * numClasses + j]! > scores[r * numClasses + best]!) best = j;
    out[r] = best;
  }
  return out;
}
