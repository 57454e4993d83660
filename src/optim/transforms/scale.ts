import type { VectorOps } from "../vectorOps.js";
import { defaultOps, EMPTY_STATE, type EmptyState, type Transform } from "./types.js";

/** u ← factor · u (no sign flip; see scaleByLearningRate for descent steps). */
export function scale<V = Float64Array>(factor: number, ops?: VectorOps<V>): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update: (u, s) => [o.scale(u, factor, u), s],
  };
}
