/**
 * Adversarial examples for adversarial training, L-infinity ball around x intersected with [0, 1], built from the
 * attack module's PGD steps (src/attack/gradient-descent.ts), so training and evaluation attack with the same code:
 * its uniform random start, the input gradient of the per-sample cross-entropy on logits with the TRUE labels (no
 * label leaking), its projected L-inf sign step (linfSignStep: sign, step size, projection onto the eps-ball and the
 * bounds; one fused kernel on wasm SIMD).
 * - "fgsm-rs": one step of 1.25 eps from the random start ("fast" adversarial training, Wong, Rice & Kolter 2020,
 *   arXiv:2001.03994).
 * - "pgd": `steps` steps of `stepSize` (default 2.5 eps / steps) from the random start (Madry et al. 2018,
 *   arXiv:1706.06083).
 * Unlike the attack driver (src/attack/run.ts) there is no early stopping and no restart: training wants the last
 * iterate of every input, and no extra forward pass to check which inputs are already adversarial.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import { misclassification } from "../attack/criteria.js";
import { randomStart, resolveOptions } from "../attack/gradient-descent.js";
import { linfSignStep } from "../attack/linf-step.js";
import { adversarialGradient } from "../attack/loss.js";
import { TfjsClassifier } from "../attack/model.js";
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

/** Inference-mode logits of a batch (what the training loop and the model workers hand in). */
export type Logits = (x: tf.Tensor4D) => tf.Tensor2D;

/** The attack module's view of a logits function: inputs in [0, 1], no preprocessing, logits out. */
function asClassifier(model: TfjsClassifier | Logits, x: tf.Tensor, classes: number): TfjsClassifier {
  if (model instanceof TfjsClassifier) return model;
  return new TfjsClassifier((xx) => model(xx as tf.Tensor4D), {
    inputShape: x.shape.slice(1),
    numClasses: classes,
    outputKind: "logits",
  });
}

/** Class indices from one-hot rows, or the indices themselves. */
function classIndices(labels: tf.Tensor2D | Int32Array): Int32Array {
  if (labels instanceof Int32Array) return labels;
  return tf.tidy(() => tf.argMax(labels, 1)).dataSync() as Int32Array;
}

/**
 * Builds the adversarial batch for `x` (labels one-hot [n, classes] or class indices); the result is a new tensor,
 * intermediates are freed. The random start is seeded from `rng`, so a seeded run is reproducible. `model` may be a
 * TfjsClassifier (e.g. TfjsClassifier.fromModel(model, { output: "logits" }), whose gradient fast path skips weight
 * gradients) or a plain logits function.
 */
export function adversarialBatch(
  model: TfjsClassifier | Logits,
  x: tf.Tensor4D,
  labels: tf.Tensor2D | Int32Array,
  config: AdversarialConfig,
  rng: Rng,
): tf.Tensor4D {
  const { eps } = config;
  assertArg(eps > 0 && Number.isFinite(eps), () => `adversarial training: eps must be > 0, got ${eps}`);
  const fgsmRs = config.method === "fgsm-rs";
  const o = resolveOptions(
    config.method,
    "linf",
    {
      steps: fgsmRs ? 1 : config.steps,
      ...(config.stepSize === undefined ? {} : { absStepsize: config.stepSize }),
      randomStart: true,
      earlyStop: false,
    },
    { steps: 7, relStepsize: fgsmRs ? 1.25 : 2.5 / (config.steps ?? 7), randomStart: true },
  );
  const stepSize = o.absStepsize ?? o.relStepsize * eps;
  const classes = labels instanceof Int32Array ? 0 : labels.shape[1];
  const classifier = asClassifier(model, x, classes);
  const criterion = misclassification(classIndices(labels));
  const [lo, hi] = classifier.bounds;
  let xAdv = randomStart(x, eps, "linf", classifier.bounds, rng.int());
  for (let i = 0; i < o.steps; i++) {
    // The attack module's projected sign step (its update transform + projection, one fused kernel on wasm SIMD;
    // the same float32 values either way).
    const next = tf.tidy(() => {
      const { grad } = adversarialGradient(classifier, xAdv, criterion);
      return linfSignStep(xAdv, grad, x, stepSize, eps, lo, hi);
    });
    xAdv.dispose();
    xAdv = next;
  }
  return xAdv as tf.Tensor4D;
}
