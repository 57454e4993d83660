/** gradopt's DDE solver: problem / method / solve. */
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
