/**
 * Losses computed from LOGITS (softmax cross-entropy on logits, never from clipped probabilities: TF.js clips
 * probabilities to [1e-7, 1 - 1e-7], which zeroes the input gradient of confidently classified inputs), and the
 * input gradient every gradient attack takes.
 */
import * as tf from "@tensorflow/tfjs";
import type { Criterion } from "./criteria.js";
import type { TfjsClassifier } from "./model.js";

/** Per-sample softmax cross-entropy of logits [n, c] against integer labels: [n]. */
export function crossEntropy(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), logits.shape[1]!);
    return tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.NONE) as tf.Tensor1D;
  });
}

/**
 * Per-sample margin: the largest other logit minus the label's logit. Positive means the label lost (C&W's f6 uses
 * it for targets with the sign flipped).
 */
export function logitMargin(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), logits.shape[1]!);
    const own = tf.sum(tf.mul(logits, onehot), 1);
    const others = tf.max(tf.sub(logits, tf.mul(onehot, 1e30)), 1);
    return tf.sub(others, own) as tf.Tensor1D;
  });
}

/**
 * The per-sample loss an attack ASCENDS: cross-entropy of the true label (untargeted, top-k), or minus the
 * cross-entropy of the target (targeted).
 */
export function adversarialLoss(logits: tf.Tensor2D, criterion: Criterion): tf.Tensor1D {
  return tf.tidy(() => {
    const ce = crossEntropy(logits, criterion.labels);
    return (criterion.kind === "targeted" ? tf.neg(ce) : ce) as tf.Tensor1D;
  });
}

/**
 * Per-sample losses [n], the logits and the input gradient of sum(loss) in ONE forward/backward pass (the logits let
 * an attack check its criterion without another forward pass). All three are tracked by the caller's tf.tidy scope.
 */
export function lossAndGradient(
  model: TfjsClassifier,
  x: tf.Tensor,
  loss: (logits: tf.Tensor2D) => tf.Tensor1D,
): { loss: tf.Tensor1D; logits: tf.Tensor2D; grad: tf.Tensor } {
  let kept: [tf.Tensor2D, tf.Tensor1D] | undefined;
  const { value, grad } = tf.valueAndGrad((xx: tf.Tensor) => {
    const logits = model.logits(xx);
    const l = loss(logits);
    kept = [tf.keep(logits), tf.keep(l)];
    return tf.sum(l);
  })(x);
  value.dispose();
  // keep() exempts a tensor from every enclosing tidy; hand back clones the caller's scope tracks.
  const [logits, l] = kept!;
  const out = { loss: l.clone(), logits: logits.clone(), grad };
  tf.dispose([logits, l]);
  return out;
}

/** Input gradient of the criterion's adversarial loss (the direction that makes inputs more adversarial). */
export function adversarialGradient(
  model: TfjsClassifier,
  x: tf.Tensor,
  criterion: Criterion,
): { loss: tf.Tensor1D; logits: tf.Tensor2D; grad: tf.Tensor } {
  return lossAndGradient(model, x, (logits) => adversarialLoss(logits, criterion));
}
