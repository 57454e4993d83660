/**
 * Exact gradients through delay differential equations: costs over a solution, forward sensitivities, the adjoint
 * method, and checks of a user's own gradient formula.
 *
 * Coverage: forward sensitivities for every delay kind (constant, time- and state-dependent) with or without neutral
 * terms (neutral.ts); the adjoint for constant (adjoint.ts), time- and state-dependent delays (adjointTimeLags.ts) and
 * for neutral terms with constant delays (adjointNeutral.ts). Jump conditions at every breaking point that moves with a
 * target: a jump at t0, declared jumps in the history or in f, through any delay kind (jumps.ts).
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
