import { chain } from "../transforms/chain.js";
import { scaleByLearningRate } from "../transforms/scaleByLearningRate.js";
import { trace } from "../transforms/trace.js";
import type { ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";
import type { ChainState } from "../transforms/chain.js";

/** Gradient descent: u = −lr · g, with optional (Nesterov) momentum. */
export function sgd<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: { momentum?: number; nesterov?: boolean } = {},
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  const { momentum, nesterov = false } = options;
  return momentum
    ? chain<V>(trace({ decay: momentum, nesterov }, ops), scaleByLearningRate(learningRate, {}, ops))
    : chain<V>(scaleByLearningRate(learningRate, {}, ops));
}
