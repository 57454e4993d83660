/**
 * Convenience wrappers over the DDE layer for compiled models: solve, differentiate the cost (and check the user's own
 * gradient formulas). Thin: each is a few lines over `solve` and `costGradient`, so the CLI and scripts share them.
 */
import { costGradient, type CostGradientResult, type GradientMethod } from "../dde/gradient/costGradient.js";
import { evaluateCost } from "../dde/gradient/cost.js";
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
export function prepareModel(model: CompiledModel | ModelInput, set?: Record<string, number>, where = "set"): CompiledModel {
  const m = isCompiled(model) ? model : loadModel(model);
  return set && Object.keys(set).length ? m.withParams(set, where) : m;
}

const isCompiled = (m: CompiledModel | ModelInput): m is CompiledModel => typeof m === "object" && "problem" in m;

export function solverMethod(name: string | undefined, where = "method"): SolveOptions["method"] {
  if (name === undefined) return undefined;
  const method = methodByName(name);
  if (!method) throw new GradoptError("E_ARG", `${where}: unknown solver method '${name}' (known: dp5, bs3, dop853)`);
  return method;
}

/** Solves a model file (or compiled model). A solver failure is not thrown: check `solution.ok` / `status`. */
export function solveModel(model: CompiledModel | ModelInput, opts: SolveModelOptions = {}): SolveModelResult {
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
  if (solution.ok && m.cost.length > 0) result.cost = evaluateCost(solution, m.cost, m.problem.p);
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
  /** Relative error under which a check passes (default: max(1e-4, 1000 rtol)). */
  checkTolerance?: number;
}

export interface GradientCheckEntry {
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
  check?: Record<string, GradientCheckEntry>;
  /** The user's formulas evaluated (every target that has one, whether in wrt or not). */
  user?: Record<string, number>;
  oneSided?: CostGradientResult["oneSided"];
  method: "forward" | "adjoint";
  solution: DDESolution;
}

/** The exact gradient of the model's cost with respect to `wrt`; with `check`, also the user's formulas compared. */
export function modelGradient(model: CompiledModel | ModelInput, opts: ModelGradientOptions = {}): ModelGradientResult {
  const m = prepareModel(model, opts.set);
  if (m.cost.length === 0) throw new GradoptError("E_MODEL", "the model has no cost section: nothing to differentiate", { file: m.file });
  const userTargets = Object.keys(m.userGradient);
  if (opts.check && userTargets.length === 0) {
    throw new GradoptError("E_MODEL", "the model has no gradient section: no user formula to check", { file: m.file });
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
      solver: (problem, options) => solve(problem, options as SolveOptions),
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
  const out: ModelGradientResult = { model: m, cost: res.cost, gradient, method: res.method, solution: res.solution };
  if (res.oneSided) out.oneSided = res.oneSided;
  if (opts.check) {
    const tol = opts.checkTolerance ?? Math.max(1e-4, 1000 * rtol);
    out.user = {};
    out.check = {};
    for (const target of userTargets) {
      const user = evaluateCost(res.solution, m.userGradient[target]!, m.problem.p);
      out.user[target] = user;
      if (!(target in gradient)) continue;
      const exact = gradient[target]!;
      const relError = Math.abs(user - exact) / Math.max(Math.abs(exact), Math.abs(user), 1e-12);
      out.check[target] = { user, exact, relError, ok: Number.isFinite(relError) && relError <= tol };
    }
  }
  return out;
}

const union = (a: readonly string[], b: readonly string[]) => [...a, ...b.filter((x) => !a.includes(x))];
