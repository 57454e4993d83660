/**
 * The reverse step of the seed article (TensorFlow's FGSM tutorial): x - eps * sign(grad of the TRUE class's loss),
 * which raises the model's confidence in the true class. It is FGSM aimed at the true label: the driver gives it a
 * "classified as the true label" criterion, so its success rate is the fraction classified correctly afterwards.
 */
import type { Attack } from "./base.js";
import { singleStepAttack } from "./fgsm.js";

export function reverseStep(): Attack {
  return { ...singleStepAttack("reverse-fgsm", "linf"), reverse: true };
}
