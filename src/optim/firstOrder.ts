/**
 * The first-order driver: runs any gradient Transform (sgd, momentum, adam, signSgd, ...) on a Float64Array objective,
 * with an optional projection after every step (bounds, a ball), stopping rules, a callback and an AbortSignal.
 * These methods do not decrease f monotonically, so the best point seen is returned. A step that lands where the
 * objective fails is halved (up to `maxBackoffs` times) rather than ending the run.
 */
import { expandBounds, hasFiniteBound, projectedGradientNorm, type Bounds } from "./bounds.js";
import { finish, IterationLog, makeObjective, settings, startFailure } from "./driverUtil.js";
import { checkStart, Objective, type ObjectiveFn } from "./objective.js";
import type { Projection } from "./projections.js";
import type { CommonOptions, OptimResult, OptimStatus } from "./status.js";
import type { AnyTransform } from "./transforms/types.js";
import { infNorm } from "./vectorOps.js";

export interface FirstOrderOptions extends CommonOptions {
  /** Box constraints; each step is followed by the projection onto the box. */
  bounds?: Bounds;
  /** Any other projection, applied in place after every step (after the box). */
  project?: Projection;
  /** Default 1000 for first-order methods. */
  maxIter?: number;
  /** When a step lands where the objective throws or is not finite, retry half of it up to this many times
   * (default 50; the 50th is a step of 2^-50 of the original) before stopping with the failure's status. */
  maxBackoffs?: number;
}

export function runTransform(
  fg: ObjectiveFn,
  x0: ArrayLike<number>,
  transform: AnyTransform,
  options: FirstOrderOptions = {},
  method = "first-order",
): OptimResult {
  const x = checkStart(x0, method);
  const n = x.length;
  const set = settings(options, 1000);
  const { l, u } = expandBounds(options.bounds, n, method);
  const boxed = hasFiniteBound(l, u);
  const project = (v: Float64Array) => {
    if (boxed) for (let i = 0; i < n; i++) v[i] = Math.min(Math.max(v[i]!, l[i]!), u[i]!);
    if (options.project) {
      const r = options.project(v);
      if (r !== v) v.set(r);
    }
  };
  project(x);
  const obj = makeObjective(fg, n, set);
  const log = new IterationLog(options, obj);
  const g = new Float64Array(n);
  const upd = new Float64Array(n);
  const best = { x: Float64Array.from(x), g: new Float64Array(n), f: Infinity, gnorm: NaN };

  let state: unknown = transform.init(x);
  let iterations = 0;
  let fPrev = Infinity;
  let lastStep = 0; // ||update||_inf of the step that led here
  const xPrev = new Float64Array(n);
  const lastUpdate = new Float64Array(n);
  const maxBackoffs = options.maxBackoffs ?? 50;
  let backoffs = 0;
  let status: OptimStatus | undefined;
  let detail: string | undefined;
  for (;;) {
    const f = obj.evaluate(x, g);
    if (!Number.isFinite(f) || !Objective.finite(g)) {
      if (iterations === 0) return startFailure(method, x, obj, log.rows);
      if (backoffs < maxBackoffs && obj.evaluations < set.maxEval) {
        // The step landed where the objective fails: retry half of it (the transform's state is kept).
        backoffs++;
        for (let i = 0; i < n; i++) {
          lastUpdate[i] = 0.5 * lastUpdate[i]!;
          x[i] = xPrev[i]! + lastUpdate[i]!;
        }
        project(x);
        continue;
      }
      status = obj.lastFailureKind ?? "non_finite";
      detail = `at iteration ${iterations}, ${obj.lastFailure ?? "the gradient has a non-finite entry"}; returning the best point seen`;
      break;
    }
    backoffs = 0;
    const gnorm = boxed ? projectedGradientNorm(x, g, l, u) : infNorm(g);
    if (f < best.f) {
      best.f = f;
      best.x.set(x);
      best.g.set(g);
      best.gnorm = gnorm;
    }
    log.trace(iterations, f, gnorm, lastStep);
    if (iterations > 0 && log.callbackStops(iterations, x, f, gnorm)) {
      status = "callback_stop";
      break;
    }
    if (gnorm <= set.gtol) {
      status = "gradient_tolerance";
      best.f = f; // report this point, converged
      best.x.set(x);
      best.g.set(g);
      best.gnorm = gnorm;
      break;
    }
    if (
      set.ftol > 0 &&
      iterations > 0 &&
      Math.abs(fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1) <= set.ftol
    ) {
      status = "function_tolerance";
      break;
    }
    if (iterations >= set.maxIter) {
      status = "max_iterations";
      break;
    }
    if (obj.evaluations >= set.maxEval) {
      status = "max_evaluations";
      break;
    }
    if (options.signal?.aborted) {
      status = "aborted";
      break;
    }
    fPrev = f;
    upd.set(g);
    const [step, next] = transform.update(upd, state, x) as [Float64Array, unknown];
    state = next;
    let stepInf = 0;
    xPrev.set(x);
    lastUpdate.set(step);
    for (let i = 0; i < n; i++) {
      x[i] = x[i]! + step[i]!;
      stepInf = Math.max(stepInf, Math.abs(step[i]!));
    }
    project(x);
    lastStep = stepInf;
    iterations++;
    if (set.xtol > 0 && stepInf <= set.xtol * Math.max(1, infNorm(x))) {
      status = "step_tolerance";
      // evaluate once more so the reported f and gradient belong to x
      const f2 = obj.evaluate(x, g);
      if (Number.isFinite(f2) && f2 < best.f) {
        best.f = f2;
        best.x.set(x);
        best.g.set(g);
        best.gnorm = boxed ? projectedGradientNorm(x, g, l, u) : infNorm(g);
      }
      break;
    }
  }
  return finish(method, status, best.x, best.f, best.g, best.gnorm, iterations, obj, log.rows, detail);
}
