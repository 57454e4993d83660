/** The forward solver the gradient code calls by default (injectable through the `solver` option for tests/peers). */
import type { SolveOptions } from "../options.js";
import { solve } from "../solve.js";
import type { DDEProblem, DDESolution } from "../types.js";

export interface ForwardSolveOptions extends SolveOptions {
  rtol: number;
  atol: number;
}

export type SolveFn = (problem: DDEProblem, options: ForwardSolveOptions) => DDESolution;

/** gradopt's solver with full dense output (the gradient solves read the forward solution anywhere in the span). */
export const defaultSolve: SolveFn = (problem, options) => solve(problem, { ...options, dense: "full" });
