import { chain, type ChainState } from "../transforms/chain.js";
import { scaleByAdam, type AdamOptions } from "../transforms/scaleByAdam.js";
import { scaleByLearningRate } from "../transforms/scaleByLearningRate.js";
import type { ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";

/** Adam = chain(scaleByAdam, scaleByLearningRate). */
export function adam<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: AdamOptions = {},
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  return chain<V>(scaleByAdam(options, ops), scaleByLearningRate(learningRate, {}, ops));
}
