/** Bookkeeping shared by the minimisers: defaults, stopping tests, trace, result assembly. */
import { assertArg } from "../errors.js";
import { Objective, type ObjectiveFn } from "./objective.js";
import {
  isConverged,
  type CommonOptions,
  type OptimResult,
  type OptimStatus,
  type TraceEntry,
} from "./status.js";

export interface Settings {
  sign: 1 | -1;
  gtol: number;
  ftol: number;
  xtol: number;
  maxIter: number;
  maxEval: number;
}

export function settings(o: CommonOptions, defaultMaxIter = 15000): Settings {
  for (const key of ["gtol", "ftol", "xtol"] as const) {
    const v = o[key];
    assertArg(
      v === undefined || (v >= 0 && Number.isFinite(v)),
      () => `options.${key} must be a finite number >= 0, got ${v}`,
    );
  }
  for (const key of ["maxIter", "maxEval"] as const) {
    const v = o[key];
    assertArg(
      v === undefined || (Number.isInteger(v) && v >= 0),
      () => `options.${key} must be an integer >= 0, got ${v}`,
    );
  }
  return {
    sign: o.maximize ? -1 : 1,
    gtol: o.gtol ?? 1e-5,
    ftol: o.ftol ?? 0,
    xtol: o.xtol ?? 0,
    maxIter: o.maxIter ?? defaultMaxIter,
    maxEval: o.maxEval ?? 15000,
  };
}

export function makeObjective(fg: ObjectiveFn, n: number, s: Settings): Objective {
  return new Objective(fg, n, s.sign);
}

/**
 * What every minimiser reports per iteration: a trace row when `options.trace` is on, and the user's callback. f is
 * given as the minimiser holds it (negated when maximising) and reported un-negated.
 */
export class IterationLog {
  /** The trace rows, or undefined when no trace was asked for. */
  readonly rows: TraceEntry[] | undefined;

  constructor(
    private readonly options: CommonOptions,
    private readonly obj: Objective,
  ) {
    this.rows = options.trace ? [] : undefined;
  }

  /** Appends the trace row of the state after `iteration` (0 = the start), reached by a step of `step`. */
  trace(iteration: number, f: number, gradNorm: number, step: number): void {
    this.rows?.push({
      iteration,
      f: this.obj.sign * f,
      gradNorm,
      step,
      evaluations: this.obj.evaluations,
    });
  }

  /** Calls the callback, if any; true when it asks to stop. */
  callbackStops(iteration: number, x: Float64Array, f: number, gradNorm: number): boolean {
    return !!this.options.callback?.({
      iteration,
      x,
      f: this.obj.sign * f,
      gradNorm,
      evaluations: this.obj.evaluations,
    });
  }
}

/** Convergence and budget tests after an accepted step, in order of precedence; undefined to go on. */
export function stopTest(
  s: Settings,
  it: {
    iterations: number;
    evaluations: number;
    gradNorm: number;
    fPrev: number;
    f: number;
    stepInf: number;
    xInf: number;
  },
): OptimStatus | undefined {
  if (it.gradNorm <= s.gtol) return "gradient_tolerance";
  if (s.ftol > 0 && (it.fPrev - it.f) / Math.max(Math.abs(it.fPrev), Math.abs(it.f), 1) <= s.ftol) {
    return "function_tolerance";
  }
  if (s.xtol > 0 && it.stepInf <= s.xtol * Math.max(1, it.xInf)) return "step_tolerance";
  if (it.iterations >= s.maxIter) return "max_iterations";
  if (it.evaluations >= s.maxEval) return "max_evaluations";
  return undefined;
}

const MESSAGES: Record<OptimStatus, string> = {
  gradient_tolerance: "converged: projected gradient norm <= gtol",
  function_tolerance: "converged: relative reduction of f <= ftol",
  step_tolerance: "converged: step <= xtol",
  precision_limit: "converged to the precision of f: no step can decrease f measurably (gtol not reachable)",
  max_iterations: "stopped: maximum number of iterations reached",
  max_evaluations: "stopped: maximum number of evaluations reached",
  line_search_failed:
    "line search failed: no step gave sufficient decrease (a wrong gradient is the usual cause: run checkGradient)",
  non_finite: "the objective or its gradient was not finite",
  objective_error: "the objective threw",
  aborted: "aborted by the AbortSignal",
  callback_stop: "stopped by the callback",
};

/** Builds the result; f and the gradient are un-negated for maximisation. */
export function finish(
  method: string,
  status: OptimStatus,
  x: Float64Array,
  fInternal: number,
  g: Float64Array | undefined,
  gradNorm: number,
  iterations: number,
  obj: Objective,
  trace: TraceEntry[] | undefined,
  detail?: string,
): OptimResult {
  const sign = obj.sign;
  let gradient: Float64Array | undefined;
  if (g) {
    gradient = Float64Array.from(g);
    if (sign < 0) for (let i = 0; i < gradient.length; i++) gradient[i] = -gradient[i]!;
  }
  const res: OptimResult = {
    x,
    f: sign * fInternal,
    status,
    converged: isConverged(status) && Number.isFinite(fInternal),
    iterations,
    evaluations: obj.evaluations,
    gradient,
    gradNorm,
    message: detail ? `${MESSAGES[status]}: ${detail}` : MESSAGES[status],
    method,
  };
  if (trace) res.trace = trace;
  return res;
}

/** The failure of the very first evaluation: nothing better than x0 to return. */
export function startFailure(
  method: string,
  x: Float64Array,
  obj: Objective,
  trace: TraceEntry[] | undefined,
): OptimResult {
  const kind = obj.lastFailureKind ?? "non_finite";
  const detail = obj.lastFailure ?? "the gradient at x0 has a non-finite entry";
  const r = finish(method, kind, x, NaN, undefined, NaN, 0, obj, trace, `at x0, ${detail}`);
  return r;
}

/**
 * The status for a failed line search. When the model's predicted decrease `predicted` (−gᵀd) is below the rounding
 * of f, no step can decrease f measurably: the point is a minimiser to the precision of f ("precision_limit").
 * Otherwise "line_search_failed", naming the objective's own failure when one occurred during the search.
 */
export function lineSearchFailure(
  obj: Objective,
  failuresBefore: string | undefined,
  predicted: number,
  f: number,
): [OptimStatus, string | undefined] {
  if (predicted <= 100 * Number.EPSILON * Math.abs(f)) {
    return ["precision_limit", `predicted decrease ${predicted.toExponential(2)} at f = ${f}`];
  }
  if (obj.lastFailure !== undefined && obj.lastFailure !== failuresBefore) {
    return ["line_search_failed", `the last failing trial point: ${obj.lastFailure}`];
  }
  return ["line_search_failed", undefined];
}
