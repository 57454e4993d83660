import type { VectorOps } from "../vectorOps.js";
import { defaultOps, type Transform } from "./types.js";

export interface ScaleByRmsState<V = Float64Array> {
  readonly nu: V;
}

/**
 * RMSProp's preconditioning: v ← decay v + (1 − decay) u²; u ← u / (sqrt(v) + eps). `initialScale` starts v at a
 * constant (Optax's `initial_scale`, 0 by default, as PyTorch).
 * @see Tieleman, Hinton (2012), Lecture 6.5 - RMSProp, COURSERA: Neural networks for machine learning.
 */
export function scaleByRms<V = Float64Array>(
  options: { decay?: number; eps?: number; initialScale?: number } = {},
  ops?: VectorOps<V>,
): Transform<ScaleByRmsState<V>, V> {
  const o = defaultOps(ops);
  const { decay = 0.9, eps = 1e-8, initialScale = 0 } = options;
  return {
    init(p) {
      const z = o.zerosLike(p);
      return { nu: initialScale === 0 ? z : o.clamp(z, initialScale, initialScale, z) }; // a constant vector
    },
    update(u, s) {
      const nu = o.axpbySquare(decay, s.nu, 1 - decay, u, s.nu);
      return [o.rsqrtScale(u, nu, 1, 1, eps, u), { nu }];
    },
  };
}
