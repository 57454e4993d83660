/**
 * A solved forward trajectory seen by the gradient code: y(t) (history before t0), y'(t) from f (history derivative
 * before t0), and the lagged values z(t) that f read at t. Both the forward-sensitivity and the adjoint solves read the
 * same dense forward solution, so the two methods differentiate exactly the same interpolated trajectory.
 */
import type { DDEProblem, DDESolution } from "../types.js";
import { historyJumpTimes, sidedDifference } from "./jumps.js";

export class Trajectory {
  readonly n: number;
  readonly m: number;
  readonly t0: number;
  readonly tEnd: number;
  private readonly hbuf: Float64Array;
  private readonly hbuf2: Float64Array;
  private readonly hbuf3: Float64Array;
  private readonly ybuf: Float64Array;
  private readonly historyJumps: number[];

  constructor(
    readonly problem: DDEProblem,
    readonly solution: DDESolution,
    readonly p: Float64Array,
  ) {
    this.n = problem.n;
    this.m = problem.delays.length;
    this.t0 = solution.t0;
    this.tEnd = solution.tEnd;
    this.hbuf = new Float64Array(this.n);
    this.hbuf2 = new Float64Array(this.n);
    this.hbuf3 = new Float64Array(this.n);
    this.ybuf = new Float64Array(this.n);
    this.historyJumps = historyJumpTimes(problem, this.t0);
  }

  /** y(t): the history before t0, the dense solution from t0 on (y0 at t0 itself; phi(t0) for side "left"). */
  y(t: number, out: Float64Array, side?: "left" | "right"): Float64Array {
    if (t < this.t0 || (t === this.t0 && side === "left")) this.problem.history.value(t, this.p, out);
    else this.solution.eval(Math.min(t, this.tEnd), out);
    return out;
  }

  /** y'(t) evaluated from f (or the history's derivative before t0). */
  yPrime(t: number, out: Float64Array, side?: "left" | "right"): Float64Array {
    if (t < this.t0 || (t === this.t0 && side === "left")) return this.historyDerivative(t, out, side);
    this.solution.derivative(Math.min(t, this.tEnd), out, side);
    return out;
  }

  /**
   * phi'(t): the history's own derivative, zero for a constant history, else differences of phi (one-sided at and near
   * its declared jumps, on `side` at the jump itself).
   */
  historyDerivative(t: number, out: Float64Array, side: "left" | "right" = "right"): Float64Array {
    const h = this.problem.history;
    if (h.derivative) h.derivative(t, this.p, out);
    else if (h.constant) out.fill(0);
    else {
      const value = (u: number, o: Float64Array) => h.value(u, this.p, o);
      sidedDifference(value, t, side, this.historyJumps, out, this.hbuf, this.hbuf2, this.hbuf3);
    }
    return out;
  }

  /** The lags at t (tau_j(t, y(t), p)) into `lags`, and the lagged states z[j*n + i] = y_i(t - tau_j) into `z`. */
  lagged(t: number, y: Float64Array, z: Float64Array, lags: Float64Array, side?: "left" | "right"): void {
    const { n, m } = this;
    for (let j = 0; j < m; j++) {
      const tau = this.problem.delays[j]!.lag(t, y, this.p);
      lags[j] = tau;
      this.y(t - tau, this.ybuf, side);
      z.set(this.ybuf, j * n);
    }
  }
}
