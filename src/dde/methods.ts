/**
 * Method records (the "algorithm" of problem / algorithm / solve): an explicit RK pair with its continuous extension,
 * wrapped by the method of steps in the integrator. `dp5()` is the default.
 */
import { BS3 } from "./tableaus/bs3.js";
import { DOP853 } from "./tableaus/dop853.js";
import { DP5 } from "./tableaus/dp5.js";
import { TSIT5 } from "./tableaus/tsit5.js";
import type { ButcherTableau } from "./tableaus/types.js";

export interface DDEMethod {
  readonly name: string;
  readonly tableau: ButcherTableau;
  /** Highest order of discontinuity tracked: breaking points of order <= this are propagated and stepped onto. */
  readonly discontinuityOrder: number;
  /** Fixed-point iteration when a lag falls inside the current step: tolerance (in error-norm units) and max sweeps. */
  readonly fixedPoint: { readonly tol: number; readonly maxIter: number };
}

export interface MethodOptions {
  /** Track breaking points up to this order (default: the method's order). */
  discontinuityOrder?: number;
  fixedPointTol?: number;
  fixedPointMaxIter?: number;
}

function method(tableau: ButcherTableau, opts: MethodOptions = {}): DDEMethod {
  return {
    name: tableau.name,
    tableau,
    discontinuityOrder: opts.discontinuityOrder ?? tableau.order,
    fixedPoint: { tol: opts.fixedPointTol ?? 0.01, maxIter: opts.fixedPointMaxIter ?? 12 },
  };
}

/** Bogacki-Shampine 3(2) with cubic Hermite dense output: dde23's pair, for loose tolerances. */
export const bs3 = (opts?: MethodOptions): DDEMethod => method(BS3, opts);
/** Dormand-Prince 5(4) with a fourth-order dense output: the default. */
export const dp5 = (opts?: MethodOptions): DDEMethod => method(DP5, opts);
/** Tsitouras 5(4) with its free fourth-order dense output (DifferentialEquations.jl's default). */
export const tsit5 = (opts?: MethodOptions): DDEMethod => method(TSIT5, opts);
/** Dormand-Prince 8(5,3) with a seventh-order dense output: for tight tolerances (rtol below ~1e-8). */
export const dop853 = (opts?: MethodOptions): DDEMethod => method(DOP853, opts);

/** Method by name (for the CLI's --method): bs3, dp5, tsit5, dop853. */
export function methodByName(name: string): DDEMethod | undefined {
  const table: Record<string, () => DDEMethod> = { bs3, dp5, tsit5, dop853 };
  return table[name.toLowerCase()]?.();
}
