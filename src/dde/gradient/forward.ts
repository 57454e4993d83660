/**
 * Forward sensitivities s_k = dy/dtheta_k along a solved trajectory:
 *   s' = f_y s + sum_j f_zj [ s(t - tau_j) - y'(t - tau_j) (dtau_j/dtheta + tau_j,y s) ] + f_theta,
 *   s = dphi/dtheta before t0, s(t0) = dy0/dtheta, jumps s(xi+) = s(xi-) + v at moving breaking points,
 * with y'(t - tau) evaluated from f (the solver's `derivative`), never from the interpolant. Integral cost terms are
 * carried as quadrature states Q_k' = q_y s_k + q_p.
 */
import type { Side } from "./integrator.js";
import { integrateLinearDDE, type DenseTrack } from "./integrator.js";
import { addIntegrandSensitivity, integralCovers } from "./cost.js";
import { Linearizer } from "./jacobians.js";
import { assembleForward, sensitivityJumps, trajectoryLag } from "./assemble.js";
import type { GradContext } from "./context.js";
import { historyDp, lagDp, lagDy } from "./targets.js";

export interface ForwardResult {
  /** dJ/dtheta; NaN where the cost is not differentiable (see oneSided). */
  gradient: Float64Array;
  /** Targets whose derivative has two different one-sided values (an observation on a moving breaking point). */
  oneSided: { index: number; left: number; right: number }[];
  /** s(t) target-major (out[k*n + i] = dy_i/dtheta_k); `side` at a jump of s. */
  sensitivity(t: number, out: Float64Array, side?: Side): Float64Array;
  track: DenseTrack;
}

export function runForward(ctx: GradContext, rtol: number, atol: number): ForwardResult {
  const { problem, traj, n, m, nt, p, targets } = ctx;
  const np = p.length;
  const integrals = ctx.compiled.integrals;
  const nq = integrals.length > 0 ? nt : 0;
  const NS = n * nt;
  const N = NS + nq;
  const lin = new Linearizer(problem, targets.indices, p);
  const y = new Float64Array(n);
  const z = new Float64Array(m * n);
  const lags = new Float64Array(m);
  const yp = new Float64Array(m * n);
  const ypBuf = new Float64Array(n);
  const dtauRow = new Float64Array(nt);
  const tauY = new Float64Array(n);
  const pm = Float64Array.from(p);
  const scratch = new Float64Array(Math.max(n * np, np, 1));
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const constant = ctx.constantLags;
  const delays = problem.delays;

  // y'(t - tau_j) enters only through a lag that moves with a target (or with the state).
  const needYp = delays.map(
    (d, j) =>
      !constant ||
      d.kind !== "constant" ||
      Array.from({ length: nt }, (_, k) => ctx.dtau[j * nt + k]!).some((v) => v !== 0),
  );
  const x0 = new Float64Array(N);
  x0.set(ctx.s0);

  // The lagged directions of every target, laid out for lin.jvp: vz[k*m*n + j*n + l].
  const vz = new Float64Array(Math.max(1, nt * m * n));
  const cols = targets.indices;
  const anyYp = needYp.some((v) => v);

  const rhs = (
    t: number,
    x: Float64Array,
    xlag: Float64Array,
    side: Side,
    out: Float64Array,
    withQuad: boolean,
  ) => {
    traj.y(t, y, side);
    traj.lagged(t, y, z, lags, side);
    if (anyYp)
      for (let j = 0; j < m; j++) {
        if (!needYp[j]) continue;
        traj.yPrime(t - lags[j]!, ypBuf, side);
        yp.set(ypBuf, j * n);
      }
    // vz = s(t - tau_j) - y'(t - tau_j) (dtau_j/dtheta + tau_j,y s)
    for (let j = 0; j < m; j++) {
      const d = delays[j]!;
      const xo = j * NS;
      if (!needYp[j]) {
        for (let k = 0; k < nt; k++) {
          const vo = k * m * n + j * n;
          const so = xo + k * n;
          for (let l = 0; l < n; l++) vz[vo + l] = xlag[so + l]!;
        }
        continue;
      }
      if (constant) for (let k = 0; k < nt; k++) dtauRow[k] = ctx.dtau[j * nt + k]!;
      else lagDp(d, t, y, pm, targets.indices, dtauRow, scratch);
      const stateDep = d.kind === "state";
      if (stateDep) lagDy(d, t, y, p, tauY);
      for (let k = 0; k < nt; k++) {
        let dtau = dtauRow[k]!;
        if (stateDep) for (let l = 0; l < n; l++) dtau += tauY[l]! * x[k * n + l]!;
        const vo = k * m * n + j * n;
        const so = xo + k * n;
        for (let l = 0; l < n; l++) vz[vo + l] = xlag[so + l]! - yp[j * n + l]! * dtau;
      }
    }
    // s' = f_y s + sum_j f_zj vz_j + f_theta, for every target at once.
    lin.jvp(t, y, z, p, x, vz, cols, out);
    if (nq > 0 && withQuad) {
      out.fill(0, NS, N);
      for (const it of integrals)
        if (integralCovers(it, t, side))
          addIntegrandSensitivity(it.q, t, y, pm, targets.indices, x, 1, out, NS, qy, qp, scratch);
    }
  };

  const track = integrateLinearDDE({
    N,
    t0: ctx.t0,
    t1: ctx.T,
    x0,
    m,
    lag: trajectoryLag(ctx),
    constantLags: constant,
    history: (t, out) => historyDp(problem, t, p, targets.indices, out, scratch),
    rhs,
    breakpoints: ctx.discontinuities,
    stateJumps: sensitivityJumps(ctx, NS),
    rtol,
    atol,
    quadratures: nq,
  });

  return { ...assembleForward(ctx, track, NS, nq), track };
}
