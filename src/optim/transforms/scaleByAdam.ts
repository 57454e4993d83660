import type { VectorOps } from "../vectorOps.js";
import { defaultOps, type Transform } from "./types.js";

export interface ScaleByAdamState<V = Float64Array> {
  readonly count: number;
  readonly mu: V;
  readonly nu: V;
}

export interface AdamOptions {
  b1?: number; // 0.9
  b2?: number; // 0.999
  eps?: number; // 1e-8
}

/**
 * Adam's preconditioning: m ← b1 m + (1 − b1) u; v ← b2 v + (1 − b2) u²; k ← k + 1;
 * u ← m̂ / (sqrt(v̂) + eps) with the bias corrections m̂ = m / (1 − b1^k), v̂ = v / (1 − b2^k).
 * @see Kingma, Ba (2015), Adam: a method for stochastic optimization.
 */
export function scaleByAdam<V = Float64Array>(
  options: AdamOptions = {},
  ops?: VectorOps<V>,
): Transform<ScaleByAdamState<V>, V> {
  const o = defaultOps(ops);
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = options;
  return {
    init: (p) => ({ count: 0, mu: o.zerosLike(p), nu: o.zerosLike(p) }),
    update(u, s) {
      const count = s.count + 1;
      const mu = o.axpby(b1, s.mu, 1 - b1, u, s.mu);
      const nu = o.axpbySquare(b2, s.nu, 1 - b2, u, s.nu);
      const out = o.rsqrtScale(mu, nu, 1 / (1 - b1 ** count), 1 / (1 - b2 ** count), eps, u);
      return [out, { count, mu, nu }];
    },
  };
}
