/**
 * gradopt/attack/blackbox: attacks that see only a model's outputs. Score-based: Square Attack and SPSA-PGD (L-inf,
 * probabilities or logits); decision-based: HopSkipJump (L2, top label only). A predict-only model wrapper counts every
 * query; runBlackBox reports per-eps robust accuracy with queries per sample; compareWithWhiteBox gives the
 * gradient-masking verdict.
 */
export {
  predictModel,
  classifierAsBlackBox,
  margins,
  topLabels,
  type BlackBoxModel,
  type PredictFn,
  type PredictModelOptions,
} from "./model.js";
export type {
  BlackBoxAttack,
  BlackBoxBatch,
  BlackBoxOutput,
  FixedEpsilonBlackBox,
  MinimizationBlackBox,
} from "./base.js";
export { squareAttack, squareSchedule, type SquareAttackOptions } from "./square.js";
export {
  runBlackBox,
  queryStats,
  medianHistory,
  type BlackBoxRunOptions,
  type BlackBoxResult,
  type BlackBoxEpsilonResult,
  type BlackBoxSummary,
  type QueryStats,
} from "./run.js";
export { hopSkipJump, type HopSkipJumpOptions } from "./hopSkipJump.js";
export { spsaAttack, type SpsaAttackOptions } from "./spsa.js";
export { compareWithWhiteBox, type AccuracyAt, type BlackWhiteComparison } from "./compare.js";
