/**
 * The pieces every adjoint (constant, time-/state-dependent and neutral delays) shares around its backward solve, in
 * reversed time r = T - t: the observation jumps lambda += g_y, the reversed breaking points, and the final sum
 *   dJ/dtheta_k = Q_k(t0) + lambda(t0-)^T dy0/dtheta_k + sum_i g_i,p + sum_xi lambda(xi)^T v_k(xi).
 */
import { GradoptError } from "../../errors.js";
import type { AdjointResult } from "./adjoint.js";
import type { GradContext } from "./context.js";
import type { DenseTrack, Side } from "./integrator.js";
import type { Linearizer } from "./jacobians.js";
import { historyDp } from "./targets.js";

/** t -> T - t, clamped to the reversed span [0, T - t0]. */
export function reversedTime(ctx: GradContext): (t: number) => number {
  const { T, t0 } = ctx;
  const R = T - t0;
  return (t) => Math.min(R, Math.max(0, T - t));
}

/** The forward discontinuities and observation times as interior breaking points of the reversed solve. */
export function reversedBreakpoints(ctx: GradContext, times: Iterable<number>): number[] {
  const toR = reversedTime(ctx);
  const R = ctx.T - ctx.t0;
  return [...times].map(toR).filter((r) => r > 0 && r < R);
}

/**
 * Error weights of the backward solve (LinearDDESystem.errorWeights): the scale of each forward state, max |y_i| over
 * the solution's output points plus atol / rtol (where the forward solve's own control turns absolute). The gradient
 * pairs lambda_i with sensitivities of that scale, so lambda is controlled in the dual, norm-wise sense.
 */
export function adjointErrorWeights(ctx: GradContext, rtol: number, atol: number): Float64Array {
  const w = new Float64Array(ctx.n).fill(atol / rtol);
  const rows = ctx.solution.y;
  for (let i = 0; i < ctx.n; i++) {
    let big = 0;
    const row = rows[i];
    if (row) for (let k = 0; k < row.length; k++) big = Math.max(big, Math.abs(row[k]!));
    w[i] = w[i]! + big;
  }
  return w;
}

/** lambda(t_i-) = lambda(t_i+) + g_i,y at every observation time (the first n states are lambda). */
export function observationJumps(ctx: GradContext): { t: number; apply: (x: Float64Array) => void }[] {
  const toR = reversedTime(ctx);
  const n = ctx.n;
  return ctx.points.map((pt) => ({
    t: toR(pt.t),
    apply: (x: Float64Array) => {
      for (let i = 0; i < n; i++) x[i] = x[i]! + pt.gy[i]!;
    },
  }));
}

/**
 * dJ/dtheta from the backward solve: the quadratures (states n..n+nt-1 of `final`), the initial-value, direct and
 * moving-breaking-point terms. `skipLinearJumps`: jumps whose condition depends on s were transposed during the solve.
 */
export function adjointGradient(ctx: GradContext, track: DenseTrack, skipLinearJumps = false): Float64Array {
  const { n, nt } = ctx;
  const toR = reversedTime(ctx);
  const fin = track.final;
  const gradient = new Float64Array(nt);
  for (let k = 0; k < nt; k++) {
    let g = fin[n + k]!;
    for (let i = 0; i < n; i++) g += fin[i]! * ctx.s0[k * n + i]!;
    gradient[k] = g;
  }
  for (const pt of ctx.points) for (let k = 0; k < nt; k++) gradient[k] = gradient[k]! + pt.gp[k]!;
  const xs = new Float64Array(fin.length);
  for (const jmp of ctx.jumps) {
    if (skipLinearJumps && jmp.linear) continue;
    track.eval(toR(jmp.t), xs);
    for (let k = 0; k < nt; k++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += xs[i]! * jmp.v[k * n + i]!;
      gradient[k] = gradient[k]! + acc;
    }
  }
  return gradient;
}

/** The result of a finished backward solve: dJ/dtheta and lambda(t) (the first n states) read from its track. */
export function adjointResult(ctx: GradContext, track: DenseTrack, skipLinearJumps = false): AdjointResult {
  if (!track.ok) throw new GradoptError("E_SOLVER", `the adjoint solve failed: ${track.message}`);
  const gradient = adjointGradient(ctx, track, skipLinearJumps);
  const toR = reversedTime(ctx);
  const xs = new Float64Array(track.final.length);
  return {
    gradient,
    adjoint: (t, out) => {
      track.eval(toR(t), xs);
      out.set(xs.subarray(0, ctx.n));
      return out;
    },
    track,
  };
}

/**
 * The backward solve's settings shared by the adjoints with constant lags: breaking points at the reversed forward
 * discontinuities and observation times, the observation jumps, the parameter quadratures and their error weights.
 */
export function constantLagAdjointSettings(ctx: GradContext, rtol: number, atol: number) {
  return {
    breakpoints: reversedBreakpoints(ctx, [...ctx.discontinuities, ...ctx.compiled.points.map((pt) => pt.t)]),
    stateJumps: observationJumps(ctx),
    rtol,
    atol,
    quadratures: ctx.nt,
    errorWeights: adjointErrorWeights(ctx, rtol, atol),
  };
}

/** Scratch of addLaggedArgumentTerms: d phi / d theta at the targets (n x nt), y' (n), and the history's full dp. */
export interface LaggedTermScratch {
  readonly phiP: Float64Array;
  readonly yp: Float64Array;
  readonly full: Float64Array;
}

/**
 * The parameter quadratures' terms of lagged argument j, given its adjoint weight w = f_zj^T lambda at t and the lagged
 * time tl: out[n + k] += w^T phi_theta_k(tl) where tl reads a parameter-dependent history (`inHistory`), and
 * out[n + k] -= (w^T y'(tl)) dtau[at + k] where the lag moves (`moving`; y' on side ts). Returns w^T y'(tl) (0 when
 * the lag does not move).
 */
export function addLaggedArgumentTerms(
  ctx: GradContext,
  tl: number,
  ts: Side,
  inHistory: boolean,
  moving: boolean,
  w: Float64Array,
  dtau: Float64Array,
  at: number,
  out: Float64Array,
  s: LaggedTermScratch,
): number {
  const { problem, n, nt, p, targets } = ctx;
  if (inHistory && problem.history.dp) {
    historyDp(problem, tl, p, targets.indices, s.phiP, s.full);
    for (let k = 0; k < nt; k++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += w[i]! * s.phiP[k * n + i]!;
      out[n + k] = out[n + k]! + acc;
    }
  }
  if (moving) {
    ctx.traj.yPrime(tl, s.yp, ts);
    let wy = 0;
    for (let i = 0; i < n; i++) wy += w[i]! * s.yp[i]!;
    for (let k = 0; k < nt; k++) out[n + k] = out[n + k]! - wy * dtau[at + k]!;
    return wy;
  }
  return 0;
}

/**
 * The adjoint's lagged outputs before scaling: out = f_z(t)^T x (all m blocks) at t = T - r, the forward values read from
 * the right (an output is evaluated strictly inside a step: no side to pick). y, z, lags: scratch. Returns t.
 */
export function laggedAdjointOutputs(
  ctx: GradContext,
  lin: Linearizer,
  r: number,
  x: Float64Array,
  out: Float64Array,
  y: Float64Array,
  z: Float64Array,
  lags: Float64Array,
): number {
  const t = ctx.T - r;
  ctx.traj.y(t, y, "right");
  ctx.traj.lagged(t, y, z, lags, "right");
  out.fill(0);
  lin.vjp(t, y, z, ctx.p, x, null, out, null);
  return t;
}
