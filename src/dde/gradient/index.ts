/**
 * Exact gradients through delay differential equations: costs over a solution, forward sensitivities, the adjoint
 * method, and checks of a user's own gradient formula.
 *
 * @example
 * const { cost, gradient, names } = costGradient(problem, [{ kind: "terminal", g }], { wrt: ["r", "tau"] });
 */
export type { Cost, CostTerm, PointFunction, UserGradient } from "./cost-types.js";
export { evaluateCost, residualList, type Residual } from "./cost.js";
export {
  costGradient,
  adjointGradient,
  forwardSensitivities,
  type CostGradientOptions,
  type CostGradientResult,
  type ForwardSensitivities,
  type GradientMethod,
  type OneSided,
} from "./costGradient.js";
export {
  checkUserGradient,
  evaluateUserGradient,
  type CheckOptions,
  type GradientCheckEntry,
  type GradientCheckResult,
} from "./userGradient.js";
export { resolveTargets, type Targets } from "./targets.js";
export { referenceSolve } from "./referenceSolve.js";
export type { SolveFn, ForwardSolveOptions } from "./solver.js";
