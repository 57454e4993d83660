/**
 * gradopt's DDE solver: problem / method / solve.
 *
 * @example
 * // y' = -y(t - 1), y = 1 for t <= 0
 * const sol = solve(
 *   {
 *     n: 1,
 *     f: (t, y, z, p, dy) => { dy[0] = -z[0]; },
 *     delays: [{ lag: () => 1, kind: "constant" }],
 *     history: { value: (t, p, out) => { out[0] = 1; }, constant: true },
 *     tspan: [0, 10],
 *     p: new Float64Array(0),
 *   },
 *   { method: dp5(), rtol: 1e-8, atol: 1e-8 },
 * );
 * sol.status;                 // "success"
 * sol.eval(10)[0];            // 0.0202411265... (exact 10493/518400)
 * sol.derivative(1, undefined, "left"); // y'(1-) from f
 * sol.breakpoints;            // [1, 2, 3, 4]: stepped onto exactly
 */
export * from "./types.js";
export { solve } from "./solve.js";
export { Solution } from "./solution.js";
export { bs3, dp5, tsit5, dop853, methodByName, type DDEMethod, type MethodOptions } from "./methods.js";
export type { SolveOptions, EventSpec } from "./options.js";
export type { ButcherTableau } from "./tableaus/types.js";
export { BS3 } from "./tableaus/bs3.js";
export { DP5 } from "./tableaus/dp5.js";
export { TSIT5 } from "./tableaus/tsit5.js";
export { DOP853 } from "./tableaus/dop853.js";
export { solve as solveDDE } from "./solve.js";
export { historyFromSolution, continueProblem } from "./restart.js";
