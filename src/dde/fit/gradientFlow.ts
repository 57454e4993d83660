/**
 * Continuous gradient flow: the parameters as states obeying theta' = -eta * dJ/dtheta, integrated by gradopt's own
 * DDE solver (an ODE is a DDE without delays). Its adaptive steps take large strides where the landscape is flat and
 * short ones where it curves; with bounds the flow is projected (a component pushing out of its box is stopped).
 */
import { GradoptError } from "../../errors.js";
import { solve } from "../solve.js";
import type { DDEProblem } from "../types.js";
import type { Cost } from "../gradient/cost-types.js";
import { costGradient, type GradientMethod } from "../gradient/costGradient.js";
import { defaultSolve, type SolveFn } from "../gradient/solver.js";
import { resolveTargets } from "../gradient/targets.js";

export interface GradientFlowOptions {
  wrt?: readonly (number | string)[];
  /** Flow rate eta (default 1). */
  eta?: number;
  /** Flow time (default 10). */
  duration?: number;
  bounds?: Record<string, readonly [number, number]>;
  /** Tolerances of the flow integration (default rtol 1e-4, atol 1e-6). */
  flowRtol?: number;
  flowAtol?: number;
  /** Tolerances of the inner model solves and gradients (default 1e-8). */
  rtol?: number;
  atol?: number;
  method?: GradientMethod;
  solver?: SolveFn;
  signal?: AbortSignal;
  maxSteps?: number;
}

export interface GradientFlowResult {
  params: Record<string, number>;
  names: string[];
  cost: number;
  status: string;
  message: string;
  /** The flow's accepted steps: time and parameter values. */
  t: Float64Array;
  path: Float64Array[];
  gradientEvaluations: number;
}

export function gradientFlow(
  problem: DDEProblem,
  cost: Cost,
  opts: GradientFlowOptions = {},
): GradientFlowResult {
  const { names, indices } = resolveTargets(problem, opts.wrt);
  const nt = indices.length;
  const eta = opts.eta ?? 1;
  if (!(eta > 0)) throw new GradoptError("E_ARG", `gradientFlow: eta must be positive (got ${eta})`);
  const lower = new Float64Array(nt).fill(-Infinity);
  const upper = new Float64Array(nt).fill(Infinity);
  for (const [name, [lo, hi]] of Object.entries(opts.bounds ?? {})) {
    const k = names.indexOf(name);
    if (k < 0)
      throw new GradoptError("E_ARG", `gradientFlow: bounds name "${name}" is not a flowed parameter`);
    lower[k] = lo;
    upper[k] = hi;
  }
  const base = Float64Array.from(problem.p);
  const rtol = opts.rtol ?? 1e-8;
  const solver = opts.solver ?? defaultSolve;
  let evals = 0;
  const gradAt = (theta: Float64Array) => {
    const p = Float64Array.from(base);
    for (let k = 0; k < nt; k++) p[indices[k]!] = Math.min(upper[k]!, Math.max(lower[k]!, theta[k]!));
    evals++;
    return costGradient({ ...problem, p }, cost, {
      wrt: Array.from(indices),
      rtol,
      atol: opts.atol ?? rtol / 100,
      solver,
      ...(opts.method ? { method: opts.method } : {}),
    });
  };
  const x0 = Float64Array.from(indices, (i, k) => Math.min(upper[k]!, Math.max(lower[k]!, base[i]!)));
  const flow: DDEProblem = {
    n: nt,
    delays: [],
    history: { constant: true, value: (_t, _p, out) => out.set(x0) },
    tspan: [0, opts.duration ?? 10],
    p: new Float64Array(0),
    f: (_t, theta, _z, _p, dy) => {
      let g: Float64Array;
      try {
        g = gradAt(theta).gradient;
      } catch {
        dy.fill(NaN); // the solver reports a non-finite value and stops with the best it had
        return;
      }
      for (let k = 0; k < nt; k++) {
        let v = -eta * g[k]!;
        if ((theta[k]! <= lower[k]! && v < 0) || (theta[k]! >= upper[k]! && v > 0)) v = 0;
        dy[k] = v;
      }
    },
    stateNames: names,
  };
  const sol = solve(flow, {
    rtol: opts.flowRtol ?? 1e-4,
    atol: opts.flowAtol ?? 1e-6,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.maxSteps ? { maxSteps: opts.maxSteps } : {}),
  });
  const path = Array.from(sol.t, (_, i) => Float64Array.from(sol.y, (row) => row[i]!));
  const last = Float64Array.from(sol.eval(sol.tEnd), (v, k) => Math.min(upper[k]!, Math.max(lower[k]!, v)));
  const end = gradAt(last);
  return {
    params: Object.fromEntries(names.map((nm, k) => [nm, last[k]!])),
    names,
    cost: end.cost,
    status: sol.status,
    message: sol.message,
    t: Float64Array.from(sol.t),
    path,
    gradientEvaluations: evals,
  };
}
