/**
 * Jump conditions at every breaking point that moves with a target (constant delays). Where y' jumps at a breaking
 * point xi(theta), y stays continuous, so (Zivari-Piran & Enright) s(xi+) = s(xi-) - [y'(xi+) - y'(xi-)] dxi/dtheta.
 * The points and their provenance come from the solver's breakpoint list: t0, declared jumps (problem.jumps, history
 * discontinuities before t0) and their images through the delays, xi = parent + tau_j, so dxi/dtheta is the sum of
 * dtau/dtheta along the chain (declared points and t0 are fixed). This covers a jump at t0 (y0 != phi(t0)), jumps
 * declared in the history or inside the span, and neutral delays, through which y' keeps jumping at every t0 + k tau.
 * [y'] is evaluated from f on both sides, lagged times snapped onto the breaking points they stand for (5 * 1.2 is
 * not 6 in floating point) and neutral terms y'(xi - tau) evaluated from f in turn.
 */
import { nextDouble } from "../stepper.js";
import type { BreakpointInfo, DDEProblem, DDESolution } from "../types.js";
import type { MovingJump } from "./context.js";
import { lagDp, lagDy } from "./targets.js";
import type { Trajectory } from "./trajectory.js";

type Side = "left" | "right";

/**
 * How deep a recursion through the neutral lags may go: it branches once per neutral lag, so the call tree is kept
 * under about 256 evaluations (depth 64 with a single neutral lag, 8 with two, 5 with three).
 */
export function neutralRecursionDepth(nNeutral: number): number {
  return nNeutral <= 1 ? 64 : Math.max(2, Math.floor(Math.log(256) / Math.log(nNeutral)));
}

/** y'(t) from f with one-sided lagged values at breaking points (see the module comment). */
export class SidedDerivative {
  private readonly n: number;
  private readonly m: number;
  private readonly known: Float64Array;
  private readonly fJumps: Set<number>;
  private readonly historyJumps: Set<number>;
  private readonly scale: number;
  private readonly levels: { y: Float64Array; z: Float64Array; zd: Float64Array }[] = [];
  private readonly tmp: Float64Array;

  constructor(
    private readonly problem: DDEProblem,
    private readonly solution: DDESolution,
    private readonly traj: Trajectory,
    private readonly p: Float64Array,
    private readonly maxDepth = neutralRecursionDepth(problem.delays.filter((d) => d.neutral).length),
  ) {
    this.n = problem.n;
    this.m = problem.delays.length;
    const t0 = solution.t0;
    const declared = problem.jumps ?? [];
    this.historyJumps = new Set([
      ...(problem.history.discontinuities ?? []).map((d) => d.t).filter((t) => t < t0),
      ...declared.filter((t) => t < t0),
    ]);
    this.fJumps = new Set(declared.filter((t) => t >= t0));
    const times = new Set<number>([t0, ...this.historyJumps, ...this.fJumps, ...solution.breakpoints]);
    for (const b of solution.breakpointInfo ?? []) times.add(b.t);
    this.known = Float64Array.from(times).sort();
    this.scale = Math.max(1, Math.abs(t0), Math.abs(solution.tEnd), solution.tEnd - t0);
    this.tmp = new Float64Array(this.n);
  }

  /**
   * t itself, or the known breaking point it is a rounding away from (`rel` of the span; a lagged time of a time- or
   * state-dependent lag lands on its breaking point only to the accuracy of the solver's root finding: 1e-8).
   */
  snap(t: number, rel = 1e-12): number {
    const k = this.known;
    let lo = 0;
    let hi = k.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (k[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    const tol = rel * this.scale;
    for (const q of [lo - 1, lo]) if (q >= 0 && q < k.length && Math.abs(k[q]! - t) <= tol) return k[q]!;
    return t;
  }

  /** y'(t) on the given side of t, from f. */
  eval(t: number, side: Side, out: Float64Array, depth = 0): Float64Array {
    const { n, m, problem, p, traj } = this;
    const t0 = this.solution.t0;
    t = this.snap(t);
    if (t < t0 || (t === t0 && side === "left")) return this.historyDerivative(t, side, out);
    if (depth >= this.maxDepth) return traj.yPrime(t, out, side);
    const b = (this.levels[depth] ??= {
      y: new Float64Array(n),
      z: new Float64Array(m * n),
      zd: new Float64Array(m * n),
    });
    traj.y(t, b.y, side);
    for (let j = 0; j < m; j++) {
      const d = problem.delays[j]!;
      const tl = this.snap(t - d.lag(t, b.y, p), d.kind === "constant" ? 1e-12 : 1e-8);
      const zj = b.z.subarray(j * n, (j + 1) * n);
      const zdj = b.zd.subarray(j * n, (j + 1) * n);
      if (tl < t0 || (tl === t0 && side === "left")) {
        problem.history.value(this.historyTime(tl, side), p, zj);
        if (d.neutral) this.historyDerivative(tl, side, zdj);
      } else {
        traj.y(tl, zj, side);
        if (d.neutral) this.eval(tl, side, zdj, depth + 1);
      }
    }
    const tf = this.fJumps.has(t) ? nextDouble(t, side === "left" ? -1 : 1) : t;
    problem.f(tf, b.y, b.z, p, out, b.zd);
    return out;
  }

  /** The history is read just beside a declared discontinuity of its own. */
  private historyTime(t: number, side: Side): number {
    return this.historyJumps.has(t) ? nextDouble(t, side === "left" ? -1 : 1) : t;
  }

  private historyDerivative(t: number, side: Side, out: Float64Array): Float64Array {
    const h = this.problem.history;
    const ts = this.historyTime(t, side);
    if (h.derivative || h.constant || !this.historyJumps.has(t)) return this.traj.historyDerivative(ts, out);
    // A central difference across the jump would be meaningless: difference on the requested side only.
    const dt = 6e-6 * Math.max(1, Math.abs(t));
    const dir = side === "left" ? -1 : 1;
    h.value(ts, this.p, this.tmp);
    h.value(ts + dir * dt, this.p, out);
    for (let i = 0; i < this.n; i++) out[i] = (dir * (out[i]! - this.tmp[i]!)) / dt;
    return out;
  }
}

/**
 * The moving jumps of s, from the solver's breakpoint list (null when the solution has none: the caller then falls back
 * to the t0 + tau_j jumps of a jump at t0). A point xi carried by a lag from its parent solves xi - tau(xi, y(xi)) =
 * parent, so (Zivari-Piran & Enright, with the left limits at xi: the crossing is approached from the left)
 *   dxi = (dparent + tau_theta + tau_y s(xi-)) / (1 - tau_t - tau_y y'(xi-)),
 * which is dparent + dtau for a constant lag. For a state-dependent lag it depends on s(xi-): such jumps get an `update`
 * that the forward solve calls with s(xi-) (their parents, earlier in time, are updated first).
 */
export function breakingPointJumps(
  problem: DDEProblem,
  solution: DDESolution,
  traj: Trajectory,
  p: Float64Array,
  targets: Int32Array,
): MovingJump[] | null {
  const info: readonly BreakpointInfo[] | undefined = solution.breakpointInfo;
  if (!info) return null;
  const n = problem.n;
  const nt = targets.length;
  const t0 = solution.t0;
  const T = solution.tEnd;
  const sided = new SidedDerivative(problem, solution, traj, p);
  const pm = Float64Array.from(p);
  const scratch = new Float64Array(Math.max(p.length, 1));
  // Per point: dxi (filled later for state-dependent carriers), and whether it may change.
  const dxiOf: { dxi: Float64Array; dynamic: boolean }[] = [];
  const out: MovingJump[] = [];
  info.forEach((b, idx) => {
    const dxi = new Float64Array(nt);
    const delay = b.delay >= 0 ? problem.delays[b.delay] : undefined;
    const carried = (b.origin === "propagated" || b.origin === "tracked") && delay !== undefined;
    // A point whose parent was merged away is taken as a fixed parent (t0 or a declared jump) plus tau.
    const parent = carried && b.parent >= 0 && b.parent < idx ? dxiOf[b.parent]! : null;
    const stateDep = carried && delay.kind === "state";
    const dynamic = stateDep || (parent?.dynamic ?? false);
    dxiOf.push({ dxi, dynamic });
    if (!carried) return; // t0 and declared jumps are fixed
    const y = new Float64Array(n);
    traj.y(Math.min(b.t, T), y);
    const dlag = new Float64Array(nt);
    lagDp(delay, b.t, y, pm, targets, dlag, scratch);
    const minus = sided.eval(b.t, "left", new Float64Array(n));
    const tauY = new Float64Array(n);
    let rate = 1;
    if (delay.kind !== "constant") {
      const h = 6e-6 * Math.max(1, Math.abs(b.t));
      rate = 1 - (delay.lag(b.t + h, y, p) - delay.lag(b.t - h, y, p)) / (2 * h);
      if (stateDep) {
        lagDy(delay, b.t, y, p, tauY);
        for (let i = 0; i < n; i++) rate -= tauY[i]! * minus[i]!;
      }
    }
    const fill = (x: Float64Array | null) => {
      for (let k = 0; k < nt; k++) {
        let num = (parent ? parent.dxi[k]! : 0) + dlag[k]!;
        if (stateDep && x) for (let i = 0; i < n; i++) num += tauY[i]! * x[k * n + i]!;
        dxi[k] = num / rate;
      }
    };
    fill(null);
    if (!(b.t > t0) || b.t > T || b.order > 1) return;
    if (!dynamic && dxi.every((v) => v === 0)) return;
    const plus = sided.eval(b.t, "right", new Float64Array(n));
    // The solver lists order-1 points where y' MAY jump; where it does not, [y'] is a rounding: no jump.
    let size = 0;
    let ref = 1;
    for (let i = 0; i < n; i++) {
      size = Math.max(size, Math.abs(plus[i]! - minus[i]!));
      ref = Math.max(ref, Math.abs(plus[i]!), Math.abs(minus[i]!));
    }
    if (size <= 1e-11 * ref) return;
    const v = new Float64Array(n * nt);
    const setV = () => {
      for (let k = 0; k < nt; k++)
        for (let i = 0; i < n; i++) v[k * n + i] = -(plus[i]! - minus[i]!) * dxi[k]!;
    };
    setV();
    const jump: MovingJump = { t: b.t, delay: b.delay, dxi, v };
    if (dynamic) {
      jump.update = (x) => {
        fill(x);
        setV();
      };
      if (!parent?.dynamic) {
        const base = Float64Array.from(dlag, (d, k) => d + (parent ? parent.dxi[k]! : 0));
        const dy = Float64Array.from(plus, (v, i) => v - minus[i]!);
        jump.linear = { dy, tauY, base, rate };
      }
    }
    out.push(jump);
  });
  return out;
}

/**
 * Moves integral bounds that are a rounding away from a jump of s (3 * 1.1 = 3.3000000000000003 next to a bound at 3.3)
 * onto the jump: the integrator snaps its stops onto jump times, and a bound left beside its stop would end the
 * quadrature in the middle of a step.
 */
export function snapIntegralBounds(
  integrals: { from: number; to: number }[],
  jumpTimes: readonly number[],
  scale: number,
): void {
  const tol = 1e-12 * scale;
  const snap = (x: number) => jumpTimes.find((t) => Math.abs(t - x) <= tol) ?? x;
  for (const it of integrals) {
    it.from = snap(it.from);
    it.to = snap(it.to);
  }
}

/** Declared discontinuities of the history: history.discontinuities and problem.jumps before t0. */
export function historyJumpTimes(problem: DDEProblem, t0: number): number[] {
  return [...(problem.history.discontinuities ?? []).map((d) => d.t), ...(problem.jumps ?? [])].filter(
    (t) => t < t0,
  );
}

/**
 * d/dt of fn at t by differences that never straddle a declared discontinuity: central away from them; at or near one,
 * second-order one-sided on the side of t (at the point itself, on `side`). a, b, c are scratch of fn's length.
 */
export function sidedDifference(
  fn: (t: number, out: Float64Array) => void,
  t: number,
  side: Side,
  jumps: readonly number[],
  out: Float64Array,
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
): Float64Array {
  const h = 6e-6 * Math.max(1, Math.abs(t));
  const near = jumps.find((d) => Math.abs(t - d) <= 2.5 * h);
  if (near === undefined) {
    fn(t + h, a);
    fn(t - h, b);
    for (let i = 0; i < out.length; i++) out[i] = (a[i]! - b[i]!) / (2 * h);
    return out;
  }
  const dir = t < near ? -1 : t > near ? 1 : side === "left" ? -1 : 1;
  const base = t === near ? nextDouble(t, dir) : t;
  fn(base, a);
  fn(base + dir * h, b);
  fn(base + 2 * dir * h, c);
  for (let i = 0; i < out.length; i++) out[i] = (-3 * a[i]! + 4 * b[i]! - c[i]!) / (2 * dir * h);
  return out;
}
