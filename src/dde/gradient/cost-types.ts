/**
 * Cost functionals over a DDE solution: J = sum of terms. Shared by the gradient code (which differentiates them) and the
 * model compiler (which builds them from a model file's `cost:` and `gradient:` sections).
 */

/** A scalar function of (t, y, p) with optional partial derivatives (finite differences when absent). */
export interface PointFunction {
  value(t: number, y: Float64Array, p: Float64Array): number;
  /** d g / d y, length n. */
  dy?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  /** d g / d p, length np. */
  dp?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  label?: string;
}

export type CostTerm =
  /** sum over `times` of g(t, y(t), p). */
  | { kind: "sum"; times: number[]; g: PointFunction }
  /** integral of q(t, y(t), p) over [from, to] (default: tspan). */
  | { kind: "integral"; q: PointFunction; from?: number; to?: number }
  /** g(tEnd, y(tEnd), p). */
  | { kind: "terminal"; g: PointFunction }
  /**
   * Weighted least squares: sum over k and observed columns c of ((y_{states[c]}(times[k]) - values[k*nc + c]) / sigma_c)^2.
   * NaN in `values` is a missing observation. `sigma` is one number or one per column.
   */
  | {
      kind: "data";
      times: number[];
      states: number[];
      values: Float64Array;
      sigma: number | Float64Array;
      label?: string;
    };

export type Cost = CostTerm[];

/**
 * A gradient the user already knows: per target (a parameter name, e.g. "c", "history.y", "initial.y"), a cost-like list
 * of terms whose value along the solution IS the claimed dJ/dtarget (e.g. dJ/dc = integral of -2 (y - c)).
 */
export type UserGradient = Record<string, Cost>;
