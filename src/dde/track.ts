/**
 * State- and time-dependent delays: a breaking point xi propagates to the zeros of g(t) = t - tau(t, y(t)) - xi.
 * After a trial step, g is sampled on the step's continuous extension; a sign change is bracketed and refined by the
 * Illinois method, and the integrator then steps exactly onto the root (as DelayDiffEq's track.jl and RADAR5 do).
 */
import type { BreakpointList } from "./breakpoints.js";
import type { Delay } from "./types.js";

/** Zero of fn on [a, b] given fa, fb of opposite signs (Illinois false position); returns the right-hand bracket end. */
export function illinois(
  fn: (x: number) => number,
  a: number,
  b: number,
  fa: number,
  fb: number,
  tol: number,
): number {
  let side = 0;
  for (let it = 0; it < 200 && Math.abs(b - a) > tol; it++) {
    const x = (a * fb - b * fa) / (fb - fa);
    const c = x > a && x < b ? x : 0.5 * (a + b);
    const fc = fn(c);
    if (fc === 0) return c;
    if (fc > 0 === fb > 0) {
      b = c;
      fb = fc;
      if (side === -1) fa *= 0.5;
      side = -1;
    } else {
      a = c;
      fa = fc;
      if (side === 1) fb *= 0.5;
      side = 1;
    }
  }
  return b;
}

/** y(t + theta h) of a step (y, coef with q blocks of n) into out. */
export function evalStep(
  y: Float64Array,
  coef: Float64Array,
  n: number,
  q: number,
  theta: number,
  out: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    let acc = coef[(q - 1) * n + j]!;
    for (let p = q - 2; p >= 0; p--) acc = acc * theta + coef[p * n + j]!;
    out[j] = y[j]! + theta * acc;
  }
}

export interface TrackedRoot {
  t: number;
  order: number;
  delay: number;
  parentT: number;
}

const SAMPLES = 4;

export class DiscontinuityTracker {
  private readonly delays: Delay[];
  private readonly tracked: number[];
  private readonly p: Float64Array;
  private readonly list: BreakpointList;
  private readonly maxOrder: number;
  private readonly yt: Float64Array;
  private readonly sv = new Float64Array(SAMPLES + 1);

  constructor(delays: Delay[], p: Float64Array, list: BreakpointList, maxOrder: number, n: number) {
    this.delays = delays;
    this.tracked = delays.flatMap((d, j) => (d.kind === "constant" ? [] : [j]));
    this.p = p;
    this.list = list;
    this.maxOrder = maxOrder;
    this.yt = new Float64Array(n);
  }

  get active(): boolean {
    return this.tracked.length > 0;
  }

  /** Earliest propagated breaking point inside (t, t + h] for the trial step (y, coef), or null. */
  find(
    t: number,
    h: number,
    y: Float64Array,
    coef: Float64Array,
    q: number,
    scale: number,
  ): TrackedRoot | null {
    const n = this.yt.length;
    const items = this.list.items;
    let best: TrackedRoot | null = null;
    const tol = 1e-14 * scale;
    for (const j of this.tracked) {
      const d = this.delays[j]!;
      const lagged = (theta: number): number => {
        evalStep(y, coef, n, q, theta, this.yt);
        const tt = t + theta * h;
        return tt - d.lag(tt, this.yt, this.p);
      };
      for (let k = 0; k <= SAMPLES; k++) this.sv[k] = lagged(k / SAMPLES);
      for (let k = 0; k < SAMPLES; k++) {
        const sa = this.sv[k]!;
        const sb = this.sv[k + 1]!;
        const lo = Math.min(sa, sb);
        const hi = Math.max(sa, sb);
        for (let i = this.list.nextAfter(lo - 2 * tol); i < items.length && items[i]!.t <= hi; i++) {
          const xi = items[i]!;
          if (xi.origin === "tstop") continue;
          const order = xi.order + (d.neutral ? 0 : 1);
          if (order > this.maxOrder) continue;
          const ga = sa - xi.t;
          const gb = sb - xi.t;
          // a zero at the start of the whole step is the point we stand on
          if (Math.abs(ga) <= tol && k === 0) continue;
          if (ga * gb > 0 || (ga === 0 && gb === 0)) continue;
          const a = k / SAMPLES;
          const b = (k + 1) / SAMPLES;
          const theta =
            ga === 0 ? a : gb === 0 ? b : illinois((th) => lagged(th) - xi.t, a, b, ga, gb, 1e-15);
          const tr = t + theta * h;
          if (this.crossedAlready(j, xi.t, t, tr, scale)) continue;
          if (!best || tr < best.t) best = { t: tr, order, delay: j, parentT: xi.t };
        }
        if (best) break;
      }
    }
    return best;
  }

  /**
   * The same crossing found again just after we stepped onto it: the root was located on a trial step, the accepted
   * step's y differs by the local error, so g is a rounding-size nonzero there. Such re-finds are skipped.
   */
  private crossedAlready(j: number, xiT: number, t: number, tr: number, scale: number): boolean {
    for (const b of this.list.items) {
      if (b.origin === "tracked" && b.delay === j && b.parentT === xiT && b.t <= t && tr - b.t < 1e-6 * scale)
        return true;
    }
    return false;
  }
}
