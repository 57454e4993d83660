/**
 * The adapter from a value-only objective f(x) to the `fg(x, g)` the minimisers take (minimize, runTransform), with
 * the gradient estimated by SPSA or random directions and a hard query budget. Each fg call costs 1 + 2·samples
 * queries. When the budget cannot pay for another call, fg throws a GradoptError("E_SOLVER") — the drivers report it
 * as objective_error with the message and return the best point seen; `maxEvaluations` gives a matching maxEval.
 */
import { GradoptError, assertArg } from "../../errors.js";
import type { ObjectiveFn } from "../objective.js";
import { gradientEstimator, type GradientEstimator, type GradientEstimatorOptions } from "./estimate.js";

export interface EstimatedObjectiveOptions extends GradientEstimatorOptions {
  /** Total queries of f allowed (default unlimited). */
  maxQueries?: number;
}

export interface EstimatedObjective {
  /** Pass this to minimize / runTransform. */
  readonly fg: ObjectiveFn;
  readonly estimator: GradientEstimator;
  /** Queries of f made so far (values and estimates). */
  readonly queries: number;
  /** Queries one fg call costs: 1 + 2·samples. */
  readonly queriesPerCall: number;
  /** How many fg calls the budget pays for (Infinity without one): use as the driver's maxEval. */
  readonly maxEvaluations: number;
}

export function estimatedObjective(
  f: (x: Float64Array) => number,
  n: number,
  options: EstimatedObjectiveOptions = {},
): EstimatedObjective {
  const estimator = gradientEstimator(n, options);
  const maxQueries = options.maxQueries ?? Infinity;
  assertArg(maxQueries > 0, () => `estimatedObjective: maxQueries must be > 0, got ${maxQueries}`);
  const perCall = 1 + 2 * estimator.samples;
  let values = 0;
  const fg: ObjectiveFn = (x, g) => {
    if (values + estimator.queries + perCall > maxQueries) {
      throw new GradoptError(
        "E_SOLVER",
        `query budget of ${maxQueries} exhausted (${values + estimator.queries} used, ${perCall} per gradient estimate)`,
      );
    }
    values++;
    const fx = f(x);
    estimator.estimate(f, x, g);
    return fx;
  };
  return {
    fg,
    estimator,
    get queries() {
      return values + estimator.queries;
    },
    queriesPerCall: perCall,
    maxEvaluations: Number.isFinite(maxQueries) ? Math.floor(maxQueries / perCall) : Infinity,
  };
}
