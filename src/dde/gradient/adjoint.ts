/**
 * The adjoint method (constant delays). With J = sum_i g_i(y(t_i)) + integral q dt, the adjoint lambda solves, backwards,
 *   lambda' = -f_y^T lambda - sum_j 1[t + tau_j <= T] f_zj(t + tau_j)^T lambda(t + tau_j) - q_y^T,
 *   lambda(T+) = 0, lambda(t_i-) = lambda(t_i+) + g_i,y   (observation jumps),
 * and then, with b_k = f_theta_k + sum_j f_zj [ dphi/dtheta_k(t - tau_j) 1[t - tau_j < t0] - y'(t - tau_j) dtau_j/dtheta_k ],
 *   dJ/dtheta_k = sum_i g_i,p + integral (lambda^T b_k + q_p) dt + lambda(t0-)^T dy0/dtheta_k + sum_xi lambda(xi)^T v_k(xi).
 * In reversed time r = T - t this is a retarded DDE with zero history, solved by the same integrator as the forward
 * sensitivities (on the same dense forward solution); the integrals ride along as quadrature states. Each right-hand
 * side is one vector-Jacobian product at t (lambda^T f_y, the targets' lambda^T f_theta and, at a step's ends,
 * lambda^T f_z); the lagged term B_j(t + tau_j)^T lambda(t + tau_j) is a lagged output of the integrator, formed at the
 * ends and three interior points of each step and interpolated, instead of a second product at every stage. The cost
 * grows with the number of targets only through the entries of lambda^T f_theta.
 */
import {
  adjointResult,
  constantLagAdjointSettings,
  addLaggedArgumentTerms,
  laggedAdjointOutputs,
} from "./adjointAssembly.js";
import { GradoptError } from "../../errors.js";
import type { GradContext } from "./context.js";
import { integrateLinearDDE, type DenseTrack, type Side } from "./integrator.js";
import { addIntegralForcing } from "./cost.js";
import { Linearizer } from "./jacobians.js";

export interface AdjointResult {
  gradient: Float64Array;
  /** lambda(t) (length n). */
  adjoint(t: number, out: Float64Array): Float64Array;
  track: DenseTrack;
}

export function runAdjoint(ctx: GradContext, rtol: number, atol: number): AdjointResult {
  if (!ctx.constantLags)
    throw new GradoptError(
      "E_ARG",
      'the adjoint method needs constant delays; use method "forward" for time- or state-dependent delays',
    );
  const { problem, traj, n, m, nt, p, targets, T, t0 } = ctx;
  const np = p.length;
  const N = n + nt;
  const lin = new Linearizer(problem, targets.indices, p);
  const delays = problem.delays;
  const y = new Float64Array(n);
  const yA = new Float64Array(n);
  const z = new Float64Array(m * n);
  const zA = new Float64Array(m * n);
  const lags = new Float64Array(m);
  const tau = Float64Array.from(delays, (d) => d.lag(t0, y, p));
  const scratch = new Float64Array(Math.max(n * np, np, 1));
  const lagScratch = { phiP: new Float64Array(n * nt), yp: new Float64Array(n), full: scratch };
  const pm = Float64Array.from(p);
  const quadViews = new Map<Float64Array, Float64Array>();
  const wNow = new Float64Array(m * n);
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const integrals = ctx.compiled.integrals;
  const flip = (s: Side): Side => (s === "left" ? "right" : "left");
  // B_j(t)^T lambda(t) enters the quadratures only through history parameters or delays that are targets.
  const needYp = delays.map((_, j) => {
    for (let k = 0; k < nt; k++) if (ctx.dtau[j * nt + k] !== 0) return true;
    return false;
  });
  const wNowBlocks = Array.from({ length: m }, (_, j) => wNow.subarray(j * n, (j + 1) * n));
  const needNow = problem.history.dp !== undefined || needYp.some((v) => v);

  let lastT = NaN;
  let lastSide: Side = "right";
  const rhs = (
    r: number,
    x: Float64Array,
    xlag: Float64Array,
    side: Side,
    out: Float64Array,
    withQuad: boolean,
    _xdlag: Float64Array,
    outputs: Float64Array | null,
  ) => {
    const t = exactT(r);
    const ts = flip(side);
    // The last two stages of a step sit at the same time and side: the forward values are those of the stage before.
    if (t !== lastT || ts !== lastSide) {
      traj.y(t, y, ts);
      traj.lagged(t, y, z, lags, ts);
      lastT = t;
      lastSide = ts;
    }
    // lambda' = f_y^T lambda (reversed time), the quadratures lambda^T f_theta and, where asked, the outputs
    // B_j(t)^T lambda(t), from one product at t, written straight into out (the integrator hands the same seven stage
    // rows every time: their quadrature views are kept).
    out.fill(0, 0, N);
    const wantW = (needNow && withQuad) || outputs !== null;
    if (wantW) wNow.fill(0);
    let quad = quadViews.get(out);
    if (!quad) quadViews.set(out, (quad = out.subarray(n, N)));
    lin.vjp(t, y, z, p, x, out, wantW ? wNow : null, withQuad ? quad : null);
    if (outputs) outputs.set(wNow);
    // + sum_j B_j(t + tau_j)^T lambda(t + tau_j): lagged output j (zero history beyond T).
    for (let j = 0; j < m; j++) {
      const off = j * n;
      for (let i = 0; i < n; i++) out[i] = out[i]! + xlag[off + i]!;
    }
    if (needNow && withQuad)
      for (let j = 0; j < m; j++) {
        const tl = t - tau[j]!;
        const w = wNowBlocks[j]!;
        // Compared with xi = t0 + tau_j as the breaking point list has it: t - tau_j may round off t0 at t = xi.
        const xi = t0 + tau[j]!;
        const inHistory = t < xi || (t === xi && ts === "left");
        addLaggedArgumentTerms(ctx, tl, ts, inHistory, needYp[j]!, w, ctx.dtau, j * nt, out, lagScratch);
      }
    addIntegralForcing(integrals, t, ts, y, pm, targets.indices, out, withQuad, qy, qp, scratch);
  };

  const R = T - t0;
  const toR = (t: number) => Math.min(R, Math.max(0, T - t));
  // T - (T - t) need not round back to t: at a stop, the right-hand side must see the forward breaking point exactly (its
  // one-sided values, the history indicator), or a stage lands on the wrong side of a jump.
  const exact = new Map<number, number>();
  for (const x of [...ctx.discontinuities, ...ctx.compiled.points.map((pt) => pt.t), t0, T])
    exact.set(toR(x), x);
  const stopR = Float64Array.from(exact.keys()).sort();
  const stopT = Float64Array.from(stopR, (r) => exact.get(r)!);
  // Stage times mostly move forward: a moving index finds the stop r may sit on without a search.
  let at = 0;
  const exactT = (r: number): number => {
    while (at > 0 && stopR[at - 1]! >= r) at--;
    while (at < stopR.length && stopR[at]! < r) at++;
    return at < stopR.length && stopR[at] === r ? stopT[at]! : T - r;
  };
  const track = integrateLinearDDE({
    N,
    t0: 0,
    t1: R,
    x0: new Float64Array(N),
    m,
    lag: (_r, j) => tau[j]!,
    constantLags: true,
    history: (_r, out) => out.fill(0),
    rhs,
    // a_j(r) = B_j(t)^T lambda(t) at t = T - r (strictly inside a step: no side to pick).
    laggedOutputs: {
      size: n,
      eval: (r, x, out) => void laggedAdjointOutputs(ctx, lin, r, x, out, yA, zA, lags),
    },
    ...constantLagAdjointSettings(ctx, rtol, atol),
  });
  return adjointResult(ctx, track);
}
