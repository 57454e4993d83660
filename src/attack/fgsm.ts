/**
 * FGSM (L-inf) and FGM (L2): one step of size eps along sign(gradient) or the L2-normalised gradient, projected to
 * the bounds. The gradient is computed ONCE per batch for all epsilons. Targeted with a targeted criterion (the step
 * then descends the target's cross-entropy), unlike Foolbox's FGSM.
 * @see Goodfellow, Shlens, Szegedy (2015), Explaining and harnessing adversarial examples.
 */
import * as tf from "@tensorflow/tfjs";
import { scaleByLearningRate } from "../optim/index.js";
import { recordGradientStats, type AttackBatch, type FixedEpsilonAttack } from "./base.js";
import { normalizePerSample, projectToBallAndBounds, type Distance } from "./distances.js";
import { linfSignStep } from "./linf-step.js";
import { adversarialGradient } from "./loss.js";
import { tensorOps } from "./tensor-ops.js";

/** One projected step of size eps for every eps, from one gradient. */
export function singleStepAttack(name: string, distance: Distance): FixedEpsilonAttack {
  return {
    kind: "fixed-epsilon",
    name,
    distance,
    iterative: false,
    run(batch: AttackBatch, epsilons: readonly number[]): tf.Tensor[] {
      const { model, x, criterion, stats } = batch;
      const grad = tf.tidy(() => {
        const g = adversarialGradient(model, x, criterion);
        recordGradientStats(stats, g.grad);
        return distance === "l2" ? normalizePerSample(g.grad, "l2") : g.grad;
      });
      stats.gradientEvaluations += 1;
      const [lo, hi] = model.bounds;
      const out = epsilons.map((eps) =>
        tf.tidy(() => {
          // L-inf: sign, step size eps and projection (linf-step.ts: fused on wasm, else the optimiser core's step).
          if (distance === "linf") return linfSignStep(x, grad, x, eps, eps, lo, hi);
          // L2: the optimiser core's step size; ascent, so no sign flip.
          const step = scaleByLearningRate(eps, { flipSign: false }, tensorOps);
          const [u] = step.update(grad, step.init(grad) as never);
          return projectToBallAndBounds(tf.add(x, u), x, eps, "l2", model.bounds);
        }),
      );
      grad.dispose();
      return out;
    },
  };
}

/** Fast Gradient Sign Method: x + eps * sign(grad), the L-inf single step. */
export function fgsm(): FixedEpsilonAttack {
  return singleStepAttack("fgsm", "linf");
}

/** Fast Gradient Method: x + eps * grad / ||grad||_2, the L2 single step. */
export function fgm(): FixedEpsilonAttack {
  return singleStepAttack("fgm", "l2");
}
