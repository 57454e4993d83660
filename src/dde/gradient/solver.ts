/** The forward solver the gradient code calls by default (injectable through the `solver` option for tests/peers). */
import type { DDEProblem, DDESolution } from "../types.js";
import { referenceSolve } from "./referenceSolve.js";

export interface ForwardSolveOptions {
  rtol: number;
  atol: number;
  [option: string]: unknown;
}

export type SolveFn = (problem: DDEProblem, options: ForwardSolveOptions) => DDESolution;

export const defaultSolve: SolveFn = (problem, options) => referenceSolve(problem, options);
