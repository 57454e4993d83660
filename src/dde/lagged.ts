/**
 * Lagged values Z(t) = [y(t - tau_1), ..., y(t - tau_m)] (and y'(t - tau_j) for neutral delays) from the history
 * before t0, the stored steps, or the step being computed (lags shorter than the step: method of steps with
 * fixed-point iteration on the step's own continuous extension).
 */
import type { StepStore } from "./history.js";
import type { DDEProblem } from "./types.js";

/** Where a lag inside the current step is read from. */
export const enum CurrentMode {
  /** y_n + (s - t_n) k1: first sweep when no earlier step can be extrapolated. */
  Linear = 0,
  /** the previous stored step's polynomial, extrapolated. */
  Extrapolate = 1,
  /** the current step's own continuous extension (later sweeps). */
  Own = 2,
}

/** lagStep codes other than a stored step index (>= 0). */
export const enum LagSource {
  /** the history phi (before t0, or at t0 from the left) */
  History = -1,
  /** the step being computed (see curMode) */
  Current = -2,
  /** y(t0+) before any step was stored */
  Initial = -3,
}

export type LagFailure = { kind: "future-lag" | "window"; t: number; delay: number; lag: number };

export class LagEvaluator {
  private readonly problem: DDEProblem;
  private readonly store: StepStore;
  private readonly p: Float64Array;
  readonly t0: number;
  /** y(t0+) (the initial value when it jumps). */
  readonly y0: Float64Array;
  private readonly hints: Int32Array;
  private readonly tmp: Float64Array;
  private readonly tmp2: Float64Array;
  private readonly neutral: boolean[];
  readonly anyNeutral: boolean;

  // the step being computed: [curT, curT + curH] from curY with slope curK1 or polynomial curCoef
  curT = 0;
  curH = 0;
  curMode: CurrentMode = CurrentMode.Linear;
  readonly curY: Float64Array;
  readonly curK1: Float64Array;
  readonly curCoef: Float64Array;
  /** Set when some lag fell inside the current step (the step then needs fixed-point sweeps). */
  inStep = false;
  failure: LagFailure | null = null;
  /**
   * Where the last fill() read each delay's value (for a companion integrated on the same stages, src/dde/stepper.ts):
   * the lagged time, and the stored step it came from, or LagSource.History / Initial / Current.
   */
  readonly lagTime: Float64Array;
  readonly lagStep: Int32Array;
  /** Most negative lag seen since the last reset (clamped to 0 when used), with where it was. */
  minLag = 0;
  minLagT = NaN;
  minLagDelay = -1;

  constructor(problem: DDEProblem, store: StepStore, p: Float64Array, t0: number, y0: Float64Array) {
    this.problem = problem;
    this.store = store;
    this.p = p;
    this.t0 = t0;
    this.y0 = y0;
    const n = problem.n;
    this.hints = new Int32Array(problem.delays.length);
    this.lagTime = new Float64Array(problem.delays.length);
    this.lagStep = new Int32Array(problem.delays.length);
    this.tmp = new Float64Array(n);
    this.tmp2 = new Float64Array(n);
    this.neutral = problem.delays.map((d) => d.neutral === true);
    this.anyNeutral = this.neutral.some((x) => x);
    this.constantOnly = problem.delays.every((d) => d.kind === "constant");
    this.curY = new Float64Array(n);
    this.curK1 = new Float64Array(n);
    this.curCoef = new Float64Array(n * store.q);
  }

  private readonly constantOnly: boolean;
  private cacheT = NaN;
  private cacheLeft = false;

  /** Forgets the last filled time (the current step's extension or the store changed). */
  invalidate(): void {
    this.cacheT = NaN;
  }

  /**
   * fill() into the stepper's own buffers, skipping the work when constant lags are asked at the same time and side as
   * the previous call (the c = 1 stages of FSAL pairs), since the values cannot have changed.
   */
  fillCached(t: number, y: Float64Array, z: Float64Array, zd: Float64Array, left: boolean): boolean {
    if (this.constantOnly && t === this.cacheT && left === this.cacheLeft) return true;
    const ok = this.fill(t, y, z, zd, left);
    this.cacheT = ok ? t : NaN;
    this.cacheLeft = left;
    return ok;
  }

  /**
   * Fills z (and zd for neutral delays) at time t with state y. `left` reads one-sided limits from the left at
   * breaking points (used at the end of a step). Returns false (and sets `failure`) on a future or out-of-window lag.
   */
  fill(t: number, y: Float64Array, z: Float64Array, zd: Float64Array, left: boolean): boolean {
    const delays = this.problem.delays;
    const n = this.problem.n;
    for (let j = 0; j < delays.length; j++) {
      let lag = delays[j]!.lag(t, y, this.p);
      if (!(lag >= 0)) {
        // a vanishing lag computed from an approximate y can dip below zero: read y(t) and let the integrator judge
        // (it fails with "future-lag" only when an accepted step saw a clearly negative lag)
        if (Number.isNaN(lag)) {
          this.failure = { kind: "future-lag", t, delay: j, lag };
          return false;
        }
        if (lag < this.minLag) {
          this.minLag = lag;
          this.minLagT = t;
          this.minLagDelay = j;
        }
        lag = 0;
      }
      if (!this.valueAt(t - lag, j, z, zd, j * n, left)) {
        this.failure = { kind: "window", t, delay: j, lag };
        return false;
      }
    }
    return true;
  }

  /** y(s) (and y'(s) if delay j is neutral) into z/zd at off. */
  valueAt(s: number, j: number, z: Float64Array, zd: Float64Array, off: number, left: boolean): boolean {
    const t0 = this.t0;
    const n = this.problem.n;
    const neutral = this.neutral[j]!;
    this.lagTime[j] = s;
    if (s < t0 || (left && s === t0)) {
      this.lagStep[j] = LagSource.History;
      this.historyAt(s, z, off, neutral ? zd : null);
      return true;
    }
    const store = this.store;
    const tLast = store.tLast;
    if (s <= tLast) {
      const k = store.locate(s, this.hints[j]!, left);
      if (k < 0) return false;
      this.hints[j] = k;
      this.lagStep[j] = k;
      store.eval(k, s, z, off);
      if (neutral) store.deriv(k, s, zd, off);
      return true;
    }
    if (tLast === -Infinity && s <= t0) {
      // s === t0 before any step: y(t0+), slope of the first step
      this.lagStep[j] = LagSource.Initial;
      for (let i = 0; i < n; i++) z[off + i] = this.y0[i]!;
      if (neutral) for (let i = 0; i < n; i++) zd[off + i] = this.curK1[i]!;
      return true;
    }
    this.inStep = true;
    this.lagStep[j] = LagSource.Current;
    this.currentAt(s, z, zd, off, neutral);
    return true;
  }

  private currentAt(s: number, z: Float64Array, zd: Float64Array, off: number, neutral: boolean): void {
    const n = this.problem.n;
    if (this.curMode === CurrentMode.Extrapolate) {
      const k = this.store.end - 1;
      this.store.eval(k, s, z, off);
      if (neutral) this.store.deriv(k, s, zd, off);
      return;
    }
    const dt = s - this.curT;
    if (this.curMode === CurrentMode.Linear) {
      for (let i = 0; i < n; i++) {
        z[off + i] = this.curY[i]! + dt * this.curK1[i]!;
        if (neutral) zd[off + i] = this.curK1[i]!;
      }
      return;
    }
    const q = this.store.q;
    const c = this.curCoef;
    const theta = dt / this.curH;
    for (let i = 0; i < n; i++) {
      let acc = c[(q - 1) * n + i]!;
      let dacc = q * acc;
      for (let p = q - 2; p >= 0; p--) {
        acc = acc * theta + c[p * n + i]!;
        dacc = dacc * theta + (p + 1) * c[p * n + i]!;
      }
      z[off + i] = this.curY[i]! + theta * acc;
      if (neutral) zd[off + i] = dacc / this.curH;
    }
  }

  /** phi(s), and phi'(s) when `d` is given (the history's derivative, else a central difference). */
  historyAt(s: number, z: Float64Array, off: number, d: Float64Array | null): void {
    const h = this.problem.history;
    const n = this.problem.n;
    h.value(s, this.p, this.tmp);
    for (let i = 0; i < n; i++) z[off + i] = this.tmp[i]!;
    if (!d) return;
    if (h.derivative) {
      h.derivative(s, this.p, this.tmp);
      for (let i = 0; i < n; i++) d[off + i] = this.tmp[i]!;
    } else if (h.constant) {
      for (let i = 0; i < n; i++) d[off + i] = 0;
    } else {
      const e = 1e-6 * Math.max(1, Math.abs(s));
      h.value(s + e, this.p, this.tmp);
      h.value(s - e, this.p, this.tmp2);
      for (let i = 0; i < n; i++) d[off + i] = (this.tmp[i]! - this.tmp2[i]!) / (2 * e);
    }
  }
}
