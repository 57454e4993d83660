/**
 * When is an input adversarial (Foolbox's criteria, plus top-k): the model misclassifies it (true label not the
 * top-1), predicts a chosen target class, or the true label leaves the top k. Labels are always the TRUE labels
 * (or targets), never the model's own predictions, so nothing leaks.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";

export type CriterionKind = "misclassification" | "targeted" | "top-k";

export interface Criterion {
  readonly kind: CriterionKind;
  /** True labels (misclassification, top-k) or target classes (targeted), one per input. */
  readonly labels: Int32Array;
  /** For top-k: adversarial when the true label is not among the k largest logits. */
  readonly k: number;
  /** The criterion restricted to inputs [start, end). */
  slice(start: number, end: number): Criterion;
  /** The same criterion over other labels (e.g. a subset of the inputs). */
  withLabels(labels: Int32Array): Criterion;
  /** A bool [n] tensor: which rows of `logits` are adversarial. Non-finite logits are never adversarial. */
  isAdversarial(logits: tf.Tensor2D): tf.Tensor1D;
}

function make(kind: CriterionKind, labels: Int32Array, k: number): Criterion {
  return {
    kind,
    labels,
    k,
    slice: (start, end) => make(kind, labels.subarray(start, end), k),
    withLabels: (other) => make(kind, other, k),
    isAdversarial(logits) {
      return tf.tidy(() => {
        assertArg(
          logits.shape[0] === labels.length,
          () => `criterion: ${labels.length} labels for ${logits.shape[0]} inputs`,
        );
        const lab = tf.tensor1d(labels, "int32");
        const finite = tf.all(tf.isFinite(logits), 1);
        let hit: tf.Tensor;
        if (kind === "targeted") hit = tf.equal(tf.argMax(logits, 1), lab);
        else if (kind === "misclassification") hit = tf.notEqual(tf.argMax(logits, 1), lab);
        else {
          // The true label is outside the top k when at least k classes have a strictly larger logit.
          const own = tf.sum(tf.mul(logits, tf.oneHot(lab, logits.shape[1]!)), 1, true);
          const larger = tf.sum(tf.cast(tf.greater(logits, own), "int32"), 1);
          hit = tf.greaterEqual(larger, k);
        }
        return tf.logicalAnd(hit, finite) as tf.Tensor1D;
      });
    },
  };
}

function toLabels(labels: ArrayLike<number>, name: string): Int32Array {
  const out = Int32Array.from(labels);
  for (let i = 0; i < out.length; i++)
    assertArg(
      out[i]! >= 0 && out[i] === labels[i],
      () => `${name}: label ${i} is ${labels[i]}, not a class index`,
    );
  return out;
}

/** Adversarial when the predicted class differs from the true label. */
export function misclassification(labels: ArrayLike<number>): Criterion {
  return make("misclassification", toLabels(labels, "misclassification"), 1);
}

/** Adversarial when the predicted class is the target (one per input, or one for all). */
export function targetedMisclassification(targets: ArrayLike<number> | number, n?: number): Criterion {
  if (typeof targets === "number") {
    assertArg(
      n !== undefined && n > 0,
      () => "targetedMisclassification: give the number of inputs with a single target",
    );
    return make("targeted", toLabels(new Array<number>(n).fill(targets), "targetedMisclassification"), 1);
  }
  return make("targeted", toLabels(targets, "targetedMisclassification"), 1);
}

/** Adversarial when the true label is not among the k most likely classes. */
export function topKMisclassification(labels: ArrayLike<number>, k: number): Criterion {
  assertArg(
    Number.isInteger(k) && k >= 1,
    () => `topKMisclassification: k must be a positive integer, got ${k}`,
  );
  return make("top-k", toLabels(labels, "topKMisclassification"), k);
}
