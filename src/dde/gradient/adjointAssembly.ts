/**
 * The pieces every adjoint (constant, time-/state-dependent and neutral delays) shares around its backward solve, in
 * reversed time r = T - t: the observation jumps lambda += g_y, the reversed breaking points, and the final sum
 *   dJ/dtheta_k = Q_k(t0) + lambda(t0-)^T dy0/dtheta_k + sum_i g_i,p + sum_xi lambda(xi)^T v_k(xi).
 */
import { GradoptError } from "../../errors.js";
import type { AdjointResult } from "./adjoint.js";
import type { GradContext } from "./context.js";
import type { DenseTrack } from "./integrator.js";

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
