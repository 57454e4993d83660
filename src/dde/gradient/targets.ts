/**
 * Gradient targets: every target is a parameter index (delays, history values and initial values that are fitted are
 * parameters their lag / history / initial value reads). This file resolves `wrt` and reads the parameter derivatives
 * of lags, the history and the initial value, with finite-difference fallbacks.
 */
import { GradoptError } from "../../errors.js";
import type { DDEProblem, Delay } from "../types.js";
import { scalarDifference } from "./jacobians.js";

export interface Targets {
  /** Parameter indices, in the order of the gradient. */
  indices: Int32Array;
  names: string[];
}

/** The display name of parameter i. */
export function paramName(problem: DDEProblem, i: number): string {
  return problem.paramNames?.[i] ?? `p[${i}]`;
}

/** Resolves `wrt` (indices or names; default: every parameter) to parameter indices with names. */
export function resolveTargets(problem: DDEProblem, wrt?: readonly (number | string)[]): Targets {
  const np = problem.p.length;
  const list = wrt ?? Array.from({ length: np }, (_, i) => i);
  const indices = new Int32Array(list.length);
  list.forEach((w, k) => {
    let i: number;
    if (typeof w === "number") i = w;
    else {
      i = problem.paramNames?.indexOf(w) ?? -1;
      if (i >= 0 && problem.paramNames!.lastIndexOf(w) !== i)
        throw new GradoptError(
          "E_ARG",
          `wrt: parameter name "${w}" is ambiguous (it appears more than once in paramNames)`,
        );
      if (i < 0) {
        const known = problem.paramNames?.join(", ") ?? `p[0]..p[${np - 1}]`;
        throw new GradoptError("E_ARG", `wrt: unknown parameter "${w}" (known: ${known})`);
      }
    }
    if (!Number.isInteger(i) || i < 0 || i >= np)
      throw new GradoptError("E_ARG", `wrt: parameter index ${String(w)} out of range 0..${np - 1}`);
    indices[k] = i;
  });
  if (new Set(indices).size !== indices.length)
    throw new GradoptError("E_ARG", "wrt: a parameter is listed twice");
  return { indices, names: Array.from(indices, (i) => paramName(problem, i)) };
}

/** d tau / d p at the targets (length nt), from delay.dLagDp or central differences. `pm` is a scratch copy of p. */
export function lagDp(
  delay: Delay,
  t: number,
  y: Float64Array,
  pm: Float64Array,
  targets: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  if (delay.dLagDp) {
    delay.dLagDp(t, y, pm, scratch);
    for (let k = 0; k < targets.length; k++) out[k] = scratch[targets[k]!]!;
    return;
  }
  for (let k = 0; k < targets.length; k++)
    out[k] = scalarDifference(delay.lag, delay, t, y, pm, pm, targets[k]!);
}

/** d tau / d y (length n), from delay.dLagDy or central differences (y is perturbed and restored). */
export function lagDy(delay: Delay, t: number, y: Float64Array, p: Float64Array, out: Float64Array): void {
  if (delay.dLagDy) {
    delay.dLagDy(t, y, p, out);
    return;
  }
  for (let i = 0; i < y.length; i++) out[i] = scalarDifference(delay.lag, delay, t, y, p, y, i);
}

/**
 * d phi(t) / d p at the targets, target-major: out[k*n + i] = d phi_i / d p_{targets[k]}. Zero when the history has no
 * `dp` (it then does not depend on the parameters).
 */
export function historyDp(
  problem: DDEProblem,
  t: number,
  p: Float64Array,
  targets: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const h = problem.history;
  const n = problem.n;
  const np = p.length;
  if (!h.dp) {
    out.fill(0, 0, n * targets.length);
    return;
  }
  h.dp(t, p, scratch);
  for (let k = 0; k < targets.length; k++)
    for (let i = 0; i < n; i++) out[k * n + i] = scratch[i * np + targets[k]!]!;
}

/** d y(t0) / d p at the targets, target-major; the history's at t0 when there is no separate initial value. */
export function initialDp(
  problem: DDEProblem,
  p: Float64Array,
  targets: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  const init = problem.initial;
  if (!init) return historyDp(problem, problem.tspan[0], p, targets, out, scratch);
  const n = problem.n;
  const np = p.length;
  if (!init.dp) {
    out.fill(0, 0, n * targets.length);
    return;
  }
  init.dp(p, scratch);
  for (let k = 0; k < targets.length; k++)
    for (let i = 0; i < n; i++) out[k * n + i] = scratch[i * np + targets[k]!]!;
}
