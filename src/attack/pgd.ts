/**
 * PGD (Projected Gradient Descent) in L-inf or L2: a uniformly random start in the eps-ball, then `steps` projected
 * steps (L-inf: sign of the gradient; L2: the L2-normalised gradient), with per-sample best-of-N restarts.
 * Default 40 steps of 2.5 * eps / steps (Madry et al.'s ratio), one restart.
 * @see Madry, Makelov, Schmidt, Tsipras, Vladu (2018), Towards deep learning models resistant to adversarial attacks.
 */
import type { FixedEpsilonAttack } from "./base.js";
import type { Distance } from "./distances.js";
import { gradientDescentAttack, resolveOptions, type GradientDescentOptions } from "./gradient-descent.js";

export function pgd(options: GradientDescentOptions & { distance?: Distance } = {}): FixedEpsilonAttack {
  const steps = options.steps ?? 40;
  const distance = options.distance ?? "linf";
  return gradientDescentAttack(
    resolveOptions(distance === "linf" ? "pgd" : "l2-pgd", distance, options, {
      steps,
      relStepsize: 2.5 / steps,
      randomStart: true,
    }),
  );
}

/** PGD in L-inf (the default). */
export const linfPgd = (options: GradientDescentOptions = {}): FixedEpsilonAttack =>
  pgd({ ...options, distance: "linf" });

/** PGD in L2. */
export const l2Pgd = (options: GradientDescentOptions = {}): FixedEpsilonAttack =>
  pgd({ ...options, distance: "l2" });
