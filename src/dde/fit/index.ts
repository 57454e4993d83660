/**
 * Fitting DDE models: exact-gradient quasi-Newton and first-order optimisers, Levenberg-Marquardt on the forward
 * sensitivities for least squares, seeded multi-start, the user's own gradient formula, and continuous gradient flow.
 */
export {
  fitModel,
  type FitBounds,
  type FitOptimizer,
  type FitOptions,
  type FitProgress,
  type FitResult,
  type FitStart,
} from "./fit.js";
export { gradientFlow, type GradientFlowOptions, type GradientFlowResult } from "./gradientFlow.js";
export {
  levenbergMarquardt,
  type LMOptions,
  type LMResult,
  type ResidualFn,
  type Residuals,
} from "./levenbergMarquardt.js";
