import { addDecayedWeights } from "../transforms/addDecayedWeights.js";
import { chain, type ChainState } from "../transforms/chain.js";
import { scaleByAdam, type AdamOptions } from "../transforms/scaleByAdam.js";
import { scaleByLearningRate } from "../transforms/scaleByLearningRate.js";
import type { ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";

/**
 * AdamW = chain(scaleByAdam, addDecayedWeights, scaleByLearningRate): weight decay decoupled from the gradient
 * (Loshchilov & Hutter 2019). `weightDecay` defaults to 1e-4 as Optax.
 */
export function adamw<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: AdamOptions & { weightDecay?: number } = {},
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  return chain<V>(
    scaleByAdam(options, ops),
    addDecayedWeights(options.weightDecay ?? 1e-4, ops),
    scaleByLearningRate(learningRate, {}, ops),
  );
}
