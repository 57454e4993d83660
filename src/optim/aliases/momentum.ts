import type { ChainState } from "../transforms/chain.js";
import type { ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";
import { sgd } from "./sgd.js";

/** Heavy-ball momentum (decay 0.9 by default); `nesterov: true` for Nesterov's accelerated form. */
export function momentum<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: { decay?: number; nesterov?: boolean } = {},
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  return sgd(learningRate, { momentum: options.decay ?? 0.9, nesterov: options.nesterov ?? false }, ops);
}
