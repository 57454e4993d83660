import type { VectorOps } from "../vectorOps.js";
import { defaultOps, EMPTY_STATE, type EmptyState, type Transform } from "./types.js";

/** u ← u · min(1, maxNorm / ||u||_2): rescales updates whose L2 norm exceeds maxNorm, keeping their direction. */
export function clipByGlobalNorm<V = Float64Array>(
  maxNorm: number,
  ops?: VectorOps<V>,
): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update(u, s) {
      const n = o.norm2(u);
      return [n > maxNorm ? o.scale(u, maxNorm / n, u) : u, s];
    },
  };
}

/** u ← clamp(u, −maxDelta, maxDelta) elementwise (Optax's `clip`). */
export function clip<V = Float64Array>(maxDelta: number, ops?: VectorOps<V>): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update: (u, s) => [o.clamp(u, -maxDelta, maxDelta, u), s],
  };
}
