/**
 * Projected gradient descent with Armijo backtracking along the projection arc (linesearch/armijo.ts): x(α) =
 * P(x − α g). The trial α starts from twice the last accepted one (the first from 1/||g||_2), halving on failure.
 * @see D. P. Bertsekas (1999), Nonlinear Programming, 2nd ed., Section 2.3.
 */
import { expandBounds, projectedGradientNorm, type Bounds } from "./bounds.js";
import { finish, IterationLog, makeObjective, settings, startFailure, stopTest } from "./driverUtil.js";
import { armijoBacktrack } from "./linesearch/armijo.js";
import { checkStart, Objective, type ObjectiveFn } from "./objective.js";
import type { CommonOptions, OptimResult, OptimStatus } from "./status.js";
import { infNorm, scaledNorm2 } from "./vectorOps.js";

export interface GradientDescentOptions extends CommonOptions {
  bounds?: Bounds;
  /** Sufficient decrease constant (default 1e-4). */
  c1?: number;
  /** Backtracking factor (default 0.5). */
  shrink?: number;
  /** Largest number of halvings per iteration (default 60). */
  maxBacktracks?: number;
}

export function gradientDescent(
  fg: ObjectiveFn,
  x0: ArrayLike<number>,
  options: GradientDescentOptions = {},
): OptimResult {
  const x = checkStart(x0, "gd");
  const n = x.length;
  const { l, u } = expandBounds(options.bounds, n, "gd");
  for (let i = 0; i < n; i++) x[i] = Math.min(Math.max(x[i]!, l[i]!), u[i]!);
  const set = settings(options);
  const c1 = options.c1 ?? 1e-4;
  const shrink = options.shrink ?? 0.5;
  const maxBack = options.maxBacktracks ?? 60;
  const obj = makeObjective(fg, n, set);
  const log = new IterationLog(options, obj);
  const g = new Float64Array(n);
  let f = obj.evaluate(x, g);
  if (!Number.isFinite(f) || !Objective.finite(g)) return startFailure("gd", x, obj, log.rows);

  const xPrev = new Float64Array(n);
  const gPrev = new Float64Array(n);
  let gnorm = projectedGradientNorm(x, g, l, u);
  let alpha = 1 / scaledNorm2(g);
  let iterations = 0;
  let status: OptimStatus | undefined = gnorm <= set.gtol ? "gradient_tolerance" : undefined;
  let detail: string | undefined;
  log.trace(0, f, gnorm, 0);

  while (status === undefined) {
    if (options.signal?.aborted) {
      status = "aborted";
      break;
    }
    xPrev.set(x);
    gPrev.set(g);
    const fPrev = f;
    const ls = armijoBacktrack(
      (a) => {
        let directional = 0;
        for (let i = 0; i < n; i++) {
          const xi = Math.min(Math.max(xPrev[i]! - a * gPrev[i]!, l[i]!), u[i]!);
          x[i] = xi;
          directional += gPrev[i]! * (xi - xPrev[i]!);
        }
        if (obj.evaluations >= set.maxEval) return [Infinity, directional];
        const ft = obj.evaluate(x, g);
        return [Objective.finite(g) ? ft : Infinity, directional];
      },
      fPrev,
      alpha,
      { c1, shrink, maxBacktracks: maxBack },
    );
    const accepted = ls.accepted;
    if (accepted) {
      f = ls.f;
      alpha = ls.alpha;
    }
    if (!accepted) {
      x.set(xPrev);
      g.set(gPrev);
      f = fPrev;
      status = obj.evaluations >= set.maxEval ? "max_evaluations" : "line_search_failed";
      if (status === "line_search_failed" && obj.lastFailure)
        detail = `the last failing trial point: ${obj.lastFailure}`;
      break;
    }
    iterations++;
    gnorm = projectedGradientNorm(x, g, l, u);
    log.trace(iterations, f, gnorm, alpha);
    if (log.callbackStops(iterations, x, f, gnorm)) {
      status = "callback_stop";
      break;
    }
    let stepInf = 0;
    for (let i = 0; i < n; i++) stepInf = Math.max(stepInf, Math.abs(x[i]! - xPrev[i]!));
    status = stopTest(set, {
      iterations,
      evaluations: obj.evaluations,
      gradNorm: gnorm,
      fPrev,
      f,
      stepInf,
      xInf: infNorm(x),
    });
    alpha *= 2;
  }
  return finish("gd", status, x, f, g, gnorm, iterations, obj, log.rows, detail);
}
