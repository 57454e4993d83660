import { GradoptError } from "../../errors.js";
import type { AnyTransform, Transform } from "./types.js";

/** State of a chain: one state per transform, in order. */
export type ChainState = readonly unknown[];

/**
 * Composes transforms: each one's outgoing updates are the next one's incoming updates (Optax's `chain`).
 * @example const adam = chain(scaleByAdam(), scaleByLearningRate(1e-3));
 */
export function chain<V = Float64Array>(...transforms: AnyTransform<V>[]): Transform<ChainState, V> {
  return {
    init: (p) => transforms.map((t) => t.init(p) as unknown),
    update(u, state, params) {
      if (state.length !== transforms.length) {
        throw new GradoptError(
          "E_ARG",
          `chain.update: state has ${state.length} entries but the chain has ${transforms.length} transforms`,
        );
      }
      const next: unknown[] = new Array(transforms.length);
      let out = u;
      for (let i = 0; i < transforms.length; i++) {
        const [o, s] = transforms[i]!.update(out, state[i], params) as [V, unknown];
        out = o;
        next[i] = s;
      }
      return [out, next];
    },
  };
}
