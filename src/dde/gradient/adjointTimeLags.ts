/**
 * The adjoint method for time-dependent (and constant) delays tau_j(t, p). With alpha_j(t) = t - tau_j(t) increasing
 * (alpha_j' = 1 - tau_j,t > 0) and beta_j its inverse, the delayed term of the sensitivity equation,
 * integral lambda(t)^T f_zj(t) s(alpha_j(t)) dt, becomes after u = alpha_j(t) an ADVANCED term of the adjoint:
 *   lambda'(t) = -f_y^T lambda - sum_j 1[t <= alpha_j(T)] beta_j'(t) f_zj(beta_j(t))^T lambda(beta_j(t)) - q_y^T,
 *   beta_j'(t) = 1 / (1 - tau_j,t(beta_j(t))),
 * with lambda(T+) = 0 and the observation jumps. In reversed time r = T - t it is a retarded DDE with the time-dependent
 * lag beta_j(t) - t; its breaking points are the images of the observation times, T and the forward discontinuities
 * under alpha_j. The parameter integrals are those of the constant-lag adjoint with tau_j,theta(t) varying:
 *   dJ/dtheta = sum g_theta + integral lambda^T [ f_theta + sum_j f_zj (phi_theta(alpha_j) 1[alpha_j < t0]
 *               - y'(alpha_j) tau_j,theta(t)) ] + q_theta dt + lambda(t0)^T dy0/dtheta + sum_xi lambda(xi)^T v(xi).
 * A state-dependent delay tau_j(t, y) takes alpha_j and beta_j along the forward solution and adds the transposed
 * -f_zj y'(alpha_j) tau_j,y term to f_y^T lambda.
 * Each right-hand side is one vector-Jacobian product at t; the advanced term is a lagged output of the integrator,
 * a_j(s) = f_zj(s)^T lambda(s) / alpha_j'(s), read at s = beta_j(t) (formed at the ends and three interior points of
 * each step instead of a look-up and a Jacobian at beta_j(t) at every stage).
 */
import {
  addLaggedArgumentTerms,
  adjointErrorWeights,
  adjointResult,
  laggedAdjointOutputs,
  observationJumps,
} from "./adjointAssembly.js";
import { GradoptError } from "../../errors.js";
import type { AdjointResult } from "./adjoint.js";
import type { GradContext } from "./context.js";
import { integrateLinearDDE, type Side } from "./integrator.js";
import { addIntegralForcing } from "./cost.js";
import { Linearizer } from "./jacobians.js";
import { lagDp, lagDy } from "./targets.js";

/** Illinois root of g on [a, b] with g(a) <= 0 <= g(b). */
function illinois(g: (x: number) => number, a: number, b: number, ga: number, gb: number): number {
  let side = 0;
  for (let it = 0; it < 100; it++) {
    const c = (a * gb - b * ga) / (gb - ga);
    const gc = g(c);
    if (gc === 0 || Math.abs(b - a) <= 4e-16 * Math.max(1, Math.abs(c))) return c;
    if (gc * gb > 0) {
      b = c;
      gb = gc;
      if (side === -1) ga /= 2;
      side = -1;
    } else {
      a = c;
      ga = gc;
      if (side === 1) gb /= 2;
      side = 1;
    }
  }
  return 0.5 * (a + b);
}

export function runAdjointTimeLags(ctx: GradContext, rtol: number, atol: number): AdjointResult {
  const { problem, traj, n, m, nt, p, targets, T, t0 } = ctx;
  const delays = problem.delays;
  if (delays.some((d) => d.neutral) || ctx.jumps.some((j) => j.update && !j.linear))
    throw new GradoptError(
      "E_ARG",
      'the adjoint method does not support neutral delays (f reads y\'(t - tau)); use method "forward"',
    );
  const np = p.length;
  const N = n + nt;
  const lin = new Linearizer(problem, targets.indices, p);
  const linAhead = new Linearizer(problem, targets.indices, p);
  const y = new Float64Array(n);
  const yA = new Float64Array(n);
  const z = new Float64Array(m * n);
  const zA = new Float64Array(m * n);
  const lags = new Float64Array(m);
  const lagsA = new Float64Array(m);
  const scratch = new Float64Array(Math.max(n * np, np, 1));
  const lagScratch = { phiP: new Float64Array(n * nt), yp: new Float64Array(n), full: scratch };
  const pm = Float64Array.from(p);
  const wAll = new Float64Array(m * n);
  const wBlocks = Array.from({ length: m }, (_, j) => wAll.subarray(j * n, (j + 1) * n));
  const quadViews = new Map<Float64Array, Float64Array>();
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const dtauRow = new Float64Array(nt);
  const noY = new Float64Array(n);
  const integrals = ctx.compiled.integrals;
  const flip = (s: Side): Side => (s === "left" ? "right" : "left");

  const yT = new Float64Array(n);
  const ypT = new Float64Array(n);
  const tauYBuf = new Float64Array(n);
  const stateDep = delays.map((d) => d.kind === "state");
  /** tau_j(t, y(t)) along the forward solution. */
  const tau = (j: number, t: number, side: Side = "right") => {
    if (!stateDep[j]) return delays[j]!.lag(t, noY, p);
    return delays[j]!.lag(t, traj.y(t, yT, side), p);
  };
  const alpha = (j: number, t: number) => t - tau(j, t);
  const alphaT = Float64Array.from(delays, (_, j) => alpha(j, T));
  /** alpha_j'(t) = 1 - tau_t - tau_y y'(t), on `side` (y' jumps at breaking points). */
  const rate = (j: number, t: number, side: Side) => {
    const d = delays[j]!;
    if (d.kind === "constant") return 1;
    const h = 6e-6 * Math.max(1, Math.abs(t));
    if (!stateDep[j]) return 1 - (d.lag(t + h, noY, p) - d.lag(t - h, noY, p)) / (2 * h);
    traj.y(t, yT, side);
    let r = 1 - (d.lag(t + h, yT, p) - d.lag(t - h, yT, p)) / (2 * h);
    lagDy(d, t, yT, p, tauYBuf);
    traj.yPrime(t, ypT, side);
    for (let i = 0; i < n; i++) r -= tauYBuf[i]! * ypT[i]!;
    return r;
  };
  // beta_j(t), cached for the last t asked (the integrator asks the lag, then the rhs, at the same t).
  const lastT = new Float64Array(m).fill(NaN);
  const lastBeta = new Float64Array(m);
  const beta = (j: number, t: number): number => {
    if (lastT[j] === t) return lastBeta[j]!;
    let b: number;
    if (delays[j]!.kind === "constant") b = t + tau(j, t0);
    else {
      const g = (s: number) => alpha(j, s) - t;
      const ga = g(t);
      const gb = g(T);
      b = ga >= 0 ? t : gb <= 0 ? T : illinois(g, t, T, ga, gb);
    }
    lastT[j] = t;
    lastBeta[j] = b;
    return b;
  };

  const rhs = (
    r: number,
    x: Float64Array,
    xlag: Float64Array,
    side: Side,
    out: Float64Array,
    _quad: boolean,
    _xdlag: Float64Array,
    outputs: Float64Array | null,
  ) => {
    const t = T - r;
    const ts = flip(side);
    traj.y(t, y, ts);
    traj.lagged(t, y, z, lags, ts);
    // f_y^T lambda, f_theta^T lambda (the targets) and w_j = f_zj^T lambda from one product at t (matrix-free where the
    // problem has a vjp), written straight into out.
    out.fill(0, 0, N);
    wAll.fill(0);
    let quad = quadViews.get(out);
    if (!quad) quadViews.set(out, (quad = out.subarray(n, N)));
    lin.vjp(t, y, z, p, x, out, wAll, quad);
    // + beta_j' f_zj(beta_j)^T lambda(beta_j) while beta_j(t) <= T: the lagged output a_j at beta_j(t) (zero beyond).
    for (let j = 0; j < m; j++) {
      if (t > alphaT[j]!) continue;
      const off = j * n;
      for (let i = 0; i < n; i++) out[i] = out[i]! + xlag[off + i]!;
    }
    if (m > 0) {
      for (let j = 0; j < m; j++) {
        const tl = t - lags[j]!;
        const w = wBlocks[j]!;
        if (outputs) {
          const scale = 1 / rate(j, t, ts);
          for (let i = 0; i < n; i++) outputs[j * n + i] = scale * w[i]!;
        }
        const inHistory = tl < t0 || (tl === t0 && ts === "left");
        lagDp(delays[j]!, t, y, pm, targets.indices, dtauRow, scratch);
        const moving = stateDep[j]! || dtauRow.some((v) => v !== 0);
        const wy = addLaggedArgumentTerms(ctx, tl, ts, inHistory, moving, w, dtauRow, 0, out, lagScratch);
        // A state-dependent lag: the sensitivity's f_y becomes f_y - f_zj y'(t - tau) tau_y, transposed here.
        if (stateDep[j]) {
          lagDy(delays[j]!, t, y, p, tauYBuf);
          for (let i = 0; i < n; i++) out[i] = out[i]! - tauYBuf[i]! * wy;
        }
      }
    }
    addIntegralForcing(integrals, t, ts, y, pm, targets.indices, out, true, qy, qp, scratch);
  };

  // Breaking points of lambda: T, the observations and the forward discontinuities, and their images under alpha_j.
  const bases = new Set<number>([T, ...ctx.discontinuities, ...ctx.compiled.points.map((pt) => pt.t)]);
  let frontier = [...bases];
  for (let depth = 0; depth < 5 && frontier.length > 0 && bases.size < 20000; depth++) {
    const next: number[] = [];
    for (const x of frontier)
      for (let j = 0; j < m; j++) {
        const a = alpha(j, x);
        if (a > t0 && a < x && !bases.has(a)) {
          bases.add(a);
          next.push(a);
        }
      }
    frontier = next;
  }
  const R = T - t0;
  const toR = (t: number) => Math.min(R, Math.max(0, T - t));
  const track = integrateLinearDDE({
    N,
    t0: 0,
    t1: R,
    x0: new Float64Array(N),
    m,
    // beyond alpha_j(T) the advanced value is the zero history after T: any lag reaching before r = 0 reads it.
    lag: (r, j) => {
      const t = T - r;
      return t > alphaT[j]! ? r + 1 : beta(j, t) - t;
    },
    constantLags: false,
    history: (_r, out) => out.fill(0),
    rhs,
    // a_j(s) = f_zj(s)^T lambda(s) / alpha_j'(s) at s = T - r (strictly inside a step), read at s = beta_j(t).
    laggedOutputs: {
      size: n,
      eval: (r, x, out) => {
        const t = laggedAdjointOutputs(ctx, linAhead, r, x, out, yA, zA, lagsA);
        for (let j = 0; j < m; j++) {
          const scale = 1 / rate(j, t, "right");
          for (let i = j * n; i < (j + 1) * n; i++) out[i] = scale * out[i]!;
        }
      },
    },
    breakpoints: [...bases].map(toR).filter((r) => r > 0 && r < R),
    stateJumps: [
      ...observationJumps(ctx),
      // s(xi+) = s(xi-) - dy (base + tauY . s(xi-)) / rate, transposed: lambda(xi-) = lambda(xi+) - tauY (dy . lambda) / rate,
      // and the constant part lands in the parameter quadratures.
      ...ctx.jumps.flatMap((jmp) => {
        const lin = jmp.linear;
        if (!lin) return [];
        return [
          {
            t: toR(jmp.t),
            apply: (x: Float64Array) => {
              let g = 0;
              for (let i = 0; i < n; i++) g += lin.dy[i]! * x[i]!;
              g /= lin.rate;
              for (let i = 0; i < n; i++) x[i] = x[i]! - lin.tauY[i]! * g;
              for (let k = 0; k < nt; k++) x[n + k] = x[n + k]! - g * lin.base[k]!;
            },
          },
        ];
      }),
    ],
    rtol,
    atol,
    quadratures: nt,
    errorWeights: adjointErrorWeights(ctx, rtol, atol),
  });
  return adjointResult(ctx, track, true);
}
