/**
 * Adversarial examples for adversarial training, L-infinity ball around x intersected with [0, 1]:
 * - "fgsm-rs": FGSM from a uniform random start, step 1.25 eps ("fast" adversarial training, Wong, Rice & Kolter 2020,
 *   arXiv:2001.03994).
 * - "pgd": `steps` signed-gradient steps of size `stepSize` (default 2.5 eps / steps) from a random start (Madry et al.
 *   2018, arXiv:1706.06083).
 * The loss is softmax cross-entropy on the model's logits with the TRUE labels (no label leaking).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "./rng.js";

export type AdversarialMethod = "fgsm-rs" | "pgd";

export interface AdversarialConfig {
  method: AdversarialMethod;
  eps: number;
  /** PGD iterations (default 7; FGSM-RS always takes one). */
  steps?: number;
  /** Step size (default 1.25 eps for FGSM-RS, 2.5 eps / steps for PGD). */
  stepSize?: number;
}

export type Logits = (x: tf.Tensor4D) => tf.Tensor2D;

function project(xAdv: tf.Tensor4D, lower: tf.Tensor4D, upper: tf.Tensor4D): tf.Tensor4D {
  return tf.minimum(tf.maximum(xAdv, lower), upper);
}

/** Builds the adversarial batch for `x` (labels one-hot in `y`); the result is a new tensor, intermediates are freed. */
export function adversarialBatch(
  logits: Logits,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  config: AdversarialConfig,
  rng: Rng,
): tf.Tensor4D {
  const { eps } = config;
  const steps = config.method === "fgsm-rs" ? 1 : (config.steps ?? 7);
  const stepSize = config.stepSize ?? (config.method === "fgsm-rs" ? 1.25 * eps : (2.5 * eps) / steps);
  const lossGrad = tf.grad((xx: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits(xx as tf.Tensor4D)));
  return tf.tidy(() => {
    const lower = tf.maximum(tf.sub(x, eps), 0) as tf.Tensor4D;
    const upper = tf.minimum(tf.add(x, eps), 1) as tf.Tensor4D;
    let xAdv = project(
      tf.add(x, tf.randomUniform(x.shape, -eps, eps, "float32", rng.int())) as tf.Tensor4D,
      lower,
      upper,
    );
    for (let i = 0; i < steps; i++) {
      const next = tf.tidy(() =>
        project(tf.add(xAdv, tf.mul(tf.sign(lossGrad(xAdv)), stepSize)) as tf.Tensor4D, lower, upper),
      );
      xAdv.dispose();
      xAdv = next;
    }
    return xAdv;
  });
}
