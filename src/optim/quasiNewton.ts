/**
 * The iteration shared by the line-search quasi-Newton minimisers (lbfgs, lbfgsb), as Optim.jl's `optimize` loop
 * around a method's own update steps: the method supplies the search direction, the trial points along it and its
 * (s, y) memory; this loop owns everything else. Per iteration:
 *   direction → Moré-Thuente line search from x → on failure, restore x and retry once with the memory dropped
 *   (else stop with the reason) → keep the pair (s, y) only when sᵀy > ε·(−sᵀg_old) → trace, callback, stop tests.
 * Conventions follow L-BFGS-B / liblbfgs so that iteration and evaluation counts compare with SciPy.
 */
import { assertArg } from "../errors.js";
import {
  finish,
  IterationLog,
  lineSearchFailure,
  makeObjective,
  settings,
  startFailure,
  stopTest,
} from "./driverUtil.js";
import { moreThuente, type MoreThuenteOptions } from "./linesearch/moreThuente.js";
import { Objective, type ObjectiveFn } from "./objective.js";
import type { CommonOptions, OptimResult, OptimStatus } from "./status.js";
import { dot, infNorm } from "./vectorOps.js";

/** Options of the quasi-Newton minimisers. */
export interface QuasiNewtonOptions extends CommonOptions {
  /** Number of (s, y) pairs kept (default 10). */
  memory?: number;
  lineSearch?: MoreThuenteOptions;
}

/** Where the line search starts along the direction d that `direction` wrote. */
export interface SearchStart {
  /** φ'(0) = gᵀd < 0. */
  dg0: number;
  /** The first trial step. */
  stp0: number;
  /** The largest step the method allows (e.g. the edge of the feasible region); the user's cap still applies. */
  stpmax?: number;
}

/** What a quasi-Newton method supplies to `runQuasiNewton`. */
export interface QuasiNewtonMethod {
  /** The quantity the gtol test compares: ||g||_inf, or the projected-gradient norm under bounds. */
  gradNorm(x: Float64Array, g: Float64Array): number;
  /** Number of (s, y) pairs held; 0 means the direction is (projected) steepest descent. */
  memoryCount(): number;
  /** Drops all pairs. */
  resetMemory(): void;
  /**
   * Writes the search direction at (x, g) into d and says where to start the line search along it; or "retry" to
   * drop the memory and start the iteration again, or "stationary" when x is stationary (converged).
   */
  direction(x: Float64Array, g: Float64Array, d: Float64Array): SearchStart | "retry" | "stationary";
  /** Writes the trial point at step `stp` from xPrev along d into x. */
  trialPoint(stp: number, xPrev: Float64Array, d: Float64Array, x: Float64Array): void;
  /** Stores the pair s = x − xPrev, y = g − gPrev (called only when its curvature sᵀy is safely positive). */
  addPair(x: Float64Array, xPrev: Float64Array, g: Float64Array, gPrev: Float64Array): void;
}

const EPS = 2.220446049250313e-16;

/** The `memory` option (pairs kept), checked; default 10. */
export function memoryOption(options: QuasiNewtonOptions): number {
  const m = options.memory ?? 10;
  assertArg(
    Number.isInteger(m) && m >= 1,
    () => `options.memory must be an integer >= 1, got ${options.memory}`,
  );
  return m;
}

/**
 * Minimises from x (overwritten with the result) with the method that `createMethod` builds once the objective is
 * known to be finite at x.
 */
export function runQuasiNewton(
  name: string,
  fg: ObjectiveFn,
  x: Float64Array,
  options: QuasiNewtonOptions,
  createMethod: () => QuasiNewtonMethod,
): OptimResult {
  const n = x.length;
  const set = settings(options);
  const obj = makeObjective(fg, n, set);
  const log = new IterationLog(options, obj);

  const g = new Float64Array(n);
  let f = obj.evaluate(x, g);
  if (!Number.isFinite(f) || !Objective.finite(g)) return startFailure(name, x, obj, log.rows);

  const method = createMethod();
  const d = new Float64Array(n);
  const xPrev = new Float64Array(n);
  const gPrev = new Float64Array(n);
  let iterations = 0;
  let gradNorm = method.gradNorm(x, g);
  log.trace(0, f, gradNorm, 0);

  let status: OptimStatus | undefined = gradNorm <= set.gtol ? "gradient_tolerance" : undefined;
  let detail: string | undefined;
  let predicted: number | undefined; // the quasi-Newton model's predicted decrease of a failed search

  while (status === undefined) {
    if (options.signal?.aborted) {
      status = "aborted";
      break;
    }
    const start = method.direction(x, g, d);
    if (start === "retry") {
      method.resetMemory();
      continue;
    }
    if (start === "stationary") {
      status = "gradient_tolerance";
      break;
    }
    const { dg0 } = start;

    xPrev.set(x);
    gPrev.set(g);
    const fPrev = f;
    const failuresBefore = obj.lastFailure;
    const ls = moreThuente(
      (stp, p) => {
        method.trialPoint(stp, xPrev, d, x);
        p.f = obj.evaluate(x, g);
        p.dg = Number.isFinite(p.f) ? dot(g, d) : NaN;
      },
      fPrev,
      dg0,
      start.stp0,
      lineSearchOptions(options.lineSearch, start.stpmax, set.maxEval - obj.evaluations),
    );

    if (!ls.sufficientDecrease || !Objective.finite(g)) {
      x.set(xPrev);
      g.set(gPrev);
      f = fPrev;
      const hadMemory = method.memoryCount() > 0;
      if (hadMemory) predicted = -dg0;
      if (obj.evaluations >= set.maxEval) status = "max_evaluations";
      else if (hadMemory) {
        method.resetMemory(); // retry along (projected) steepest descent
        continue;
      } else [status, detail] = lineSearchFailure(obj, failuresBefore, predicted ?? -dg0, f);
      break;
    }
    f = ls.f;
    predicted = undefined;
    iterations++;

    // sᵀy = stp·(φ'(stp) − φ'(0)): keep the pair only when the curvature is safely positive.
    const sy = ls.stp * (ls.dg - dg0);
    if (sy > EPS * -ls.stp * dg0) method.addPair(x, xPrev, g, gPrev);

    gradNorm = method.gradNorm(x, g);
    log.trace(iterations, f, gradNorm, ls.stp);
    if (log.callbackStops(iterations, x, f, gradNorm)) {
      status = "callback_stop";
      break;
    }
    status = stopTest(set, {
      iterations,
      evaluations: obj.evaluations,
      gradNorm,
      fPrev,
      f,
      stepInf: set.xtol > 0 ? ls.stp * infNorm(d) : Infinity,
      xInf: set.xtol > 0 ? infNorm(x) : 0,
    });
  }
  return finish(name, status, x, f, g, gradNorm, iterations, obj, log.rows, detail);
}

/** The user's line-search options, capped by the method's stpmax (when it has one) and the evaluation budget left. */
function lineSearchOptions(
  user: MoreThuenteOptions | undefined,
  stpmax: number | undefined,
  evaluationsLeft: number,
): MoreThuenteOptions {
  const o: MoreThuenteOptions = { ...user, maxEvals: Math.min(user?.maxEvals ?? 20, evaluationsLeft) };
  if (stpmax !== undefined) o.stpmax = Math.min(stpmax, user?.stpmax ?? Infinity);
  return o;
}
