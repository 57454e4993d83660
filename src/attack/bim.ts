/**
 * BIM (Basic Iterative Method): FGSM repeated with a smaller step, projected after each step, no random start.
 * Default 10 steps of 2 * eps / steps.
 * @see Kurakin, Goodfellow, Bengio (2017), Adversarial examples in the physical world.
 */
import type { FixedEpsilonAttack } from "./base.js";
import type { Distance } from "./distances.js";
import { gradientDescentAttack, resolveOptions, type GradientDescentOptions } from "./gradient-descent.js";

export function bim(options: GradientDescentOptions & { distance?: Distance } = {}): FixedEpsilonAttack {
  const steps = options.steps ?? 10;
  const distance = options.distance ?? "linf";
  return gradientDescentAttack(
    resolveOptions(
      distance === "linf" ? "bim" : "l2-bim",
      distance,
      { ...options, randomStart: options.randomStart ?? false },
      { steps, relStepsize: 2 / steps, randomStart: false },
    ),
  );
}
