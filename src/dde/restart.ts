/**
 * Restarting from a past solution, as dde23 does after a terminal event: the solution becomes the history of a new
 * problem (possibly with a changed right-hand side or a jump in the state), and its breaking points travel along so the
 * new solve still steps onto their propagation.
 */
import type { Solution } from "./solution.js";
import type { DDEProblem, History } from "./types.js";

/** phi(t) = sol(t) (its own history before its t0), phi'(t) = sol'(t) from f, with sol's breaking points. */
export function historyFromSolution(sol: Solution): History {
  const discontinuities = [
    ...(sol.problem.history.discontinuities ?? []),
    ...sol.breakpointInfo.filter((b) => b.t <= sol.tEnd).map((b) => ({ t: b.t, order: b.order })),
  ];
  return {
    value: (t, _p, out) => {
      sol.eval(Math.min(t, sol.tEnd), out, t >= sol.tEnd ? "left" : "right");
    },
    derivative: (t, _p, out) => {
      sol.derivative(Math.min(t, sol.tEnd), out, "left");
    },
    discontinuities,
  };
}

/**
 * The problem that continues `sol` from its end to `tEnd`: same f, delays and parameters unless `changes` override them
 * (e.g. a new `initial` for a jump at the restart, or a new `f` after an event).
 */
export function continueProblem(sol: Solution, tEnd: number, changes: Partial<DDEProblem> = {}): DDEProblem {
  return {
    ...sol.problem,
    p: sol.p,
    ...changes,
    history: historyFromSolution(sol),
    tspan: [sol.tEnd, tEnd],
    initial: changes.initial,
  };
}
