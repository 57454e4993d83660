/**
 * Costs and finite differences of a cost through the solver, shared by the gradient tests (the references the exact
 * gradients are checked against).
 */
import { solve } from "../solve.js";
import type { DDEProblem } from "../types.js";
import type { Cost, PointFunction } from "./cost-types.js";
import { evaluateCost } from "./cost.js";
import { withParams } from "./testModels.js";

/** y_i^2 with its exact d/dy. */
export const square = (i: number): PointFunction => ({
  value: (_t, y) => y[i]! * y[i]!,
  dy: (_t, y, _p, o) => {
    o.fill(0);
    o[i] = 2 * y[i]!;
  },
});

/** Every kind of term: y_0^2 summed at `sumTimes`, an integral over [0.1 T, 0.9 T] with a parameter in it, a terminal. */
export function mixedCost(pr: DDEProblem, sumTimes: number[]): Cost {
  const T = pr.tspan[1];
  return [
    { kind: "sum", times: sumTimes, g: square(0) },
    {
      kind: "integral",
      q: { value: (_t, y, p) => (y[pr.n - 1]! - 0.3 * p[0]!) ** 2 },
      from: 0.1 * T,
      to: 0.9 * T,
    },
    { kind: "terminal", g: { value: (_t, y) => y.reduce((a, b) => a + b, 0) } },
  ];
}

/** The cost through the solver (DP5 at rtol 1e-12) with parameter k moved by d. */
function costWithShift(pr: DDEProblem, cost: Cost, k: number, d: number): number {
  const p = Float64Array.from(pr.p);
  p[k] = p[k]! + d;
  return evaluateCost(solve(withParams(pr, p), { rtol: 1e-12, atol: 1e-14 }), cost, p);
}

/** Central difference of the cost in parameter k, step h max(1, |p_k|). */
export function centralDifference(pr: DDEProblem, cost: Cost, k: number, h = 1e-4): number {
  const step = h * Math.max(1, Math.abs(pr.p[k]!));
  return (costWithShift(pr, cost, k, step) - costWithShift(pr, cost, k, -step)) / (2 * step);
}

/**
 * Central differences of the cost in parameter k from steps `step` and step/2, Richardson-extrapolated (an O(step^4)
 * error): where the solver's cost carries ~1e-12 noise, a larger step with a higher order is more accurate.
 */
export function richardsonDifference(pr: DDEProblem, cost: Cost, k: number, step: number): number {
  const D = (s: number) => (costWithShift(pr, cost, k, s) - costWithShift(pr, cost, k, -s)) / (2 * s);
  return (4 * D(step / 2) - D(step)) / 3;
}
