import type { VectorOps } from "../vectorOps.js";
import { defaultOps, EMPTY_STATE, type EmptyState, type Transform } from "./types.js";

/**
 * u ← sign(u). With `scaleByLearningRate(eps)` after it, one step is FGSM (descent) or, maximising, its ascent form.
 * @see Goodfellow, Shlens, Szegedy (2015), Explaining and harnessing adversarial examples.
 */
export function scaleBySign<V = Float64Array>(ops?: VectorOps<V>): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update: (u, s) => [o.sign(u, u), s],
  };
}
