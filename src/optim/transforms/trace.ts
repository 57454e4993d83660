import type { VectorOps } from "../vectorOps.js";
import { defaultOps, type Transform } from "./types.js";

export interface TraceState<V = Float64Array> {
  readonly trace: V;
}

/**
 * Heavy-ball momentum: t ← u + decay · t; u ← t, or with Nesterov u ← u + decay · t (the look-ahead form used by
 * Optax and PyTorch). As Optax's `trace`.
 * @see Sutskever, Martens, Dahl, Hinton (2013), On the importance of initialization and momentum in deep learning.
 */
export function trace<V = Float64Array>(
  options: { decay: number; nesterov?: boolean },
  ops?: VectorOps<V>,
): Transform<TraceState<V>, V> {
  const o = defaultOps(ops);
  const { decay, nesterov = false } = options;
  return {
    init: (p) => ({ trace: o.zerosLike(p) }),
    update(u, s) {
      const t = o.axpby(decay, s.trace, 1, u, s.trace);
      const out = nesterov ? o.axpby(1, u, decay, t, u) : o.scale(t, 1, u); // copy into the updates buffer, no allocation
      return [out, { trace: t }];
    },
  };
}
