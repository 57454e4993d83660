/**
 * gradopt/optim: composable first-order transforms (Optax style), projections, and the minimisers.
 * Transforms and projections are generic over `VectorOps<V>`; `float64Ops` is the Float64Array implementation.
 */
export { type VectorOps, float64Ops } from "./vectorOps.js";
export * from "./transforms/index.js";
export * from "./aliases/index.js";
export * from "./schedules.js";
export * from "./projections.js";
export { minimize, METHOD_NAMES, type MethodName, type MinimizeOptions } from "./minimize.js";
export { lbfgs, type LbfgsOptions } from "./lbfgs.js";
export { lbfgsb, type LbfgsbOptions } from "./lbfgsb.js";
export { gradientDescent, type GradientDescentOptions } from "./gd.js";
export { runTransform, type FirstOrderOptions } from "./firstOrder.js";
export { checkGradient, type CheckGradientOptions, type CheckGradientResult } from "./gradcheck.js";
export { type Bounds, type BoundSpec, projectedGradientNorm } from "./bounds.js";
export { type ObjectiveFn } from "./objective.js";
export {
  moreThuente,
  type LinePoint,
  type LineSearchResult,
  type LineSearchStatus,
  type MoreThuenteOptions,
} from "./linesearch/moreThuente.js";
export {
  isConverged,
  type OptimStatus,
  type OptimResult,
  type TraceEntry,
  type IterationCallback,
  type CommonOptions,
} from "./status.js";
export * from "./estimators/index.js";
