/** Gradient estimation from function values alone (SPSA, antithetic random directions) and the fg adapter for the minimisers. */
export {
  gradientEstimator,
  spsaGradient,
  nesGradient,
  type GradientEstimator,
  type GradientEstimatorOptions,
  type EstimatorKind,
} from "./estimate.js";
export { estimatedObjective, type EstimatedObjective, type EstimatedObjectiveOptions } from "./objective.js";
export { seededUniform, fillRademacher, fillGaussian, type Uniform } from "./rng.js";
