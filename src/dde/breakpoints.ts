/**
 * Breaking points: where the solution (order 0) or its k-th derivative (order k) may jump. Roots are t0 (order 0 with a
 * jump at t0, else 1), user-declared jumps (order 0) and history discontinuities; a point xi propagates through a
 * constant delay tau to xi + tau with order + 1 (+ 0 through a neutral delay) while the order stays within the method's.
 */
import type { BreakpointInfo, BreakpointOrigin } from "./types.js";

export type { BreakpointInfo, BreakpointOrigin };

/** A breaking point while the solver runs: the parent is kept by time (indices shift on insertion). */
export interface PendingBreakpoint {
  readonly t: number;
  readonly order: number;
  readonly origin: BreakpointOrigin;
  readonly delay: number;
  readonly parentT: number;
}

/** Final list with parent indices resolved. */
export function resolveParents(items: readonly PendingBreakpoint[]): BreakpointInfo[] {
  const index = new Map<number, number>();
  items.forEach((b, i) => index.set(b.t, i));
  return items.map((b) => ({
    t: b.t,
    order: b.order,
    origin: b.origin,
    delay: b.delay,
    parent: Number.isNaN(b.parentT) ? -1 : (index.get(b.parentT) ?? -1),
  }));
}

/** Two breaking points closer than this (relative to the span) are one. */
export function sameTime(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-12 * scale;
}

/** A sorted list of breaking points with merge-on-insert (keeps the lowest order and the first origin). */
export class BreakpointList {
  readonly items: PendingBreakpoint[] = [];
  private readonly scale: number;

  constructor(scale: number) {
    this.scale = scale;
  }

  /** Inserts (or merges into an equal time); returns the index of the point. */
  add(bp: PendingBreakpoint): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.t < bp.t) lo = mid + 1;
      else hi = mid;
    }
    for (const k of [lo - 1, lo]) {
      const it = items[k];
      if (it && sameTime(it.t, bp.t, this.scale)) {
        if (bp.order < it.order) items[k] = { ...bp, t: it.t };
        return k;
      }
    }
    items.splice(lo, 0, bp);
    return lo;
  }

  /**
   * Adds a tracked root, replacing an earlier estimate of the same crossing (same parent and delay) still ahead of
   * `tNow`: a re-tried step refines a root instead of adding a near-duplicate.
   */
  addTracked(bp: PendingBreakpoint, tNow: number): number {
    const k = this.items.findIndex(
      (b) => b.origin === "tracked" && b.delay === bp.delay && b.parentT === bp.parentT && b.t > tNow,
    );
    if (k >= 0) this.items.splice(k, 1);
    return this.add(bp);
  }

  /** First index with t > x (beyond the merge tolerance). */
  nextAfter(x: number): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.t <= x || sameTime(items[mid]!.t, x, this.scale)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Propagates roots through constant delays up to `maxOrder` (neutral delays keep the order), within (t0, tEnd].
 * `cap` bounds the list (many small incommensurate delays grow it combinatorially).
 */
export function propagateConstant(
  list: BreakpointList,
  lags: number[],
  neutral: boolean[],
  t0: number,
  tEnd: number,
  maxOrder: number,
  cap = 20000,
): void {
  // a point is (re)expanded whenever it enters with a lower order than it was expanded with
  const expanded = new Map<number, number>();
  const queue: number[] = list.items.map((b) => b.t);
  for (let qi = 0; qi < queue.length && list.items.length < cap; qi++) {
    const k = list.nextAfter(queue[qi]!) - 1;
    const src = list.items[k];
    if (!src || (expanded.get(src.t) ?? Infinity) <= src.order) continue;
    expanded.set(src.t, src.order);
    for (let j = 0; j < lags.length; j++) {
      const tau = lags[j]!;
      if (!(tau > 0)) continue;
      const order = src.order + (neutral[j] ? 0 : 1);
      const t = src.t + tau;
      if (order > maxOrder || t > tEnd || t <= t0) continue;
      const idx = list.add({ t, order, origin: "propagated", delay: j, parentT: src.t });
      queue.push(list.items[idx]!.t);
    }
  }
}
