import type { VectorOps } from "../vectorOps.js";
import { defaultOps, EMPTY_STATE, type EmptyState, type Transform } from "./types.js";

/** u ← u / ||u||_2 (left unchanged when u = 0): the steepest-ascent direction of L2 attacks. */
export function normalizeByL2<V = Float64Array>(ops?: VectorOps<V>): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update(u, s) {
      const n = o.norm2(u);
      return [n > 0 ? o.scale(u, 1 / n, u) : u, s];
    },
  };
}
