/**
 * A second, independent forward solver built on the gradient integrator (DOPRI5, steps onto propagated breaking points,
 * steps no longer than the smallest lag). Used to cross-check the main solver and as its stand-in for constant- and
 * time-dependent delays. Not for state-dependent or neutral delays.
 */
import { GradoptError } from "../../errors.js";
import type { DDEProblem, DDESolution } from "../types.js";
import { integrateLinearDDE, type Side } from "./integrator.js";

export function referenceSolve(
  problem: DDEProblem,
  opts: { rtol?: number; atol?: number } = {},
): DDESolution {
  const { n } = problem;
  const m = problem.delays.length;
  for (const d of problem.delays)
    if (d.kind === "state" || d.neutral)
      throw new GradoptError("E_ARG", "referenceSolve: state-dependent and neutral delays are not supported");
  const p = Float64Array.from(problem.p);
  const [t0, t1] = problem.tspan;
  const y0 = new Float64Array(n);
  if (problem.initial) problem.initial.value(p, y0);
  else problem.history.value(t0, p, y0);
  const zd = new Float64Array(m * n);
  const dummy = new Float64Array(n);
  const constant = problem.delays.every((d) => d.kind === "constant");
  const track = integrateLinearDDE({
    N: n,
    t0,
    t1,
    x0: y0,
    m,
    lag: (t, j) => problem.delays[j]!.lag(t, dummy, p),
    constantLags: constant,
    history: (t, out) => problem.history.value(t, p, out),
    rhs: (t, x, xlag, _side, out) => problem.f(t, x, xlag, p, out, zd),
    breakpoints: (problem.jumps ?? []).filter((b) => b > t0 && b <= t1),
    rtol: opts.rtol ?? 1e-6,
    atol: opts.atol ?? 1e-8,
  });
  const z = new Float64Array(m * n);
  const yb = new Float64Array(n);
  const lagged = (t: number, y: Float64Array, side: Side) => {
    for (let j = 0; j < m; j++) {
      const tl = t - problem.delays[j]!.lag(t, y, p);
      const target = z.subarray(j * n, (j + 1) * n);
      if (tl < t0 || (tl === t0 && side === "left")) problem.history.value(tl, p, target);
      else track.eval(tl, target, "right");
    }
  };
  const evalAt = (t: number, out?: Float64Array) => {
    const o = out ?? new Float64Array(n);
    if (t < t0) problem.history.value(t, p, o);
    else track.eval(Math.min(t, track.tEnd), o);
    return o;
  };
  return {
    status: track.ok ? "success" : "step-size-underflow",
    message: track.message,
    ok: track.ok,
    t0,
    tEnd: track.tEnd,
    n,
    stats: { steps: track.steps, rejected: track.rejected, rhsEvals: track.rhsEvals },
    breakpoints: new Float64Array(0),
    t: Float64Array.from(track.times),
    y: Array.from({ length: n }, (_, i) => Float64Array.from(track.times, (t) => evalAt(t)[i]!)),
    events: [],
    eval: evalAt,
    derivative(t: number, out?: Float64Array, side: "left" | "right" = "right") {
      const o = out ?? new Float64Array(n);
      if (t < t0 || (t === t0 && side === "left")) {
        const h = problem.history;
        if (h.derivative) h.derivative(t, p, o);
        else o.fill(0);
        return o;
      }
      track.eval(t, yb, side);
      lagged(t, yb, side);
      problem.f(t, yb, z, p, o, zd);
      return o;
    },
  };
}
