/**
 * What forward sensitivities and the adjoint share: the solved trajectory, the targets, the compiled cost with its point
 * derivatives, the jump conditions at breaking points that move with a delay, and the discontinuities to step onto.
 */
import { GradoptError } from "../../errors.js";
import type { DDEProblem, DDESolution } from "../types.js";
import type { Cost } from "./cost-types.js";
import { compileCost, type CompiledCost } from "./cost.js";
import { Linearizer, pointDp, pointDy } from "./jacobians.js";
import { breakingPointJumps, snapIntegralBounds } from "./jumps.js";
import { initialDp, lagDp, type Targets } from "./targets.js";
import { Trajectory } from "./trajectory.js";

/**
 * A breaking point xi = t0 + tau_j where y' jumps because y jumps at t0 (y0 != phi(t0)). It moves with tau_j, so the
 * sensitivities jump there (Zivari-Piran & Enright): s(xi+) = s(xi-) - [y'(xi+) - y'(xi-)] dxi/dtheta.
 */
export interface MovingJump {
  t: number;
  delay: number;
  /** d xi / d theta_k per target. */
  dxi: Float64Array;
  /** The jump of s, target-major: v[k*n + i]. */
  v: Float64Array;
  /**
   * For a point carried by a state-dependent lag, dxi (and so v) depends on s(xi-): the forward solve calls this with
   * x = s(xi-) (target-major) before applying v, and it fills dxi and v. Absent: dxi and v are fixed.
   */
  update?(x: Float64Array): void;
  /**
   * With `update` and a fixed parent: dxi_k = (base_k + tauY . s_k(xi-)) / rate and v_k = -dy dxi_k, so the jump is
   * linear in s(xi-) (the adjoint transposes it).
   */
  linear?: { dy: Float64Array; tauY: Float64Array; base: Float64Array; rate: number };
}

export interface PointDerivs {
  t: number;
  /** d g / d y at y(t) (length n). */
  gy: Float64Array;
  /** d g / d p at the targets (length nt). */
  gp: Float64Array;
}

const NO_JUMPS = Object.freeze([]) as unknown as MovingJump[];

export class GradContext {
  readonly n: number;
  readonly m: number;
  readonly nt: number;
  readonly T: number;
  readonly t0: number;
  readonly traj: Trajectory;
  readonly compiled: CompiledCost;
  readonly points: PointDerivs[];
  readonly jumps: MovingJump[];
  /** y(t0) derivatives, target-major. */
  readonly s0: Float64Array;
  /** Discontinuities of the forward problem in (t0, T]: the solver's breaking points, declared jumps, moving jumps, integral bounds. */
  readonly discontinuities: number[];
  readonly constantLags: boolean;
  /** Some delay is neutral (f reads y'(t - tau)): forward sensitivities only (src/dde/gradient/neutral.ts). */
  readonly neutral: boolean;
  /** d tau_j / d theta_k for constant lags: dtau[j*nt + k]. */
  readonly dtau: Float64Array;
  readonly p: Float64Array;

  constructor(
    readonly problem: DDEProblem,
    readonly solution: DDESolution,
    cost: Cost,
    readonly targets: Targets,
  ) {
    if (!solution.ok)
      throw new GradoptError(
        "E_SOLVER",
        `cannot differentiate: the forward solve failed (${solution.status}: ${solution.message})`,
      );
    const p = Float64Array.from(problem.p);
    this.p = p;
    this.n = problem.n;
    this.m = problem.delays.length;
    this.nt = targets.indices.length;
    this.t0 = solution.t0;
    this.T = solution.tEnd;
    this.traj = new Trajectory(problem, solution, p);
    this.compiled = compileCost(cost, this.n, [this.t0, this.T]);
    this.constantLags = problem.delays.every((d) => d.kind === "constant");
    this.neutral = problem.delays.some((d) => d.neutral === true);
    const { n, m, nt } = this;
    const np = p.length;
    const y = new Float64Array(n);
    const scratch = new Float64Array(Math.max(np * n, np, 1));
    // d g / d p is a row of np: a point function's dp may clear its whole output, so not the n x np scratch
    const pScratch = new Float64Array(Math.max(np, 1));
    const pm = Float64Array.from(p);

    this.points = this.compiled.points.map((pt) => {
      this.traj.y(pt.t, y);
      return {
        t: pt.t,
        gy: pointDy(pt.g, pt.t, y, pm, new Float64Array(n)),
        gp: pointDp(pt.g, pt.t, y, pm, targets.indices, new Float64Array(nt), pScratch),
      };
    });

    this.s0 = new Float64Array(n * nt);
    initialDp(problem, p, targets.indices, this.s0, scratch);

    this.dtau = new Float64Array(m * nt);
    const y0 = new Float64Array(n);
    this.traj.y(this.t0, y0);
    const row = new Float64Array(nt);
    for (let j = 0; j < m; j++) {
      lagDp(problem.delays[j]!, this.t0, y0, pm, targets.indices, row, scratch);
      this.dtau.set(row, j * nt);
    }
    // With constant lags that no target moves, no breaking point moves: no jump conditions (and none to look for).
    const fixedPoints = this.constantLags && this.dtau.every((v) => v === 0);
    this.jumps = fixedPoints
      ? []
      : (breakingPointJumps(problem, solution, this.traj, p, targets.indices) ??
        (this.constantLags ? this.movingJumps(y0, pm, scratch) : []));
    snapIntegralBounds(
      this.compiled.integrals,
      this.jumps.map((j) => j.t),
      Math.max(1, Math.abs(this.t0), Math.abs(this.T), this.T - this.t0),
    );

    const disc = new Set<number>();
    for (const b of solution.breakpoints) if (b > this.t0 && b <= this.T) disc.add(b);
    for (const b of problem.jumps ?? []) if (b > this.t0 && b <= this.T) disc.add(b);
    for (const it of this.compiled.integrals) {
      disc.add(it.from);
      disc.add(it.to);
    }
    for (const jmp of this.jumps) disc.add(jmp.t);
    if (this.constantLags)
      for (let j = 0; j < m; j++) disc.add(this.t0 + problem.delays[j]!.lag(this.t0, y0, p));
    this.discontinuities = [...disc].filter((b) => b > this.t0 && b <= this.T).sort((a, b) => a - b);
  }

  /** Jump conditions for y0 != phi(t0): at xi = t0 + tau_j, Delta f = f(.., z_j = y0) - f(.., z_j = phi(t0)). */
  private movingJumps(y0: Float64Array, pm: Float64Array, scratch: Float64Array): MovingJump[] {
    const { problem, n, m, nt, p } = this;
    if (!problem.initial) return [];
    const phi0 = new Float64Array(n);
    problem.history.value(this.t0, p, phi0);
    let differs = false;
    for (let i = 0; i < n; i++) if (phi0[i] !== y0[i]) differs = true;
    if (!differs) return [];
    const lin = new Linearizer(problem, this.targets.indices, p);
    const out: MovingJump[] = [];
    const y = new Float64Array(n);
    const z = new Float64Array(m * n);
    const lags = new Float64Array(m);
    const fPlus = new Float64Array(n);
    const fMinus = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      const tau = problem.delays[j]!.lag(this.t0, y0, p);
      const xi = this.t0 + tau;
      if (!(tau > 0) || xi > this.T) continue;
      this.traj.y(xi, y);
      this.traj.lagged(xi, y, z, lags, "right");
      z.set(y0, j * n);
      lin.f(xi, y, z, p, fPlus);
      z.set(phi0, j * n);
      lin.f(xi, y, z, p, fMinus);
      const dxi = new Float64Array(nt);
      lagDp(problem.delays[j]!, this.t0, y0, pm, this.targets.indices, dxi, scratch);
      const v = new Float64Array(n * nt);
      let any = false;
      for (let k = 0; k < nt; k++)
        for (let i = 0; i < n; i++) {
          const val = -(fPlus[i]! - fMinus[i]!) * dxi[k]!;
          v[k * n + i] = val;
          if (val !== 0) any = true;
        }
      if (any) out.push({ t: xi, delay: j, dxi, v });
    }
    return out;
  }

  /** The moving jumps within a relative 1e-10 of t (an observation sitting on a breaking point). */
  jumpsAt(t: number): MovingJump[] {
    if (this.jumps.length === 0) return NO_JUMPS;
    const tol = 1e-10 * Math.max(1, Math.abs(t), Math.abs(this.T - this.t0));
    return this.jumps.filter((j) => Math.abs(j.t - t) <= tol);
  }
}
