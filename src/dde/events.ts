/**
 * User events g(t, y) = 0, located on each accepted step's continuous extension (Illinois root finding), recorded in
 * time order; a terminal event ends the integration there.
 */
import type { EventSpec } from "./options.js";
import { evalStep, illinois } from "./track.js";
import type { EventRecord } from "./types.js";

export interface EventHit {
  t: number;
  index: number;
  terminal: boolean;
}

export class EventWatcher {
  private readonly specs: EventSpec[];
  private readonly p: Float64Array;
  private readonly gPrev: Float64Array;
  private readonly yt: Float64Array;
  readonly records: EventRecord[] = [];

  constructor(specs: EventSpec[], p: Float64Array, n: number) {
    this.specs = specs;
    this.p = p;
    this.gPrev = new Float64Array(specs.length);
    this.yt = new Float64Array(n);
  }

  get active(): boolean {
    return this.specs.length > 0;
  }

  init(t0: number, y0: Float64Array): void {
    this.specs.forEach((e, i) => (this.gPrev[i] = e.g(t0, y0, this.p)));
  }

  /**
   * Zeros inside (t, t + h] of the step (y, coef): records them in time order up to the first terminal one and returns
   * that one's time (or null). Updates the remembered signs to the step's end.
   */
  check(
    t: number,
    h: number,
    y: Float64Array,
    coef: Float64Array,
    q: number,
    yEnd: Float64Array,
  ): number | null {
    const n = this.yt.length;
    const hits: EventHit[] = [];
    for (let i = 0; i < this.specs.length; i++) {
      const e = this.specs[i]!;
      const ga = this.gPrev[i]!;
      const gb = e.g(t + h, yEnd, this.p);
      this.gPrev[i] = gb;
      if (ga === 0 || !(ga * gb <= 0) || (gb === 0 && ga === 0)) continue;
      const dir = e.direction ?? 0;
      if ((dir > 0 && !(gb >= ga)) || (dir < 0 && !(gb <= ga))) continue;
      const gOf = (theta: number): number => {
        evalStep(y, coef, n, q, theta, this.yt);
        return e.g(t + theta * h, this.yt, this.p);
      };
      const theta = gb === 0 ? 1 : illinois(gOf, 0, 1, ga, gb, 1e-14);
      hits.push({ t: t + theta * h, index: i, terminal: e.terminal === true });
    }
    hits.sort((a, b) => a.t - b.t);
    for (const hit of hits) {
      evalStep(y, coef, n, q, (hit.t - t) / h, this.yt);
      this.records.push({ t: hit.t, index: hit.index, y: this.yt.slice() });
      if (hit.terminal) return hit.t;
    }
    return null;
  }
}
