import { chain, type ChainState } from "../transforms/chain.js";
import { scaleByLearningRate } from "../transforms/scaleByLearningRate.js";
import { scaleBySign } from "../transforms/scaleBySign.js";
import type { ScalarOrSchedule, Transform } from "../transforms/types.js";
import type { VectorOps } from "../vectorOps.js";

/**
 * signSgd = chain(scaleBySign, scaleByLearningRate): u = −lr · sign(g). Maximising a loss with it (and projecting
 * onto an L-inf ball) is BIM/PGD; one step of size eps is FGSM.
 */
export function signSgd<V = Float64Array>(
  learningRate: ScalarOrSchedule,
  ops?: VectorOps<V>,
): Transform<ChainState, V> {
  return chain<V>(scaleBySign(ops), scaleByLearningRate(learningRate, {}, ops));
}
