/**
 * The exact gradient of a cost over a DDE solution with respect to parameters (and thereby delays, history values and
 * initial values), by forward sensitivities or the adjoint method, picked automatically by the number of targets.
 */
import { GradoptError, assertArg } from "../../errors.js";
import type { DDEProblem, DDESolution } from "../types.js";
import { runAdjoint, type AdjointResult } from "./adjoint.js";
import { runAdjointTimeLags } from "./adjointTimeLags.js";
import { runAdjointNeutral } from "./adjointNeutral.js";
import { GradContext } from "./context.js";
import type { Cost } from "./cost-types.js";
import { evaluateCompiled } from "./cost.js";
import { runForward, type ForwardResult } from "./forward.js";
import { runNeutralForward } from "./neutral.js";
import { defaultSolve, type SolveFn } from "./solver.js";
import { solveWithSensitivities, stagedForwardApplies, stagedForwardResult } from "./stagedForward.js";
import { resolveTargets } from "./targets.js";
import type { SolveOptions } from "../options.js";

export type GradientMethod = "forward" | "adjoint" | "auto";

export interface CostGradientOptions {
  /** Targets: parameter indices or names (default: every parameter). */
  wrt?: readonly (number | string)[];
  /**
   * "auto" (default): adjoint for more than `adjointAbove` targets (forward sensitivities where the adjoint does not
   * apply: neutral terms with time- or state-dependent delays), else forward.
   */
  method?: GradientMethod;
  /**
   * Threshold of "auto" (default 5). Measured on the benchmark network (bench/suites/dde-gradient.ts, matrix-free
   * products with the fused fjvp, sensitivities on the solver's own stages): forward costs about 1.7 + 0.4 (np - 1)
   * solves (rtol 1e-6 and 1e-8), the adjoint 3.4 to 4.4 solves nearly independent of np, so they cross near np = 5 to
   * 6 (with the separate sensitivity solve it was 2 + 0.45 (np - 1) against 4 to 5: also near 5). With time-
   * (state-) dependent delays the threshold is 2x (2.5x) this one: see lagCostFactor.
   */
  adjointAbove?: number;
  /** Relative tolerance of the forward solve and of the sensitivity/adjoint solve (default 1e-8). */
  rtol?: number;
  /** Absolute tolerance (default rtol / 100). */
  atol?: number;
  /** Extra options for the forward solver (method, maxSteps, ...). */
  solverOptions?: Omit<SolveOptions, "rtol" | "atol" | "dense">;
  /** The forward solver (default: gradopt's). */
  solver?: SolveFn;
  /**
   * Forward sensitivities integrated on the solver's own steps (retarded problems with constant or time-dependent lags,
   * no events: src/dde/gradient/stagedForward.ts): include them in the step-size control too (default false: the state's steps, the very solution solve()
   * gives; the gradient is then about as accurate as the separate sensitivity solve's, up to a few times less on
   * problems whose sensitivities vary faster than the state).
   */
  sensitivityErrorControl?: boolean;
  /** Reuse an existing forward solution of this problem (it must be dense over the span). */
  solution?: DDESolution;
}

export interface OneSided {
  left: number;
  right: number;
}

export interface CostGradientResult {
  cost: number;
  /** dJ/dtarget, in the order of `names`; NaN where only one-sided derivatives exist (see oneSided). */
  gradient: Float64Array;
  names: string[];
  /** Parameter indices of the targets. */
  indices: Int32Array;
  method: "forward" | "adjoint";
  /** Targets where the cost has a kink (an observation on a breaking point that moves with the target). */
  oneSided?: Record<string, OneSided>;
  solution: DDESolution;
  /** Steps and right-hand-side evaluations of the sensitivity or adjoint solve. */
  stats: { forwardSteps: number; gradientSteps: number; gradientRhsEvals: number };
  /** Present with the forward method: s(t), target-major (out[k*n + i] = dy_i/dtarget_k). */
  sensitivity?: ForwardResult["sensitivity"];
}

/** Solves the problem and differentiates the cost. Solver failure is reported as an E_SOLVER error naming the cause. */
export function costGradient(
  problem: DDEProblem,
  cost: Cost,
  opts: CostGradientOptions = {},
): CostGradientResult {
  const rtol = opts.rtol ?? 1e-8;
  const atol = opts.atol ?? rtol / 100;
  assertArg(
    rtol > 0 && atol > 0,
    () => `costGradient: tolerances must be positive (rtol ${rtol}, atol ${atol})`,
  );
  const targets = resolveTargets(problem, opts.wrt);
  const requested = opts.method ?? "auto";
  const manyTargets = targets.indices.length > (opts.adjointAbove ?? 5) * lagCostFactor(problem);
  // Forward sensitivities on the solver's own stages where they apply (one integration instead of two).
  if (
    (requested === "forward" || (requested === "auto" && !manyTargets)) &&
    !opts.solution &&
    !opts.solver &&
    stagedForwardApplies(problem, targets, opts.solverOptions)
  ) {
    const run = solveWithSensitivities(
      problem,
      targets,
      { ...opts.solverOptions, rtol, atol },
      opts.sensitivityErrorControl === true,
    );
    const ctx = new GradContext(problem, run.solution, cost, targets);
    const fwd = stagedForwardResult(ctx, run) ?? runForward(ctx, rtol, atol);
    return forwardResult(ctx, evaluateCompiled(run.solution, ctx.compiled, ctx.p), fwd);
  }
  const solve = opts.solver ?? defaultSolve;
  const solution = opts.solution ?? solve(problem, { ...opts.solverOptions, rtol, atol });
  const ctx = new GradContext(problem, solution, cost, targets);
  const J = evaluateCompiled(solution, ctx.compiled, ctx.p);
  const kinked = ctx.points.some((pt) => ctx.jumpsAt(pt.t).length > 0);
  let method = requested;
  if (method === "auto") method = manyTargets && adjointCovers(problem) && !kinked ? "adjoint" : "forward";
  const base = { cost: J, names: targets.names, indices: targets.indices, solution };
  const forward = () => (ctx.neutral ? runNeutralForward : runForward)(ctx, rtol, atol);
  if (method === "adjoint") {
    let adj: AdjointResult;
    try {
      adj = ctx.neutral
        ? runAdjointNeutral(ctx, rtol, atol)
        : (ctx.constantLags ? runAdjoint : runAdjointTimeLags)(ctx, rtol, atol);
    } catch (err) {
      // "auto" falls back to forward sensitivities where the adjoint declines (too many neutral shifts).
      if (requested !== "auto" || !(err instanceof GradoptError) || err.code !== "E_ARG") throw err;
      return costGradient(problem, cost, { ...opts, method: "forward", solution });
    }
    const res: CostGradientResult = {
      ...base,
      gradient: adj.gradient,
      method: "adjoint",
      stats: {
        forwardSteps: solution.stats.steps,
        gradientSteps: adj.track.steps,
        gradientRhsEvals: adj.track.rhsEvals,
      },
    };
    if (kinked) attachOneSided(res, forward());
    return res;
  }
  return forwardResult(ctx, J, forward());
}

function forwardResult(ctx: GradContext, J: number, fwd: ForwardResult): CostGradientResult {
  const { solution, targets } = ctx;
  const res: CostGradientResult = {
    cost: J,
    names: targets.names,
    indices: targets.indices,
    solution,
    gradient: fwd.gradient,
    method: "forward",
    sensitivity: fwd.sensitivity,
    stats: {
      forwardSteps: solution.stats.steps,
      gradientSteps: fwd.track.steps,
      gradientRhsEvals: fwd.track.rhsEvals,
    },
  };
  attachOneSided(res, fwd);
  return res;
}

/**
 * How much later the adjoint pays off with time- or state-dependent delays (its advanced arguments need the inverse
 * of t - tau, and each lag its own lagged outputs). Measured after the one-vjp-per-stage adjoint (b84aa5e) on the
 * benchmark network (10 states, data cost at 20 times, targets entries of W) with tau = 1 + 0.2 sin t (time) and
 * tau = 1 + 0.2 tanh y_1 (state), rtol 1e-8, best CPU time of 15 interleaved rounds, in plain solves, on the loaded
 * 2-core machine (load average 6.4-7.9); forward / adjoint:
 *   time:  6.2 / 6.2 at 10 targets, 6.8 / 6.1 at 12, 7.6 / 6.3 at 14; 5.5 / 6.1 at 8
 *   state: 10.4 / 10.9 at 12, 11.2 / 10.8 at 14, 12.6 / 11.0 at 16; 9.2 / 10.7 at 10
 * (constant lag: 3.4 / 3.0 at 5, 2.6 / 2.9 at 3). So the forward-adjoint crossing is near 10 (time) and 13 (state)
 * targets against 5 for constant lags: thresholds 2x and 2.5x the constant-lag one (was 4x for state-dependent delays
 * before the cheaper adjoint). At rtol 1e-6 the adjoints cost more (7-9 and 12-15 solves): forward wins up to about
 * 20 targets (time) and beyond 20 (state); the thresholds favour the default tolerance.
 */
const lagCostFactor = (problem: DDEProblem) =>
  problem.delays.some((d) => d.kind === "state")
    ? 2.5
    : problem.delays.some((d) => d.kind === "time")
      ? 2
      : 1;

const adjointCovers = (problem: DDEProblem) =>
  problem.delays.every((d) => d.neutral !== true) || problem.delays.every((d) => d.kind === "constant");

function attachOneSided(res: CostGradientResult, fwd: ForwardResult): void {
  if (fwd.oneSided.length === 0) return;
  res.oneSided = {};
  for (const o of fwd.oneSided) {
    res.oneSided[res.names[o.index]!] = { left: o.left, right: o.right };
    res.gradient[o.index] = NaN;
  }
}

/** costGradient with the adjoint method forced (every delay kind; neutral terms with constant delays only). */
export function adjointGradient(
  problem: DDEProblem,
  cost: Cost,
  opts: Omit<CostGradientOptions, "method"> = {},
): CostGradientResult {
  return costGradient(problem, cost, { ...opts, method: "adjoint" });
}

export interface ForwardSensitivities {
  solution: DDESolution;
  names: string[];
  /** s(t), target-major: out[k*n + i] = d y_i(t) / d target_k (length n * targets); `side` at a jump of s. */
  sensitivity(t: number, out?: Float64Array, side?: "left" | "right"): Float64Array;
}

/** Solves the problem and its forward sensitivities with respect to the targets; s(t) is dense over the span. */
export function forwardSensitivities(
  problem: DDEProblem,
  opts: Omit<CostGradientOptions, "method"> = {},
): ForwardSensitivities {
  const res = costGradient(problem, [], { ...opts, method: "forward" });
  const size = problem.n * res.names.length;
  const sens = res.sensitivity!;
  return {
    solution: res.solution,
    names: res.names,
    sensitivity: (t, out, side) => sens(t, out ?? new Float64Array(size), side),
  };
}
