/**
 * Forward sensitivities of a neutral DDE y'(t) = f(t, y, z, p, zd), zd_j = y'(t - tau_j). Differentiating f gives a
 * linear NEUTRAL DDE for s = dy/dtheta:
 *   s' = f_y s + sum_j f_zj [ s(t - tau_j) - y'(t - tau_j) delta_j ] + sum_j f_zdj [ s'(t - tau_j) - y''(t - tau_j) delta_j ]
 *        + f_theta,          delta_j = dtau_j/dtheta (+ tau_j,y s for a state-dependent lag),
 * with s = dphi/dtheta before t0 (s' = its time derivative there) and the jump conditions of jumps.ts at the breaking
 * points that move with a target (through a neutral delay y' keeps jumping at every t0 + k tau, so s jumps there too).
 * s'(t - tau) is evaluated from this right-hand side on the stored past (the integrator's neutral lags), y'(t - tau)
 * from f (the solution's `derivative`), and y''(t - tau) by the chain rule
 *   y'' = f_t + f_y y' + sum_j (1 - tau_j') [ f_zj y'(t - tau_j) + f_zdj y''(t - tau_j) ],
 * recursively down to the history's phi'' -- never by differentiating an interpolant.
 */
import type { GradContext } from "./context.js";
import type { ForwardResult } from "./forward.js";
import { assembleForward, sensitivityJumps, trajectoryLag } from "./assemble.js";
import { integrateLinearDDE, type Side } from "./integrator.js";
import { addIntegrandSensitivity, integralCovers } from "./cost.js";
import { NeutralLinearizer } from "./neutralJacobians.js";
import { historyJumpTimes, neutralRecursionDepth, sidedDifference } from "./jumps.js";
import { historyDp, lagDp, lagDy } from "./targets.js";

interface Level {
  lin: NeutralLinearizer;
  y: Float64Array;
  z: Float64Array;
  zd: Float64Array;
  lags: Float64Array;
  yp: Float64Array;
  ypp: Float64Array;
  C: Float64Array;
  rate: Float64Array;
}

export function runNeutralForward(ctx: GradContext, rtol: number, atol: number): ForwardResult {
  const { problem, n, m, nt, p, targets } = ctx;
  const np = p.length;
  const integrals = ctx.compiled.integrals;
  const nq = integrals.length > 0 ? nt : 0;
  const NS = n * nt;
  const N = NS + nq;
  const delays = problem.delays;
  const t0 = ctx.t0;
  const constant = ctx.constantLags;
  const neutral = delays.map((d) => d.neutral === true);
  const pm = Float64Array.from(p);
  const scratch = new Float64Array(Math.max(n * np, np, 1));
  const dtauRow = new Float64Array(nt);
  const tauY = new Float64Array(n);
  const dz = new Float64Array(n);
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const hA = new Float64Array(NS);
  const hB = new Float64Array(NS);
  const hC = new Float64Array(NS);
  const hOut = new Float64Array(NS);
  const historyJumps = historyJumpTimes(problem, ctx.t0);

  // y'(t - tau_j) and y''(t - tau_j) enter only through a lag that moves with a target (or with the state).
  const moving = delays.map(
    (d, j) =>
      !constant ||
      d.kind !== "constant" ||
      Array.from({ length: nt }, (_, k) => ctx.dtau[j * nt + k]!).some((v) => v !== 0),
  );

  const { level, state, second } = neutralChain(ctx);

  const top = level(0);
  const ypp = new Float64Array(m * n);
  const rhs = (
    t: number,
    x: Float64Array,
    xlag: Float64Array,
    side: Side,
    out: Float64Array,
    _quadratures: boolean,
    xdlag: Float64Array,
  ) => {
    state(t, side, top);
    const { y, lags } = top;
    const lin = top.lin;
    lin.linearize(t, y, top.z, top.zd, p);
    const { A, B, C, Fp } = lin;
    for (let k = 0; k < nt; k++) {
      const sk = k * n;
      for (let i = 0; i < n; i++) {
        let acc = Fp[i * nt + k]!;
        for (let l = 0; l < n; l++) acc += A[i * n + l]! * x[sk + l]!;
        out[sk + i] = acc;
      }
    }
    // y''(t - tau_j) for moving neutral lags, computed after A, B, C, Fp are used or copied (the recursion uses
    // deeper levels only, so `lin` stays valid).
    for (let j = 0; j < m; j++)
      if (neutral[j] && moving[j]) second(t - lags[j]!, side, 1, ypp.subarray(j * n, (j + 1) * n));
    for (let j = 0; j < m; j++) {
      const d = delays[j]!;
      if (constant) for (let k = 0; k < nt; k++) dtauRow[k] = ctx.dtau[j * nt + k]!;
      else lagDp(d, t, y, pm, targets.indices, dtauRow, scratch);
      const stateDep = d.kind === "state";
      if (stateDep) lagDy(d, t, y, p, tauY);
      const Bj = j * n * n;
      for (let k = 0; k < nt; k++) {
        let dtau = moving[j] ? dtauRow[k]! : 0;
        if (stateDep) for (let l = 0; l < n; l++) dtau += tauY[l]! * x[k * n + l]!;
        const sk = k * n;
        for (let l = 0; l < n; l++) dz[l] = xlag[j * NS + sk + l]! - top.yp[j * n + l]! * dtau;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let l = 0; l < n; l++) acc += B[Bj + i * n + l]! * dz[l]!;
          out[sk + i] = out[sk + i]! + acc;
        }
        if (!neutral[j]) continue;
        for (let l = 0; l < n; l++) dz[l] = xdlag[j * NS + sk + l]! - ypp[j * n + l]! * dtau;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let l = 0; l < n; l++) acc += C[Bj + i * n + l]! * dz[l]!;
          out[sk + i] = out[sk + i]! + acc;
        }
      }
    }
    if (nq > 0) {
      out.fill(0, NS, N);
      for (const it of integrals)
        if (integralCovers(it, t, side))
          addIntegrandSensitivity(it.q, t, y, pm, targets.indices, x, 1, out, NS, qy, qp, scratch);
    }
  };

  const x0 = new Float64Array(N);
  x0.set(ctx.s0);
  const track = integrateLinearDDE({
    N,
    t0,
    t1: ctx.T,
    x0,
    m,
    lag: trajectoryLag(ctx),
    constantLags: constant,
    history: (t, out) => {
      historyDp(problem, t, p, targets.indices, hA, scratch);
      out.fill(0);
      out.set(hA);
    },
    neutral,
    // d/dt of dphi/dtheta before t0 (zero for a constant history).
    historyDerivative: (t, out, side) => {
      out.fill(0);
      if (problem.history.constant || !problem.history.dp) return;
      const dp = (u: number, o: Float64Array) => historyDp(problem, u, p, targets.indices, o, scratch);
      sidedDifference(dp, t, side, historyJumps, hOut, hA, hB, hC);
      out.set(hOut);
    },
    rhs,
    breakpoints: ctx.discontinuities,
    stateJumps: sensitivityJumps(ctx, NS),
    rtol,
    atol,
    quadratures: nq,
  });
  return { ...assembleForward(ctx, track, NS, nq), track };
}

/**
 * y'' along the solution by the chain rule through f (recursively through the neutral lags), with the per-depth
 * linearizations it needs; shared by the neutral forward sensitivities and the neutral adjoint.
 */
export function neutralChain(ctx: GradContext) {
  const { problem, traj, n, m, p, targets } = ctx;
  const delays = problem.delays;
  const t0 = ctx.t0;
  const neutral = delays.map((d) => d.neutral === true);
  const tauY = new Float64Array(n);
  const ybuf = new Float64Array(n);
  const ybuf2 = new Float64Array(n);
  const ybuf3 = new Float64Array(n);
  const historyJumps = historyJumpTimes(problem, t0);
  const fJumps = (problem.jumps ?? []).filter((t) => t >= t0);
  const maxDepth = neutralRecursionDepth(neutral.filter((x) => x).length);
  const levels: Level[] = [];
  const level = (d: number): Level =>
    (levels[d] ??= {
      lin: new NeutralLinearizer(problem, targets.indices, p),
      y: new Float64Array(n),
      z: new Float64Array(m * n),
      zd: new Float64Array(m * n),
      lags: new Float64Array(m),
      yp: new Float64Array(m * n),
      ypp: new Float64Array(m * n),
      C: new Float64Array(m * n * n),
      rate: new Float64Array(m),
    });

  /** y, the lags, z, zd (= y'(t - tau_j) for every delay) at t into level b. */
  const state = (t: number, side: Side, b: Level) => {
    traj.y(t, b.y, side);
    traj.lagged(t, b.y, b.z, b.lags, side);
    for (let j = 0; j < m; j++) {
      traj.yPrime(t - b.lags[j]!, ybuf, side);
      b.yp.set(ybuf, j * n);
      if (neutral[j]) b.zd.set(ybuf, j * n);
    }
  };

  /** phi''(t): differences of the history's derivative (zero for a constant history), one-sided at its jumps. */
  const historySecond = (t: number, side: Side, out: Float64Array) => {
    if (problem.history.constant) return out.fill(0);
    const d1 = (u: number, o: Float64Array) => traj.historyDerivative(u, o, side);
    return sidedDifference(d1, t, side, historyJumps, out, ybuf, ybuf2, ybuf3);
  };

  /** d tau_j / dt along the solution at t (zero for a constant lag). */
  const lagRate = (j: number, t: number, y: Float64Array, yp: Float64Array): number => {
    const d = delays[j]!;
    if (d.kind === "constant") return 0;
    const h = 6e-6 * Math.max(1, Math.abs(t));
    let r = (d.lag(t + h, y, p) - d.lag(t - h, y, p)) / (2 * h);
    if (d.kind === "state") {
      lagDy(d, t, y, p, tauY);
      for (let i = 0; i < n; i++) r += tauY[i]! * yp[i]!;
    }
    return r;
  };

  // y'' at a past time is a property of the forward solution alone: remembered by (time to 1e-12 of the span, side),
  // so the recursions of nested evaluations (which meet the same lagged times by different paths) share it.
  const memo = new Map<number, Float64Array>();
  const quantum = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(ctx.T), ctx.T - t0);
  const keyOf = (t: number, side: Side) => Math.round((t - t0) / quantum) * 2 + (side === "left" ? 1 : 0);

  /** y''(t) by the chain rule through f, recursively through the neutral lags. */
  const second = (t: number, side: Side, depth: number, out: Float64Array): Float64Array => {
    if (t < t0 || (t === t0 && side === "left")) return historySecond(t, side, out);
    const key = keyOf(t, side);
    const known = memo.get(key);
    if (known) {
      out.set(known);
      return out;
    }
    if (memo.size > 50000) memo.clear();
    secondUncached(t, side, depth, out);
    memo.set(key, Float64Array.from(out));
    return out;
  };

  const secondUncached = (t: number, side: Side, depth: number, out: Float64Array): Float64Array => {
    const b = level(depth);
    state(t, side, b);
    const lin = b.lin;
    lin.linearize(t, b.y, b.z, b.zd, p, false);
    const Ft = lin.dt(t, b.y, b.z, b.zd, p, side, fJumps);
    const ypt = traj.yPrime(t, ybuf, side);
    for (let i = 0; i < n; i++) {
      let acc = Ft[i]!;
      for (let l = 0; l < n; l++) acc += lin.A[i * n + l]! * ypt[l]!;
      out[i] = acc;
    }
    for (let j = 0; j < m; j++) b.rate[j] = 1 - lagRate(j, t, b.y, ypt);
    b.C.set(lin.C);
    for (let j = 0; j < m; j++) {
      const Bj = j * n * n;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let l = 0; l < n; l++) acc += lin.B[Bj + i * n + l]! * b.yp[j * n + l]!;
        out[i] = out[i]! + b.rate[j]! * acc;
      }
    }
    // The recursion overwrites this level's linearizer only below it: C was copied first.
    for (let j = 0; j < m; j++) {
      if (!neutral[j]) continue;
      const w = b.ypp.subarray(j * n, (j + 1) * n);
      const tl = t - b.lags[j]!;
      if (depth + 1 < maxDepth || tl < t0) second(tl, side, depth + 1, w);
      // Beyond the depth cap: a one-sided difference of y' (from f), damped by the neutral factors above it.
      else sidedDifference((u, o) => traj.yPrime(u, o, side), tl, side, [tl], w, ybuf, ybuf2, ybuf3);
      const Cj = j * n * n;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let l = 0; l < n; l++) acc += b.C[Cj + i * n + l]! * w[l]!;
        out[i] = out[i]! + b.rate[j]! * acc;
      }
    }
    return out;
  };

  return { level, state, second };
}
