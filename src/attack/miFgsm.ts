/**
 * MI-FGSM (momentum iterative FGSM): g <- mu * g + grad / ||grad||_1 (per sample), x <- x + alpha * sign(g), projected.
 * The momentum is the optimiser core's `trace` transform over tensors. Default 10 steps, alpha = eps / steps, mu = 1.
 * @see Dong et al. (2018), Boosting adversarial attacks with momentum.
 */
import type { FixedEpsilonAttack } from "./base.js";
import { gradientDescentAttack, resolveOptions, type GradientDescentOptions } from "./gradient-descent.js";

export function miFgsm(options: GradientDescentOptions = {}): FixedEpsilonAttack {
  const steps = options.steps ?? 10;
  return gradientDescentAttack(
    resolveOptions(
      "mifgsm",
      "linf",
      { ...options, momentum: options.momentum ?? 1 },
      { steps, relStepsize: 1 / steps, randomStart: false },
    ),
  );
}
