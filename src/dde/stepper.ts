/**
 * One explicit Runge-Kutta step of the method of steps: stages with lagged values, the error estimate and the step's
 * continuous extension. Buffers are allocated once; the hot loops only touch Float64Arrays.
 */
import type { LagEvaluator } from "./lagged.js";
import type { ButcherTableau } from "./tableaus/types.js";
import type { Delay, RhsFunction } from "./types.js";

/**
 * A system integrated on the solver's own steps and stages alongside y (forward sensitivities): it evaluates f at every
 * stage itself (so that f and the companion's own stage derivative can share their work), and follows each step's
 * advance, continuous extension, acceptance and first-same-as-last reuse. Error control and step sizes stay y's.
 */
export interface StageCompanion {
  /**
   * Stage `row` of a step of length h: write f(t, y, z, p, zd) into dy, and the companion's stage derivative. The lags'
   * sources are in the LagEvaluator (lagTime / lagStep) of this very fill.
   */
  stage(
    row: number,
    h: number,
    t: number,
    y: Float64Array,
    z: Float64Array,
    zd: Float64Array,
    dy: Float64Array,
  ): void;
  /** The step's end value (after the stages). */
  advance(h: number): void;
  /** The step's continuous extension (after the dense-output stages). */
  buildCoef(h: number): void;
  /** The step [t, tEnd] was accepted (and stored). */
  accept(t: number, tEnd: number): void;
  /** The last stage of the accepted step is the next step's first. */
  fsal(): void;
  /**
   * Optional: true when the companion's first stage of the next step cannot be the accepted step's last (its own
   * right-hand side jumps at the step's end although f does not): the solver then evaluates that stage anew.
   */
  freshStart?(): boolean;
  /**
   * Optional: the companion's share of the error estimate (its entries then count like y's). Adds sum (d5/sc)^2 and
   * sum (d3/sc)^2 of its states into sums[0], sums[1] (d = sum_i btilde_i k_i, sc its scale) and returns how many.
   */
  errorSums?(btilde: readonly number[], btilde3: readonly number[] | undefined, sums: Float64Array): number;
}

export class RKStepper {
  readonly tab: ButcherTableau;
  readonly n: number;
  /** Main stages (incl. FSAL) and all stages (with the dense-output extras). */
  readonly s: number;
  readonly sAll: number;
  readonly q: number;
  readonly K: Float64Array;
  readonly ytmp: Float64Array;
  readonly ynew: Float64Array;
  readonly z: Float64Array;
  readonly zd: Float64Array;
  readonly coef: Float64Array;
  private readonly f: RhsFunction;
  readonly p: Float64Array;
  readonly delays: Delay[];
  private readonly lag: LagEvaluator;
  private readonly cAll: number[];
  private readonly aAll: (readonly number[])[];
  private readonly denseFlat: Float64Array;
  private readonly rows: Float64Array[];
  rhsEvals = 0;
  /** Integrated alongside y on the same stages (see StageCompanion), or null. */
  companion: StageCompanion | null = null;
  private readonly errSums = new Float64Array(2);
  /** Step length of the stages being computed (for the companion's stage values). */
  private stageH = 0;
  /**
   * Time at which stages with c = 1 are evaluated, when it must differ from t + h: just below a declared jump of f in t,
   * so that the step sees f's left-hand value there (NaN: use t + h).
   */
  endTime = NaN;

  constructor(
    tab: ButcherTableau,
    n: number,
    delays: Delay[],
    f: RhsFunction,
    p: Float64Array,
    lag: LagEvaluator,
  ) {
    const m = delays.length;
    this.delays = delays;
    this.tab = tab;
    this.n = n;
    this.s = tab.c.length;
    this.sAll = this.s + (tab.extra?.c.length ?? 0);
    this.q = tab.dense[0]!.length;
    this.K = new Float64Array(this.sAll * n);
    this.ytmp = new Float64Array(n);
    this.ynew = new Float64Array(n);
    this.z = new Float64Array(Math.max(1, m * n));
    this.zd = new Float64Array(Math.max(1, m * n));
    this.coef = new Float64Array(this.q * n);
    this.f = f;
    this.p = p;
    this.lag = lag;
    this.cAll = [...tab.c, ...(tab.extra?.c ?? [])];
    this.aAll = [...tab.a, ...(tab.extra?.a ?? [])];
    this.rows = Array.from({ length: this.sAll }, (_, i) => this.K.subarray(i * n, (i + 1) * n));
    this.denseFlat = new Float64Array(this.sAll * this.q);
    for (let i = 0; i < this.sAll; i++)
      for (let k = 0; k < this.q; k++) this.denseFlat[i * this.q + k] = tab.dense[i]?.[k] ?? 0;
  }

  /** f at (t, y) with lags read from the `left` or right side; writes into K row `row`. */
  evalRhs(t: number, y: Float64Array, row: number, left: boolean): boolean {
    if (!this.lag.fillCached(t, y, this.z, this.zd, left)) return false;
    const companion = this.companion;
    if (companion !== null) companion.stage(row, this.stageH, t, y, this.z, this.zd, this.rows[row]!);
    else this.f(t, y, this.z, this.p, this.rows[row]!, this.zd);
    this.rhsEvals++;
    return true;
  }

  /** Stages first..last-1 from (t, y) with step h; K row 0 holds f(t, y). Writes y_{n+1} into ynew. */
  stages(t: number, h: number, y: Float64Array, first: number, last: number): boolean {
    const n = this.n;
    const K = this.K;
    const ytmp = this.ytmp;
    this.stageH = h;
    this.lag.invalidate();
    for (let i = first; i < last; i++) {
      const ai = this.aAll[i]!;
      for (let j = 0; j < n; j++) ytmp[j] = y[j]!;
      for (let k = 0; k < ai.length; k++) {
        const a = ai[k]!;
        if (a === 0) continue;
        const ha = h * a;
        const off = k * n;
        for (let j = 0; j < n; j++) ytmp[j] += ha * K[off + j]!;
      }
      const c = this.cAll[i]!;
      const ti = c === 1 ? (Number.isNaN(this.endTime) ? t + h : this.endTime) : t + c * h;
      if (!this.evalRhs(ti, ytmp, i, c === 1)) return false;
    }
    return true;
  }

  /** y_{n+1} = y_n + h sum b_i k_i. */
  advance(h: number, y: Float64Array): void {
    const n = this.n;
    const b = this.tab.b;
    const ynew = this.ynew;
    for (let j = 0; j < n; j++) ynew[j] = y[j]!;
    for (let i = 0; i < b.length; i++) {
      const hb = h * b[i]!;
      if (hb === 0) continue;
      for (let j = 0; j < n; j++) ynew[j] += hb * this.K[i * n + j]!;
    }
    this.companion?.advance(h);
  }

  /** Weighted RMS error of the embedded estimate (Hairer's combined estimate for DOP853). NaN if non-finite. */
  errorNorm(h: number, y: Float64Array, rtol: number, atol: Float64Array): number {
    const n = this.n;
    const K = this.K;
    const bt = this.tab.btilde;
    const bt3 = this.tab.btilde3;
    let e5 = 0;
    let e3 = 0;
    for (let j = 0; j < n; j++) {
      let d5 = 0;
      let d3 = 0;
      for (let i = 0; i < bt.length; i++) d5 += bt[i]! * K[i * n + j]!;
      if (bt3) for (let i = 0; i < bt3.length; i++) d3 += bt3[i]! * K[i * n + j]!;
      const sc = atol[j]! + rtol * Math.max(Math.abs(y[j]!), Math.abs(this.ynew[j]!));
      if (!(sc < Infinity)) return NaN; // y_{n+1} overflowed (or is NaN)
      e5 += (d5 / sc) ** 2;
      e3 += (d3 / sc) ** 2;
    }
    let count = n;
    const companion = this.companion;
    if (companion !== null && companion.errorSums) {
      const sums = this.errSums;
      sums[0] = 0;
      sums[1] = 0;
      count += companion.errorSums(bt, bt3, sums);
      e5 += sums[0]!;
      e3 += sums[1]!;
      if (!Number.isFinite(e5)) return NaN;
    }
    if (!bt3) return Math.abs(h) * Math.sqrt(e5 / count);
    const den = e5 + 0.01 * e3;
    return den > 0 ? (Math.abs(h) * e5) / Math.sqrt(den * count) : 0;
  }

  /** coef[p*n + j] = h sum_i dense[i][p] K_i[j]: the step polynomial (after the extra stages are in K). */
  buildCoef(h: number): void {
    const n = this.n;
    const q = this.q;
    const coef = this.coef;
    coef.fill(0);
    for (let i = 0; i < this.sAll; i++) {
      for (let p = 0; p < q; p++) {
        const w = h * this.denseFlat[i * q + p]!;
        if (w === 0) continue;
        const off = i * n;
        for (let j = 0; j < n; j++) coef[p * n + j] += w * this.K[off + j]!;
      }
    }
    this.companion?.buildCoef(h);
  }

  /** True when every stage value and y_{n+1} is finite. */
  finite(): boolean {
    const K = this.K;
    for (let i = 0; i < this.s * this.n; i++) if (!Number.isFinite(K[i]!)) return false;
    for (let j = 0; j < this.n; j++) if (!Number.isFinite(this.ynew[j]!)) return false;
    return true;
  }
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The adjacent double towards -Infinity (dir -1) or +Infinity (dir +1). */
export function nextDouble(x: number, dir: -1 | 1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  f64[0] = x;
  i64[0] += x > 0 === dir > 0 ? 1n : -1n;
  return f64[0]!;
}
