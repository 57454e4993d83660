/** Batched inference and accuracy (clean and under attack) for a logits classifier. */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/index.js";
import { adversarialBatch, type AdversarialConfig, type Logits } from "./adversarial.js";
import { mulberry32 } from "./rng.js";

/** A slice of a dataset's images as a [n, h, w, c] tensor (copied from the Float32Array). */
export function imageBatch(data: Pick<Dataset, "images" | "shape">, start: number, end: number): tf.Tensor4D {
  const [, h, w, c] = data.shape;
  const per = h * w * c;
  return tf.tensor4d(data.images.subarray(start * per, end * per), [end - start, h, w, c]);
}

/** Predicted classes (argmax of the logits) for every image, in batches. */
export function predictClasses(
  logits: Logits,
  data: Pick<Dataset, "images" | "shape">,
  batchSize = 256,
): Int32Array {
  const n = data.shape[0];
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const pred = tf.tidy(() => tf.argMax(logits(imageBatch(data, start, end)), 1));
    out.set(pred.dataSync() as Int32Array, start);
    pred.dispose();
  }
  return out;
}

export function accuracy(pred: Int32Array, labels: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return pred.length === 0 ? NaN : ok / pred.length;
}

/** Mean softmax cross-entropy and accuracy over a dataset (inference mode). */
export function evaluateLoss(
  logits: Logits,
  data: Dataset,
  batchSize = 256,
): { loss: number; accuracy: number } {
  const n = data.shape[0];
  const classes = data.classNames.length;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const [loss, ok] = tf.tidy(() => {
      const labels = tf.tensor1d(data.labels.subarray(start, end), "int32");
      const z = logits(imageBatch(data, start, end));
      const l = tf.losses.softmaxCrossEntropy(
        tf.oneHot(labels, classes),
        z,
        undefined,
        undefined,
        tf.Reduction.SUM,
      );
      const c = tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), "float32"));
      return [l, c];
    });
    lossSum += loss.dataSync()[0]!;
    correct += ok.dataSync()[0]!;
    loss.dispose();
    ok.dispose();
  }
  return { loss: lossSum / n, accuracy: correct / n };
}

/**
 * Accuracy on adversarial examples (an example counts only if the attacked input is still classified as its TRUE
 * label). Seeded random starts; yields to the event loop between batches (long attacks must not starve timers).
 */
export async function robustAccuracy(
  logits: Logits,
  data: Dataset,
  attack: AdversarialConfig,
  options: { batchSize?: number; seed?: number } = {},
): Promise<number> {
  const { batchSize = 50, seed = 1 } = options;
  const rng = mulberry32(seed);
  const n = data.shape[0];
  const classes = data.classNames.length;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const ok = tf.tidy(() => {
      const labels = tf.tensor1d(data.labels.subarray(start, end), "int32");
      const xAdv = adversarialBatch(
        logits,
        imageBatch(data, start, end),
        tf.oneHot(labels, classes) as tf.Tensor2D,
        attack,
        rng,
      );
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits(xAdv), 1), labels), "float32"));
    });
    correct += ok.dataSync()[0]!;
    ok.dispose();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return correct / n;
}
