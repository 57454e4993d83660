import { GradoptError } from "../../errors.js";
import type { VectorOps } from "../vectorOps.js";
import { defaultOps, EMPTY_STATE, type EmptyState, type Transform } from "./types.js";

/** u ← u + weightDecay · params: decoupled weight decay (AdamW), placed before the learning rate. */
export function addDecayedWeights<V = Float64Array>(
  weightDecay: number,
  ops?: VectorOps<V>,
): Transform<EmptyState, V> {
  const o = defaultOps(ops);
  return {
    init: () => EMPTY_STATE,
    update(u, s, params) {
      if (params === undefined)
        throw new GradoptError("E_ARG", "addDecayedWeights.update: params are required");
      return [o.axpby(1, u, weightDecay, params, u), s];
    },
  };
}
