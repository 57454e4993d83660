/**
 * The seed article's middle picture: sign(d cross-entropy(true label) / d x), the FGSM direction, shown as an image
 * (-1 -> 0, 0 -> 0.5, +1 -> 1, i.e. black / grey / white per channel). Zero-gradient pixels are grey.
 */
import * as tf from "@tensorflow/tfjs";
import { crossEntropy, lossAndGradient } from "../loss.js";
import type { TfjsClassifier } from "../model.js";

/** sign of the input gradient of the cross-entropy at `labels`, mapped to [0, 1]: (sign + 1) / 2. Same shape as x. */
export function signedGradientImage(model: TfjsClassifier, x: tf.Tensor, labels: Int32Array): tf.Tensor {
  return tf.tidy(() => {
    const { grad } = lossAndGradient(model, x, (logits) => crossEntropy(logits, labels));
    return tf.div(tf.add(tf.sign(grad), 1), 2);
  });
}
