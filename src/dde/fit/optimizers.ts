/**
 * The optimisers a fit can use, behind one call: L-BFGS(-B) and projected gradient descent with backtracking from
 * gradopt/optim's `minimize` (their line searches back off from points where the objective fails), and Adam driven by
 * a projected loop here that halves a step landing on a failing point instead of stopping there.
 */
import { adam } from "../../optim/aliases/adam.js";
import { minimize } from "../../optim/minimize.js";
import type { OptimResult } from "../../optim/status.js";
import type { Transform } from "../../optim/transforms/types.js";
import { GradoptError } from "../../errors.js";

export type FitOptimizer = "lbfgs" | "lbfgsb" | "adam" | "gd" | "lm";

export interface RunOptions {
  lower: Float64Array;
  upper: Float64Array;
  maxIter: number | undefined;
  gtol: number | undefined;
  learningRate: number | undefined;
  signal: AbortSignal | undefined;
  progress: (info: { iteration: number; x: Float64Array; f: number; gradNorm: number }) => boolean;
}

export type FG = (x: Float64Array, g: Float64Array) => number;

export type RunResult = Pick<OptimResult, "x" | "f" | "converged" | "iterations" | "message"> & {
  status: string;
};

export function runOptimizer(
  name: Exclude<FitOptimizer, "lm">,
  fg: FG,
  x0: Float64Array,
  o: RunOptions,
): RunResult {
  switch (name) {
    case "lbfgs":
    case "lbfgsb":
    case "gd": {
      return minimize(fg, x0, {
        method: name,
        ...(name === "lbfgs" ? {} : { bounds: { lower: o.lower, upper: o.upper } }),
        maxIter: o.maxIter ?? (name === "gd" ? 1000 : 200),
        ...(o.gtol !== undefined ? { gtol: o.gtol } : {}),
        ...(o.learningRate !== undefined && name === "gd" ? { learningRate: o.learningRate } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        callback: (info) => o.progress(info),
      });
    }
    case "adam":
      return firstOrder(adam(o.learningRate ?? 0.01), fg, x0, o, "adam");
    default:
      throw new GradoptError(
        "E_ARG",
        `fit: unknown optimizer "${String(name)}" (lbfgs, lbfgsb, adam, gd, lm)`,
      );
  }
}

/** Projected first-order loop: x <- clip(x + update(g)); a failed evaluation halves the last step (up to 20 times). */
function firstOrder<S>(tx: Transform<S>, fg: FG, x0: Float64Array, o: RunOptions, method: string): RunResult {
  const n = x0.length;
  const clip = (v: Float64Array) => {
    for (let i = 0; i < n; i++) v[i] = Math.min(o.upper[i]!, Math.max(o.lower[i]!, v[i]!));
  };
  const x = Float64Array.from(x0);
  clip(x);
  const g = new Float64Array(n);
  const u = new Float64Array(n);
  const prev = Float64Array.from(x);
  const best = Float64Array.from(x);
  let bestF = Infinity;
  let state = tx.init(x);
  const maxIter = o.maxIter ?? 1000;
  const gtol = o.gtol ?? 1e-6;
  const safeEval = (): number => {
    try {
      const f = fg(x, g);
      return Number.isFinite(f) && g.every(Number.isFinite) ? f : Infinity;
    } catch (err) {
      if (err instanceof GradoptError && err.code === "E_ARG") throw err;
      return Infinity;
    }
  };
  let f = safeEval();
  if (!Number.isFinite(f))
    return {
      x,
      f,
      converged: false,
      iterations: 0,
      status: "objective_error",
      message: "the objective failed at the starting point",
    };
  let status = "max_iterations";
  let it = 0;
  for (; it < maxIter; it++) {
    if (f < bestF) {
      bestF = f;
      best.set(x);
    }
    let pg = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i]!;
      if ((x[i]! <= o.lower[i]! && gi > 0) || (x[i]! >= o.upper[i]! && gi < 0)) continue;
      pg = Math.max(pg, Math.abs(gi));
    }
    if (o.progress({ iteration: it, x, f, gradNorm: pg })) {
      status = "callback_stop";
      break;
    }
    if (pg <= gtol) {
      status = "gradient_tolerance";
      break;
    }
    if (o.signal?.aborted) {
      status = "aborted";
      break;
    }
    u.set(g);
    const [upd, next] = tx.update(u, state, x);
    state = next;
    prev.set(x);
    let scale = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 20; tries++) {
      for (let i = 0; i < n; i++) x[i] = prev[i]! + scale * upd[i]!;
      clip(x);
      fNew = safeEval();
      if (Number.isFinite(fNew)) break;
      scale *= 0.5;
    }
    if (!Number.isFinite(fNew)) {
      x.set(prev);
      status = "non_finite";
      break;
    }
    f = fNew;
  }
  if (f < bestF) {
    bestF = f;
    best.set(x);
  }
  return {
    x: best,
    f: bestF,
    converged: status === "gradient_tolerance",
    iterations: it,
    status,
    message: `${method}: ${status}`,
  };
}
