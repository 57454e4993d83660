/**
 * The user's own gradient formula (the "known gradient"): per target, cost-like terms whose value along the solution is
 * the claimed dJ/dtarget. Evaluate it, and check it against the exact gradient, naming the components that disagree.
 */
import { GradoptError } from "../../errors.js";
import type { DDEProblem, DDESolution } from "../types.js";
import type { Cost, UserGradient } from "./cost-types.js";
import { evaluateCost } from "./cost.js";
import { costGradient, type CostGradientOptions } from "./costGradient.js";
import { resolveTargets } from "./targets.js";

/** The user's gradient along a solved trajectory, in the order of `names`. Throws naming a target that has no formula. */
export function evaluateUserGradient(
  solution: DDESolution,
  userGradient: UserGradient,
  names: readonly string[],
  p: Float64Array,
): Float64Array {
  const out = new Float64Array(names.length);
  names.forEach((name, k) => {
    const terms: Cost | undefined = userGradient[name];
    if (!terms) {
      const have = Object.keys(userGradient).join(", ") || "none";
      throw new GradoptError("E_ARG", `the user gradient has no formula for "${name}" (it has: ${have})`);
    }
    out[k] = evaluateCost(solution, terms, p);
  });
  return out;
}

export interface GradientCheckEntry {
  user: number;
  exact: number;
  /** |user - exact| / max(|exact|, |user|, floor); floor = 1e-8 max(1, max |exact|) keeps zero components meaningful. */
  relError: number;
  ok: boolean;
}

export interface GradientCheckResult {
  cost: number;
  check: Record<string, GradientCheckEntry>;
  /** Every component agrees. */
  ok: boolean;
  /** Targets whose user formula disagrees with the exact gradient. */
  mismatched: string[];
}

export interface CheckOptions extends CostGradientOptions {
  /** Largest relative error accepted (default 1e-5; the exact gradient itself is good to ~1e-7 at the default rtol). */
  tolerance?: number;
}

/**
 * Compares the user's gradient with the exact one. Targets default to every target that has a user formula. A target
 * where the exact derivative is only one-sided (a kink) is ok when the user value lies between the two one-sided values.
 */
export function checkUserGradient(
  problem: DDEProblem,
  cost: Cost,
  userGradient: UserGradient,
  opts: CheckOptions = {},
): GradientCheckResult {
  const wrt = opts.wrt ?? Object.keys(userGradient);
  const names = resolveTargets(problem, wrt).names;
  const exact = costGradient(problem, cost, { ...opts, wrt });
  const user = evaluateUserGradient(exact.solution, userGradient, names, Float64Array.from(problem.p));
  const tol = opts.tolerance ?? 1e-5;
  let maxExact = 0;
  for (const g of exact.gradient) if (Number.isFinite(g)) maxExact = Math.max(maxExact, Math.abs(g));
  const floor = 1e-8 * Math.max(1, maxExact);
  const check: Record<string, GradientCheckEntry> = {};
  const mismatched: string[] = [];
  names.forEach((name, k) => {
    const u = user[k]!;
    let e = exact.gradient[k]!;
    const sided = exact.oneSided?.[name];
    if (sided) {
      // Between the two one-sided values is a valid subgradient; report against the nearer one.
      const lo = Math.min(sided.left, sided.right);
      const hi = Math.max(sided.left, sided.right);
      e = u < lo ? lo : u > hi ? hi : u;
    }
    const relError = Number.isFinite(u)
      ? Math.abs(u - e) / Math.max(Math.abs(e), Math.abs(u), floor)
      : Infinity;
    const ok = relError <= tol;
    check[name] = { user: u, exact: e, relError, ok };
    if (!ok) mismatched.push(name);
  });
  return { cost: exact.cost, check, ok: mismatched.length === 0, mismatched };
}
