/**
 * Tableaus as data, checked against the Butcher order conditions: for every rooted tree t with |t| <= p,
 * sum_i b_i Phi_i(t) = 1/gamma(t); the embedded weights to their order; the continuous extension b_i(theta) to its
 * order (sum_i b_i(theta) Phi_i(t) = theta^|t| / gamma(t)).
 */
import { describe, expect, it } from "vitest";
import { BS3 } from "./bs3.js";
import { DOP853 } from "./dop853.js";
import { DP5 } from "./dp5.js";
import { TSIT5 } from "./tsit5.js";
import type { ButcherTableau } from "./types.js";

type Tree = Tree[]; // a node is the list of its children

const key = (t: Tree): string => `[${t.map(key).sort().join("")}]`;

/** All rooted trees with up to `maxOrder` nodes, grouped by order. */
function treesUpTo(maxOrder: number): Tree[][] {
  const byOrder: Tree[][] = [[], [[]]];
  for (let order = 2; order <= maxOrder; order++) {
    const seen = new Map<string, Tree>();
    const grow = (t: Tree): Tree[] => [
      [...t, []],
      ...t
        .map((_, i) => t.map((c, j) => (i === j ? null : c)).filter((c): c is Tree => c !== null))
        .flatMap((rest, i) => grow(t[i]!).map((g) => [...rest, g])),
    ];
    for (const t of byOrder[order - 1]!) for (const g of grow(t)) seen.set(key(g), g);
    byOrder.push([...seen.values()]);
  }
  return byOrder;
}

const size = (t: Tree): number => 1 + t.reduce((s, c) => s + size(c), 0);
const gamma = (t: Tree): number => size(t) * t.reduce((p, c) => p * gamma(c), 1);

/** Phi_i(t) for every stage, with A the full (main + extra) coefficient matrix. */
function phi(t: Tree, A: readonly (readonly number[])[]): number[] {
  const s = A.length;
  const out = new Array<number>(s).fill(1);
  for (const c of t) {
    const pc = phi(c, A);
    for (let i = 0; i < s; i++) {
      let acc = 0;
      for (let j = 0; j < A[i]!.length; j++) acc += A[i]![j]! * pc[j]!;
      out[i]! *= acc;
    }
  }
  return out;
}

const dot = (b: readonly number[], v: number[]): number => b.reduce((s, bi, i) => s + bi * (v[i] ?? 0), 0);

const trees = treesUpTo(8);
const tableaus: [string, ButcherTableau][] = [
  ["BS3", BS3],
  ["DP5", DP5],
  ["Tsit5", TSIT5],
  ["DOP853", DOP853],
];

describe("tableaus", () => {
  it("enumerates the right number of rooted trees (1, 1, 2, 4, 9, 20, 48, 115)", () => {
    expect(trees.slice(1).map((t) => t.length)).toEqual([1, 1, 2, 4, 9, 20, 48, 115]);
  });

  it.each(tableaus)("%s: rows of a sum to c (main and extra stages)", (_n, tab) => {
    const A = [...tab.a, ...(tab.extra?.a ?? [])];
    const c = [...tab.c, ...(tab.extra?.c ?? [])];
    A.forEach((row, i) => expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(c[i]!, 13));
    expect(tab.b.length).toBe(tab.c.length);
    if (tab.fsal) expect(tab.a[tab.a.length - 1]).toEqual(tab.b.slice(0, tab.a.length - 1)); // last stage = f(t+h, y_n+1)
  });

  it.each(tableaus)(
    "%s: the propagated weights satisfy every order condition up to the order, not beyond",
    (_n, tab) => {
      for (let p = 1; p <= tab.order; p++)
        for (const t of trees[p]!)
          expect(Math.abs(dot(tab.b, phi(t, tab.a)) - 1 / gamma(t))).toBeLessThan(1e-12);
      if (tab.order < 8) {
        const worst = Math.max(
          ...trees[tab.order + 1]!.map((t) => Math.abs(dot(tab.b, phi(t, tab.a)) - 1 / gamma(t))),
        );
        expect(worst).toBeGreaterThan(1e-6);
      }
    },
  );

  it.each(tableaus)("%s: the embedded weights b - btilde have the embedded order", (_n, tab) => {
    const bhat = tab.b.map((b, i) => b - tab.btilde[i]!);
    const bhat2 = tab.b.map((b, i) => b + tab.btilde[i]!);
    const ok = (w: number[]) =>
      trees
        .slice(1, tab.embeddedOrder + 1)
        .every((ts) => ts.every((t) => Math.abs(dot(w, phi(t, tab.a)) - 1 / gamma(t)) < 1e-12));
    expect(ok(bhat) || ok(bhat2)).toBe(true);
  });

  it.each(tableaus)(
    "%s: the continuous extension has its stated order and interpolates y_n, y_n+1",
    (_n, tab) => {
      const A = [...tab.a, ...(tab.extra?.a ?? [])];
      for (const theta of [0.3, 0.77, 1]) {
        const bt = tab.dense.map((row) => row.reduce((s, d, p) => s + d * theta ** (p + 1), 0));
        for (let p = 1; p <= tab.denseOrder; p++)
          for (const t of trees[p]!)
            expect(Math.abs(dot(bt, phi(t, A)) - theta ** p / gamma(t))).toBeLessThan(1e-11);
      }
      const b1 = tab.dense.map((row) => row.reduce((s, d) => s + d, 0));
      b1.forEach((w, i) => expect(w).toBeCloseTo(tab.b[i] ?? 0, 12));
    },
  );
});
