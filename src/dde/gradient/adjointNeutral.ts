/**
 * The adjoint method for neutral DDEs with constant delays. The forward sensitivity equation
 *   s' = f_y s + sum_j f_zj s(t - tau_j) + sum_{j neutral} f_zdj s'(t - tau_j) + b
 * pairs with the adjoint through eta = lambda - sum_{j neutral} f_zdj(t + tau_j)^T lambda(t + tau_j) (lambda = 0 after T):
 * integrating eta^T s' by parts leaves no s' terms, so
 *   eta' = -f_y^T lambda - sum_j f_zj(t + tau_j)^T lambda(t + tau_j) - q_y^T,     eta(T+) = 0,
 *   eta(t_i-) = eta(t_i+) + g_i,y   (observation jumps),
 *   lambda(t) = eta(t) + sum_{j neutral} f_zdj(t + tau_j)^T lambda(t + tau_j)   (a finite recursion into the future),
 *   dJ/dtheta = sum g_theta + integral (lambda^T b + q_theta) dt + eta(t0+)^T dy0/dtheta + sum_xi eta(xi)^T v(xi),
 * b holding f_theta and the history and moving-delay terms of both kinds of lag (phi_theta, phi_theta', y', y'').
 * The integrator solves eta backwards as a retarded DDE whose lags are every shift the recursion reaches
 * (sums of neutral delays, and each retarded delay plus such sums, up to T - t0).
 */
import { adjointResult, constantLagAdjointSettings, addLaggedArgumentTerms } from "./adjointAssembly.js";
import { GradoptError } from "../../errors.js";
import type { AdjointResult } from "./adjoint.js";
import type { GradContext } from "./context.js";
import { integrateLinearDDE, type Side } from "./integrator.js";
import { addIntegralForcing } from "./cost.js";
import { historyJumpTimes, sidedDifference } from "./jumps.js";
import { neutralChain } from "./neutral.js";
import { NeutralLinearizer } from "./neutralJacobians.js";
import { historyDp } from "./targets.js";

interface Node {
  /** Time shift ahead of t. */
  shift: number;
  /** Child node per delay (only neutral delays have children), or -1. */
  child: Int32Array;
}

// Each right-hand side linearizes f at every node: beyond this many shifts forward sensitivities are cheaper.
const MAX_NODES = 40;

export function runAdjointNeutral(ctx: GradContext, rtol: number, atol: number): AdjointResult {
  const { problem, n, m, nt, p, targets, T, t0 } = ctx;
  if (!ctx.constantLags)
    throw new GradoptError(
      "E_ARG",
      'the adjoint method for neutral delays needs constant delays; use method "forward"',
    );
  const delays = problem.delays;
  const neutral = delays.map((d) => d.neutral === true);
  const np = p.length;
  const R = T - t0;
  const y0 = new Float64Array(n);
  const tau = Float64Array.from(delays, (d) => d.lag(t0, y0, p));
  const eps = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(T), R);

  // Nodes: the root (shift 0) and every shift the recursion reaches, keyed by (retarded head, neutral counts).
  const nodes: Node[] = [];
  const index = new Map<string, number>();
  const firstLevel = new Int32Array(m).fill(-1);
  const node = (head: number, counts: number[]): number => {
    const key = `${head}|${counts.join(",")}`;
    const known = index.get(key);
    if (known !== undefined) return known;
    let shift = head >= 0 ? tau[head]! : 0;
    for (let j = 0; j < m; j++) shift += counts[j]! * tau[j]!;
    if (shift > R + eps) return -1;
    if (nodes.length >= MAX_NODES)
      throw new GradoptError(
        "E_ARG",
        `the neutral adjoint would need more than ${MAX_NODES} advanced shifts (short neutral delays over a long span); use method "forward"`,
      );
    const k = nodes.length;
    index.set(key, k);
    const nd: Node = { shift, child: new Int32Array(m).fill(-1) };
    nodes.push(nd);
    for (let j = 0; j < m; j++) {
      if (!neutral[j] || !(tau[j]! > 0)) continue;
      const c = counts.slice();
      c[j] = c[j]! + 1;
      nd.child[j] = node(head, c);
    }
    return k;
  };
  const zero = new Array<number>(m).fill(0);
  node(-1, zero);
  for (let j = 0; j < m; j++) {
    if (!(tau[j]! > 0)) continue;
    if (neutral[j]) {
      const c = zero.slice();
      c[j] = 1;
      firstLevel[j] = node(-1, c);
    } else firstLevel[j] = node(j, zero);
  }
  const K = nodes.length;
  // Children have larger shifts: evaluate from the largest shift down.
  const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => nodes[b]!.shift - nodes[a]!.shift);

  const N = n + nt;
  const chain = neutralChain(ctx);
  const at = chain.level(0);
  const lin = new NeutralLinearizer(problem, targets.indices, p);
  const lam = new Float64Array(K * n);
  /** W[k*m*n + j*n + i] = (f_zdj(t + shift_k)^T lambda_k)_i: what node k hands its parent through neutral delay j. */
  const W = new Float64Array(K * m * n);
  /** f_zj(t + tau_j)^T lambda(t + tau_j) per delay. */
  const BT = new Float64Array(m * n);
  const w = new Float64Array(n);
  const yppBuf = new Float64Array(n);
  const phiP2 = new Float64Array(n * nt);
  const phiA = new Float64Array(n * nt);
  const phiB = new Float64Array(n * nt);
  const phiC = new Float64Array(n * nt);
  const scratch = new Float64Array(Math.max(n * np, np, 1));
  const lagScratch = { phiP: new Float64Array(n * nt), yp: new Float64Array(n), full: scratch };
  const pm = Float64Array.from(p);
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const integrals = ctx.compiled.integrals;
  const historyJumps = historyJumpTimes(problem, t0);
  const flip = (s: Side): Side => (s === "left" ? "right" : "left");
  const dtau = (j: number, k: number) => ctx.dtau[j * nt + k]!;
  const moving = delays.map((_, j) => Array.from({ length: nt }, (_, k) => dtau(j, k)).some((v) => v !== 0));

  /** Transposed block product out = M_j^T v for an m-block matrix M (row-major n x n blocks). */
  const blockT = (
    M: Float64Array,
    j: number,
    v: Float64Array,
    vOff: number,
    out: Float64Array,
    oOff: number,
  ) => {
    const base = j * n * n;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let l = 0; l < n; l++) acc += M[base + l * n + i]! * v[vOff + l]!;
      out[oOff + i] = acc;
    }
  };

  const rhs = (r: number, x: Float64Array, xlag: Float64Array, side: Side, out: Float64Array) => {
    const t = T - r;
    const ts = flip(side);
    BT.fill(0);
    for (const k of order) {
      const nd = nodes[k]!;
      if (nd.shift > r + eps) {
        lam.fill(0, k * n, (k + 1) * n);
        continue;
      }
      // lambda_k = eta(t + shift_k) + sum over neutral children of what they hand up.
      for (let i = 0; i < n; i++) lam[k * n + i] = k === 0 ? x[i]! : xlag[(k - 1) * n + i]!;
      for (let j = 0; j < m; j++) {
        const c = nd.child[j]!;
        if (c < 0 || nodes[c]!.shift > r + eps) continue;
        for (let i = 0; i < n; i++) lam[k * n + i] = lam[k * n + i]! + W[c * m * n + j * n + i]!;
      }
      if (k === 0) continue;
      const u = t + nd.shift;
      chain.state(u, ts, at);
      lin.linearize(u, at.y, at.z, at.zd, p, false);
      for (let j = 0; j < m; j++) if (neutral[j]) blockT(lin.C, j, lam, k * n, W, k * m * n + j * n);
      for (let j = 0; j < m; j++) if (firstLevel[j] === k) blockT(lin.B, j, lam, k * n, BT, j * n);
    }
    // At t itself: A, B, C, Fp.
    chain.state(t, ts, at);
    lin.linearize(t, at.y, at.z, at.zd, p);
    const { A, B, C, Fp } = lin;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let l = 0; l < n; l++) acc += A[l * n + i]! * lam[l]!;
      for (let j = 0; j < m; j++) acc += BT[j * n + i]!;
      out[i] = acc;
    }
    for (let k = 0; k < nt; k++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += lam[i]! * Fp[i * nt + k]!;
      out[n + k] = acc;
    }
    const y = at.y;
    for (let j = 0; j < m; j++) {
      const tl = t - tau[j]!;
      const inHistory = tl < t0 || (tl === t0 && ts === "left");
      // The retarded part: w = B_j^T lambda against phi_theta (history) and -y' dtau.
      blockT(B, j, lam, 0, w, 0);
      addLaggedArgumentTerms(ctx, tl, ts, inHistory, moving[j]!, w, ctx.dtau, j * nt, out, lagScratch);
      if (!neutral[j]) continue;
      // The neutral part: w = C_j^T lambda against phi_theta' (history) and -y'' dtau.
      blockT(C, j, lam, 0, w, 0);
      if (inHistory && problem.history.dp && !problem.history.constant) {
        const dp = (s: number, o: Float64Array) => historyDp(problem, s, p, targets.indices, o, scratch);
        sidedDifference(dp, tl, ts, historyJumps, phiP2, phiA, phiB, phiC);
        for (let k = 0; k < nt; k++) {
          let acc = 0;
          for (let i = 0; i < n; i++) acc += w[i]! * phiP2[k * n + i]!;
          out[n + k] = out[n + k]! + acc;
        }
      }
      if (moving[j]) {
        chain.second(tl, ts, 1, yppBuf);
        let wy = 0;
        for (let i = 0; i < n; i++) wy += w[i]! * yppBuf[i]!;
        for (let k = 0; k < nt; k++) out[n + k] = out[n + k]! - wy * dtau(j, k);
      }
    }
    addIntegralForcing(integrals, t, ts, y, pm, targets.indices, out, true, qy, qp, scratch);
  };

  const shifts = nodes.slice(1).map((nd) => nd.shift);
  const track = integrateLinearDDE({
    N,
    t0: 0,
    t1: R,
    x0: new Float64Array(N),
    m: K - 1,
    lag: (_r, j) => shifts[j]!,
    constantLags: true,
    history: (_r, out) => out.fill(0),
    rhs,
    ...constantLagAdjointSettings(ctx, rtol, atol),
  });
  // lambda(t) here is eta, the integrated adjoint state (lambda differs from it by the neutral recursion).
  return adjointResult(ctx, track);
}
