import { chain, type ChainState } from "../transforms/chain.js";
import { scaleByLearningRate } from "../transforms/scaleByLearningRate.js";
import { scaleByRms } from "../transforms/scaleByRms.js";
import { trace } from "../transforms/trace.js";
import type { AnyTransform, ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";

/** RMSProp = chain(scaleByRms, [trace], scaleByLearningRate), as Optax. */
export function rmsprop<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  options: {
    decay?: number;
    eps?: number;
    initialScale?: number;
    momentum?: number;
    nesterov?: boolean;
  } = {},
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  const parts: AnyTransform<V>[] = [scaleByRms(options, ops)];
  if (options.momentum)
    parts.push(trace({ decay: options.momentum, nesterov: options.nesterov ?? false }, ops));
  parts.push(scaleByLearningRate(learningRate, {}, ops));
  return chain<V>(...parts);
}
