/**
 * The solution of a solve: callable at any t (history before t0, the step interpolants after), y'(t) from f, lagged
 * values Z(t), outputs at the requested times, statistics, breaking points with their origins, and a typed status.
 */
import { GradoptError } from "../errors.js";
import type { BreakpointInfo } from "./breakpoints.js";
import type { StepStore } from "./history.js";
import type { LagEvaluator } from "./lagged.js";
import { nextDouble } from "./stepper.js";
import type { DDEProblem, DDESolution, EventRecord, SolveStats, SolveStatus } from "./types.js";

export interface SolutionParts {
  problem: DDEProblem;
  p: Float64Array;
  status: SolveStatus;
  message: string;
  t0: number;
  tEnd: number;
  stats: SolveStats;
  breakpoints: Float64Array;
  breakpointInfo: BreakpointInfo[];
  t: Float64Array;
  y: Float64Array[];
  events: EventRecord[];
  store: StepStore;
  lag: LagEvaluator;
  method: string;
  dense: "full" | "window";
  /** Declared jumps of f in t (problem.jumps, tstops) inside the span. */
  userJumps: number[];
}

export class Solution implements DDESolution {
  readonly status: SolveStatus;
  readonly message: string;
  readonly ok: boolean;
  readonly t0: number;
  readonly tEnd: number;
  readonly n: number;
  readonly stats: SolveStats;
  readonly breakpoints: Float64Array;
  /** Every known breaking point in the span (propagated, tracked, declared) with its order and where it came from. */
  readonly breakpointInfo: readonly BreakpointInfo[];
  readonly t: Float64Array;
  readonly y: Float64Array[];
  readonly events: EventRecord[];
  readonly method: string;
  readonly dense: "full" | "window";
  readonly problem: DDEProblem;
  /** The parameter values solved with (a copy). */
  readonly p: Float64Array;
  private readonly store: StepStore;
  private readonly lag: LagEvaluator;
  private readonly userJumps: Set<number>;
  private readonly ybuf: Float64Array;
  private readonly zbuf: Float64Array;
  private readonly zdbuf: Float64Array;

  constructor(parts: SolutionParts) {
    this.problem = parts.problem;
    this.p = parts.p;
    this.status = parts.status;
    this.message = parts.message;
    this.ok = parts.status === "success" || parts.status === "terminated";
    this.t0 = parts.t0;
    this.tEnd = parts.tEnd;
    this.n = parts.problem.n;
    this.stats = parts.stats;
    this.breakpoints = parts.breakpoints;
    this.breakpointInfo = parts.breakpointInfo;
    this.t = parts.t;
    this.y = parts.y;
    this.events = parts.events;
    this.method = parts.method;
    this.dense = parts.dense;
    this.store = parts.store;
    this.lag = parts.lag;
    this.userJumps = new Set(parts.userJumps);
    const m = parts.problem.delays.length;
    this.ybuf = new Float64Array(this.n);
    this.zbuf = new Float64Array(Math.max(1, m * this.n));
    this.zdbuf = new Float64Array(Math.max(1, m * this.n));
  }

  /** Earliest t the solution can be evaluated at after t0 (window mode drops older steps). */
  get tKept(): number {
    return this.dense === "full" ? this.t0 : Math.min(this.store.tFirst, this.tEnd);
  }

  private check(t: number, what: string): void {
    const slack = 1e-12 * Math.max(1, Math.abs(this.tEnd), Math.abs(this.t0));
    if (!(t <= this.tEnd + slack) || (t >= this.t0 && t < this.tKept - slack))
      throw new GradoptError(
        "E_ARG",
        `${what}: t = ${t} is outside the solution (${t > this.tEnd ? `it ends at ${this.tEnd}` : `window mode kept [${this.tKept}, ${this.tEnd}]`})`,
      );
  }

  /**
   * y(t): the history for t < t0, y(t0) (the initial value when it jumps) at t0, the continuous extension after.
   * `side` "left" at t0 gives the history's phi(t0).
   */
  eval(
    t: number,
    out: Float64Array = new Float64Array(this.n),
    side: "left" | "right" = "right",
  ): Float64Array {
    this.check(t, "eval");
    if (t < this.t0 || (t === this.t0 && side === "left")) {
      this.lag.historyAt(t, out, 0, null);
      return out;
    }
    if (this.store.size === 0 || t === this.t0) {
      out.set(this.lag.y0);
      return out;
    }
    const k = this.store.locate(Math.min(t, this.store.tLast), this.store.end - 1, side === "left");
    this.store.eval(k, t, out, 0);
    return out;
  }

  /**
   * y'(t) = f(t, y(t), Z(t), p, Zd(t)) evaluated from f (not by differentiating the interpolant); phi'(t) before t0.
   * At a breaking point `side` picks the one-sided value (default "right"; at tEnd use "left").
   */
  derivative(
    t: number,
    out: Float64Array = new Float64Array(this.n),
    side: "left" | "right" = "right",
  ): Float64Array {
    if (t < this.t0 || (t === this.t0 && side === "left")) {
      this.check(t, "derivative");
      this.lag.historyAt(t, this.zbuf, 0, out);
      return out;
    }
    const y = this.eval(t, this.ybuf, side);
    this.lagged(t, this.zbuf, this.zdbuf, side);
    // at a declared jump of f in t, f itself is asked just beside it
    const tf = this.userJumps.has(t) ? nextDouble(t, side === "left" ? -1 : 1) : t;
    this.problem.f(tf, y, this.zbuf, this.p, out, this.zdbuf);
    return out;
  }

  /**
   * Z(t): all lagged values y(t - tau_j) into z (z[j*n + i]) and, for neutral delays, y'(t - tau_j) into zd, with the
   * lags evaluated at (t, y(t)). One-sided at breaking points via `side`.
   */
  lagged(t: number, z: Float64Array, zd?: Float64Array, side: "left" | "right" = "right"): void {
    const y = this.eval(t, this.ybuf, side);
    if (!this.lag.fill(t, y, z, zd ?? this.zdbuf, side === "left")) {
      const f = this.lag.failure!;
      this.lag.failure = null;
      throw new GradoptError(
        "E_ARG",
        `lagged: delay ${f.delay} at t = ${t} (lag ${f.lag}) is outside the solution`,
      );
    }
  }

  /** Number of step interpolants held in memory (bounded in window mode). */
  get storedSteps(): number {
    return this.store.size;
  }

  /** Values of state i at the output times (alias of y[i]). */
  state(i: number): Float64Array {
    return this.y[i]!;
  }
}
