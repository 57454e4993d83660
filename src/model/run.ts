/**
 * Convenience wrappers over the DDE layer for compiled models: solve, differentiate the cost (and check the user's own
 * gradient formulas). Thin: each is a few lines over `solve` and `costGradient`, so the CLI and scripts share them.
 */
import { costGradient, type CostGradientResult, type GradientMethod } from "../dde/gradient/costGradient.js";
import { evaluateCost } from "../dde/gradient/cost.js";
import { evaluateUserGradient } from "../dde/gradient/userGradient.js";
import { defaultSolve, type SolveFn } from "../dde/gradient/solver.js";
import { fitModel, type FitOptimizer, type FitOptions, type FitResult } from "../dde/fit/fit.js";
import { methodByName } from "../dde/methods.js";
import { solve } from "../dde/solve.js";
import type { SolveOptions } from "../dde/options.js";
import type { DDESolution } from "../dde/types.js";
import { GradoptError } from "../errors.js";
import { loadModel, type CompiledModel } from "./compile.js";
import type { ModelInput } from "./load.js";

export interface ModelRunOptions {
  rtol?: number;
  atol?: number;
  /** Solver method by name: "dp5" (default), "bs3", "dop853". */
  method?: string;
  /** Parameter overrides by name (as `--set`). */
  set?: Record<string, number>;
}

export interface SolveModelOptions extends ModelRunOptions {
  /** Output times (default: every accepted step). */
  at?: readonly number[];
}

export interface SolveModelResult {
  model: CompiledModel;
  solution: DDESolution;
  /** The model's cost on this solution (undefined without a cost section or when the solve failed). */
  cost?: number;
}

/** A model given as a path, `{ text, file }`, or already compiled; `set` applied. */
export function prepareModel(
  model: CompiledModel | ModelInput,
  set?: Record<string, number>,
  where = "set",
): CompiledModel {
  const m = isCompiled(model) ? model : loadModel(model);
  return set && Object.keys(set).length ? m.withParams(set, where) : m;
}

const isCompiled = (m: CompiledModel | ModelInput): m is CompiledModel =>
  typeof m === "object" && "problem" in m;

export function solverMethod(name: string | undefined, where = "method"): SolveOptions["method"] {
  if (name === undefined) return undefined;
  const method = methodByName(name);
  if (!method)
    throw new GradoptError("E_ARG", `${where}: unknown solver method '${name}' (known: dp5, bs3, dop853)`);
  return method;
}

/** Solves a model file (or compiled model). A solver failure is not thrown: check `solution.ok` / `status`. */
export function solveModel(
  model: CompiledModel | ModelInput,
  opts: SolveModelOptions = {},
): SolveModelResult {
  const m = prepareModel(model, opts.set);
  const options: SolveOptions = { rtol: opts.rtol, atol: opts.atol, method: solverMethod(opts.method) };
  if (opts.at) {
    const [t0, t1] = m.problem.tspan;
    const bad = opts.at.find((t) => !(t >= t0 && t <= t1));
    if (bad !== undefined) throw new GradoptError("E_ARG", `at: time ${bad} is outside tspan [${t0}, ${t1}]`);
    options.saveat = opts.at;
  }
  const solution = solve(m.problem, options);
  const result: SolveModelResult = { model: m, solution };
  if (solution.ok && m.cost.length > 0) {
    // Integral terms are integrated on the solution's own grid: with output times that grid is only those times, so
    // the cost comes from a solve that keeps every step.
    const full = opts.at ? solve(m.problem, { ...options, saveat: undefined }) : solution;
    if (full.ok) result.cost = evaluateCost(full, m.cost, m.problem.p);
  }
  return result;
}

export interface ModelGradientOptions extends ModelRunOptions {
  /** Targets (default: the model's own parameters). */
  wrt?: readonly string[];
  method?: string;
  /** Gradient method: forward sensitivities, adjoint, or auto. */
  gradientMethod?: GradientMethod;
  /** Also compare the user's gradient formulas (the model's `gradient:` section) with the exact gradient. */
  check?: boolean;
  /** Relative error under which a check passes (default: max(1e-5, 100 rtol)). */
  checkTolerance?: number;
}

export interface ModelGradientCheck {
  user: number;
  exact: number;
  relError: number;
  ok: boolean;
}

export interface ModelGradientResult {
  model: CompiledModel;
  cost: number;
  gradient: Record<string, number>;
  /** Present with `check`: one entry per target that has a user formula. */
  check?: Record<string, ModelGradientCheck>;
  /** The user's formulas evaluated (every target that has one, whether in wrt or not). */
  user?: Record<string, number>;
  oneSided?: CostGradientResult["oneSided"];
  method: "forward" | "adjoint";
  solution: DDESolution;
}

/** The exact gradient of the model's cost with respect to `wrt`; with `check`, also the user's formulas compared. */
export function modelGradient(
  model: CompiledModel | ModelInput,
  opts: ModelGradientOptions = {},
): ModelGradientResult {
  const m = prepareModel(model, opts.set);
  if (m.cost.length === 0)
    throw new GradoptError("E_MODEL", "the model has no cost section: nothing to differentiate", {
      file: m.file,
    });
  const userTargets = Object.keys(m.userGradient);
  if (opts.check && userTargets.length === 0) {
    throw new GradoptError("E_MODEL", "the model has no gradient section: no user formula to check", {
      file: m.file,
    });
  }
  const wrt = opts.wrt ?? (opts.check ? union(m.modelParams, userTargets) : m.modelParams);
  for (const w of wrt) m.paramIndex(w, "wrt");
  const rtol = opts.rtol ?? 1e-8;
  const run = (method: GradientMethod) =>
    costGradient(m.problem, m.cost, {
      wrt,
      method,
      rtol,
      atol: opts.atol,
      solverOptions: { method: solverMethod(opts.method) },
    });
  let res: CostGradientResult;
  const requested = opts.gradientMethod ?? "auto";
  try {
    res = run(requested);
  } catch (err) {
    // "auto" may pick the adjoint; when its backward solve fails, forward sensitivities are the safer route.
    if (requested !== "auto" || !(err instanceof GradoptError) || err.code !== "E_SOLVER") throw err;
    res = run("forward");
  }
  const gradient: Record<string, number> = {};
  res.names.forEach((name, k) => (gradient[name] = res.gradient[k]!));
  const out: ModelGradientResult = {
    model: m,
    cost: res.cost,
    gradient,
    method: res.method,
    solution: res.solution,
  };
  if (res.oneSided) out.oneSided = res.oneSided;
  if (opts.check) {
    // The same rule as checkUserGradient (dde/gradient), on this one solution: relative error with a floor, and a
    // one-sided (kinked) exact derivative accepts any value between its two sides.
    const tol = opts.checkTolerance ?? Math.max(1e-5, 100 * rtol);
    const userValues = evaluateUserGradient(res.solution, m.userGradient, userTargets, m.problem.p);
    out.user = Object.fromEntries(userTargets.map((t, k) => [t, userValues[k]!]));
    out.check = {};
    let maxExact = 0;
    for (const g of res.gradient) if (Number.isFinite(g)) maxExact = Math.max(maxExact, Math.abs(g));
    const floor = 1e-8 * Math.max(1, maxExact);
    for (const target of userTargets) {
      if (!(target in gradient)) continue;
      const user = out.user[target]!;
      let exact = gradient[target]!;
      const sided = res.oneSided?.[target];
      if (sided) {
        const [lo, hi] = [Math.min(sided.left, sided.right), Math.max(sided.left, sided.right)];
        exact = user < lo ? lo : user > hi ? hi : user;
      }
      const relError = Number.isFinite(user)
        ? Math.abs(user - exact) / Math.max(Math.abs(exact), Math.abs(user), floor)
        : Infinity;
      out.check[target] = { user, exact, relError, ok: relError <= tol };
    }
  }
  return out;
}

const union = (a: readonly string[], b: readonly string[]) => [...a, ...b.filter((x) => !a.includes(x))];

export interface FitModelFileOptions extends ModelRunOptions {
  /** Targets (default: with gradient "user" the targets that have a formula, else the model's own parameters). */
  wrt?: readonly string[];
  optimizer?: FitOptimizer;
  /** Bounds per target: { k: [0, 5] }. */
  bounds?: Record<string, readonly [number, number]>;
  /** "exact" (default) or "user": the model's own gradient formulas. */
  gradient?: "exact" | "user";
  gradientMethod?: GradientMethod;
  maxIter?: number;
  gtol?: number;
  learningRate?: number;
  multiStart?: number;
  seed?: number;
  onProgress?: FitOptions["onProgress"];
  signal?: AbortSignal;
}

export interface FitModelFileResult extends FitResult {
  model: CompiledModel;
  /** The cost at the starting point. */
  initialCost: number;
  /** The model with the fitted values set (solve it to see the fitted trajectory). */
  fitted: CompiledModel;
}

/** Fits a model file's parameters to its cost (starting from the file's values, or `set`). */
export function fitModelFile(
  model: CompiledModel | ModelInput,
  opts: FitModelFileOptions = {},
): FitModelFileResult {
  const m = prepareModel(model, opts.set);
  if (m.cost.length === 0)
    throw new GradoptError("E_MODEL", "the model has no cost section: nothing to fit", { file: m.file });
  const userTargets = Object.keys(m.userGradient);
  if (opts.gradient === "user" && userTargets.length === 0) {
    throw new GradoptError(
      "E_MODEL",
      "the model has no gradient section: --gradient user needs the model's own formulas",
      { file: m.file },
    );
  }
  const wrt = opts.wrt ?? (opts.gradient === "user" ? userTargets : m.modelParams);
  for (const w of wrt) m.paramIndex(w, "wrt");
  if (opts.gradient === "user") {
    const missing = wrt.filter((w) => !userTargets.includes(w));
    if (missing.length)
      throw new GradoptError(
        "E_MODEL",
        `the model's gradient section has no formula for ${missing.join(", ")}`,
        { file: m.file },
      );
  }
  for (const b of Object.keys(opts.bounds ?? {})) {
    if (!wrt.includes(b))
      throw new GradoptError("E_ARG", `bounds: '${b}' is not a fitted target (targets: ${wrt.join(", ")})`);
  }
  const rtol = opts.rtol ?? 1e-8;
  const start = solveModel(m, { rtol, atol: opts.atol, method: opts.method });
  const initialCost = start.cost ?? NaN;
  const method = solverMethod(opts.method);
  const solver: SolveFn | undefined = method
    ? (problem, o) => defaultSolve(problem, { ...o, method })
    : undefined;
  const fit = fitModel(m.problem, m.cost, {
    wrt,
    optimizer: opts.optimizer,
    bounds: opts.bounds,
    gradient: opts.gradient,
    userGradient: m.userGradient,
    method: opts.gradientMethod,
    maxIter: opts.maxIter,
    gtol: opts.gtol,
    rtol,
    atol: opts.atol,
    learningRate: opts.learningRate,
    multiStart: opts.multiStart,
    seed: opts.seed,
    onProgress: opts.onProgress,
    signal: opts.signal,
    solver,
  });
  return { ...fit, model: m, initialCost, fitted: m.withParams(fit.params) };
}
