/**
 * Fitting a DDE model: choose parameters (delays, history and initial values included) that minimise a cost, with the
 * exact gradient (forward or adjoint), the user's own gradient formula, or Gauss-Newton / Levenberg-Marquardt on the
 * forward sensitivities for least squares. Multi-start from seeded random points in the bounds. A trial point where the
 * solver fails is an infinitely bad point (the line search backs off), never a crash.
 */
import { GradoptError } from "../../errors.js";
import type { OptimResult } from "../../optim/status.js";
import type { Cost, UserGradient } from "../gradient/cost-types.js";
import { evaluateCost, residualList } from "../gradient/cost.js";
import { costGradient, type GradientMethod } from "../gradient/costGradient.js";
import { defaultSolve, type SolveFn } from "../gradient/solver.js";
import { resolveTargets } from "../gradient/targets.js";
import { evaluateUserGradient } from "../gradient/userGradient.js";
import type { DDEProblem } from "../types.js";
import { levenbergMarquardt } from "./levenbergMarquardt.js";
import { runOptimizer, type FitOptimizer } from "./optimizers.js";
import { seededUniform } from "../../random.js";

export type { FitOptimizer };

/** Bounds per target name ([lo, hi], either may be +-Infinity), or arrays in the order of the targets. */
export type FitBounds =
  Record<string, readonly [number, number]> | { lower?: ArrayLike<number>; upper?: ArrayLike<number> };

export interface FitProgress {
  iteration: number;
  cost: number;
  gradNorm: number;
  params: Record<string, number>;
  /** Which start of a multi-start run (0 = the model's own values). */
  start: number;
}

export interface FitOptions {
  /** Targets (names or indices; default every parameter). */
  wrt?: readonly (number | string)[];
  /** Default "lbfgsb" when bounds are given, else "lbfgs"; "lm" needs a least-squares (data-only) cost. */
  optimizer?: FitOptimizer;
  bounds?: FitBounds;
  /** "exact" (default) or "user" (the userGradient formulas, checked nowhere: use checkUserGradient for that). */
  gradient?: "exact" | "user";
  userGradient?: UserGradient;
  /** Exact-gradient method (default "auto"). */
  method?: GradientMethod;
  maxIter?: number;
  /** Gradient tolerance of the optimiser (default 1e-6 relative to max(1, |J0|)). */
  gtol?: number;
  /** Solver tolerances (default rtol 1e-8, atol rtol/100). */
  rtol?: number;
  atol?: number;
  /** Learning rate of "adam" / "gd". */
  learningRate?: number;
  /** Number of extra starts drawn uniformly in the bounds (finite bounds needed), seeded by `seed` (default 1). */
  multiStart?: number;
  seed?: number;
  onProgress?: (p: FitProgress) => boolean | void;
  signal?: AbortSignal;
  solver?: SolveFn;
  /**
   * Step budget of each model solve (default 100000): a trial point where the model becomes stiff or explosive fails
   * fast (an infinitely bad point) instead of grinding through a million steps.
   */
  maxSolverSteps?: number;
}

export interface FitStart {
  x0: Record<string, number>;
  cost: number;
  status: string;
  converged: boolean;
  iterations: number;
}

export interface FitResult {
  params: Record<string, number>;
  /** The fitted values in the order of `names`. */
  x: Float64Array;
  names: string[];
  cost: number;
  status: string;
  converged: boolean;
  iterations: number;
  evaluations: number;
  message: string;
  optimizer: FitOptimizer;
  trace: FitProgress[];
  /** Every start of a multi-start run, best first is `params`. */
  starts: FitStart[];
}

/** Minimises the cost over the targets, starting from the problem's parameter values. */
export function fitModel(problem: DDEProblem, cost: Cost, opts: FitOptions = {}): FitResult {
  const targets = resolveTargets(problem, opts.wrt);
  const { names, indices } = targets;
  const nt = indices.length;
  if (nt === 0) throw new GradoptError("E_ARG", "fit: nothing to fit (wrt is empty)");
  const { lower, upper } = resolveBounds(opts.bounds, names);
  const optimizer: FitOptimizer =
    opts.optimizer ?? (lower.some(Number.isFinite) || upper.some(Number.isFinite) ? "lbfgsb" : "lbfgs");
  if (optimizer === "lbfgs" && (lower.some(Number.isFinite) || upper.some(Number.isFinite)))
    throw new GradoptError(
      "E_ARG",
      'fit: bounds need optimizer "lbfgsb" (or "lm", "adam", "gd", which project onto them)',
    );
  if (opts.gradient === "user" && !opts.userGradient)
    throw new GradoptError("E_ARG", 'fit: gradient "user" needs the userGradient formulas');
  const rtol = opts.rtol ?? 1e-8;
  const atol = opts.atol ?? rtol / 100;
  const maxSteps = opts.maxSolverSteps ?? 100_000;
  const baseSolver = opts.solver ?? defaultSolve;
  const solver: SolveFn = (pr, o) =>
    baseSolver(pr, { maxSteps, ...(opts.signal ? { signal: opts.signal } : {}), ...o });
  const base = Float64Array.from(problem.p);
  const withX = (x: Float64Array): DDEProblem => {
    const p = Float64Array.from(base);
    for (let k = 0; k < nt; k++) p[indices[k]!] = x[k]!;
    return { ...problem, p };
  };
  const named = (x: Float64Array) => Object.fromEntries(names.map((nm, k) => [nm, x[k]!]));
  const trace: FitProgress[] = [];
  let evaluations = 0;

  // f and gradient at x; throws (an E_SOLVER error) when the solve fails: the optimisers treat that as +Infinity.
  const fg = (x: Float64Array, g: Float64Array): number => {
    evaluations++;
    const pr = withX(x);
    if (opts.gradient === "user") {
      const sol = solver(pr, { rtol, atol });
      if (!sol.ok) throw new GradoptError("E_SOLVER", `solve failed: ${sol.message}`);
      g.set(evaluateUserGradient(sol, opts.userGradient!, names, pr.p));
      return evaluateCost(sol, cost, pr.p);
    }
    const res = costGradient(pr, cost, {
      wrt: Array.from(indices),
      rtol,
      atol,
      solver,
      ...(opts.method ? { method: opts.method } : {}),
    });
    for (let k = 0; k < nt; k++) {
      const side = res.oneSided?.[names[k]!];
      // At a kink the mean of the one-sided derivatives (a subgradient's midpoint) keeps the optimiser moving.
      g[k] = side ? 0.5 * (side.left + side.right) : res.gradient[k]!;
    }
    return res.cost;
  };

  const starts = startingPoints(
    Float64Array.from(indices, (i) => base[i]!),
    lower,
    upper,
    opts.multiStart ?? 0,
    opts.seed ?? 1,
  );
  const runs: { r: OptimLike; x0: Float64Array }[] = [];
  starts.forEach((x0, s) => {
    if (opts.signal?.aborted) return;
    const progress = (info: { iteration: number; x: Float64Array; f: number; gradNorm: number }) => {
      const row: FitProgress = {
        iteration: info.iteration,
        cost: info.f,
        gradNorm: info.gradNorm,
        params: named(info.x),
        start: s,
      };
      trace.push(row);
      return opts.onProgress?.(row) === true;
    };
    const r =
      optimizer === "lm"
        ? runLM(problem, cost, withX, x0, lower, upper, indices, {
            rtol,
            atol,
            solver,
            maxIter: opts.maxIter,
            signal: opts.signal,
            progress,
          })
        : runOptimizer(optimizer, fg, x0, {
            lower,
            upper,
            maxIter: opts.maxIter,
            gtol: opts.gtol,
            learningRate: opts.learningRate,
            signal: opts.signal,
            progress,
          });
    runs.push({ r, x0 });
  });
  if (runs.length === 0) throw new GradoptError("E_ARG", "fit: aborted before the first start");
  const ranked = [...runs].sort(
    (a, b) => (Number.isFinite(a.r.f) ? a.r.f : Infinity) - (Number.isFinite(b.r.f) ? b.r.f : Infinity),
  );
  const best = ranked[0]!.r;
  return {
    params: named(best.x),
    x: best.x,
    names,
    cost: best.f,
    status: best.status,
    converged: best.converged && Number.isFinite(best.f),
    iterations: runs.reduce((a, r) => a + r.r.iterations, 0),
    evaluations: evaluations + runs.reduce((a, r) => a + (r.r.lmEvaluations ?? 0), 0),
    message: best.message,
    optimizer,
    trace,
    starts: runs.map(({ r, x0 }) => ({
      x0: named(x0),
      cost: r.f,
      status: r.status,
      converged: r.converged,
      iterations: r.iterations,
    })),
  };
}

interface OptimLike extends Pick<OptimResult, "x" | "f" | "converged" | "iterations" | "message"> {
  status: string;
  lmEvaluations?: number;
}

function runLM(
  problem: DDEProblem,
  cost: Cost,
  withX: (x: Float64Array) => DDEProblem,
  x0: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  indices: Int32Array,
  o: {
    rtol: number;
    atol: number;
    solver: SolveFn;
    maxIter: number | undefined;
    signal: AbortSignal | undefined;
    progress: (info: { iteration: number; x: Float64Array; f: number; gradNorm: number }) => boolean;
  },
): OptimLike {
  const res = residualList(cost);
  if (!res || res.length === 0)
    throw new GradoptError(
      "E_ARG",
      'fit: optimizer "lm" needs a least-squares cost (data terms only, with at least one observation)',
    );
  const n = problem.n;
  const nt = indices.length;
  const y = new Float64Array(n);
  const S = new Float64Array(n * nt);
  let evals = 0;
  const r = levenbergMarquardt(
    (x, jacobian) => {
      evals++;
      const pr = withX(x);
      try {
        if (!jacobian) {
          const sol = o.solver(pr, { rtol: o.rtol, atol: o.atol });
          if (!sol.ok) return null;
          return { r: Float64Array.from(res, (q) => (sol.eval(q.t, y)[q.state]! - q.value) / q.sigma) };
        }
        const g = costGradient(pr, [], {
          wrt: Array.from(indices),
          method: "forward",
          rtol: o.rtol,
          atol: o.atol,
          solver: o.solver,
        });
        const sol = g.solution;
        const J = new Float64Array(res.length * nt);
        const rv = Float64Array.from(res, (q, i) => {
          g.sensitivity!(q.t, S);
          for (let k = 0; k < nt; k++) J[i * nt + k] = S[k * n + q.state]! / q.sigma;
          return (sol.eval(q.t, y)[q.state]! - q.value) / q.sigma;
        });
        return { r: rv, J };
      } catch (err) {
        if (err instanceof GradoptError && err.code === "E_SOLVER") return null;
        throw err;
      }
    },
    x0,
    {
      lower,
      upper,
      maxIter: o.maxIter ?? 100,
      ...(o.signal ? { signal: o.signal } : {}),
      onIteration: (info) => o.progress(info),
    },
  );
  return { ...r, lmEvaluations: evals };
}

function resolveBounds(
  bounds: FitBounds | undefined,
  names: string[],
): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(names.length).fill(-Infinity);
  const upper = new Float64Array(names.length).fill(Infinity);
  if (!bounds) return { lower, upper };
  if ("lower" in bounds || "upper" in bounds) {
    const b = bounds as { lower?: ArrayLike<number>; upper?: ArrayLike<number> };
    for (const [arr, out, what] of [
      [b.lower, lower, "lower"],
      [b.upper, upper, "upper"],
    ] as const) {
      if (!arr) continue;
      if (arr.length !== names.length)
        throw new GradoptError("E_ARG", `bounds.${what}: ${arr.length} values for ${names.length} targets`);
      for (let k = 0; k < names.length; k++) out[k] = arr[k]!;
    }
  } else {
    for (const [name, lohi] of Object.entries(bounds as Record<string, readonly [number, number]>)) {
      const k = names.indexOf(name);
      if (k < 0)
        throw new GradoptError(
          "E_ARG",
          `bounds: "${name}" is not a fitted parameter (fitting: ${names.join(", ")})`,
        );
      lower[k] = lohi[0];
      upper[k] = lohi[1];
    }
  }
  for (let k = 0; k < names.length; k++)
    if (!(lower[k]! <= upper[k]!))
      throw new GradoptError("E_ARG", `bounds: ${names[k]} has lower ${lower[k]} above upper ${upper[k]}`);
  return { lower, upper };
}

/** The model's own start (clipped to the bounds), then `extra` seeded uniform draws in the bounds. */
function startingPoints(
  x0: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  extra: number,
  seed: number,
): Float64Array[] {
  const first = Float64Array.from(x0, (v, k) => Math.min(upper[k]!, Math.max(lower[k]!, v)));
  const out = [first];
  if (extra > 0) {
    for (let k = 0; k < x0.length; k++)
      if (!Number.isFinite(lower[k]!) || !Number.isFinite(upper[k]!))
        throw new GradoptError(
          "E_ARG",
          "fit: multiStart draws points in the bounds, so every fitted parameter needs finite bounds",
        );
    const rand = mulberry32(seed);
    for (let s = 0; s < extra; s++)
      out.push(Float64Array.from(x0, (_, k) => lower[k]! + rand() * (upper[k]! - lower[k]!)));
  }
  return out;
}

/** A small seeded PRNG (Mulberry32): uniform in [0, 1). */
export const mulberry32 = seededUniform;
