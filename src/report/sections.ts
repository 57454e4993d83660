/**
 * Ready-made charts for the things gradopt reports again and again: state trajectories of a solve, cost against
 * iteration for one or several optimisers, accuracy against eps for attacks. They take plain numbers (no solver or
 * tensor types), so any command can use them with `--report`.
 */
import { lineChart, type Series, type VegaLiteSpec } from "./chart.js";
import { formatPercent } from "./format.js";
import type { Cell, TableOptions } from "./report.js";
import type { EpsilonSummaryRow } from "../attack/base.js";

/** y_i(t) for every state, one line each. */
export function trajectoryChart(
  t: ArrayLike<number>,
  states: Record<string, ArrayLike<number>>,
  opts: { title?: string; xTitle?: string; yTitle?: string; width?: number; height?: number } = {},
): VegaLiteSpec {
  return lineChart({
    series: Object.entries(states).map(([name, y]): Series => ({ name, x: t, y })),
    title: opts.title ?? "State trajectories",
    xTitle: opts.xTitle ?? "t",
    yTitle: opts.yTitle ?? "state",
    legendTitle: "state",
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    ...(opts.height !== undefined ? { height: opts.height } : {}),
  });
}

/**
 * Cost against iteration, one line per run. `relativeTo` plots cost − relativeTo (e.g. the best cost found) on a log axis,
 * which shows convergence rates; without it the raw cost is plotted (log axis when every value is positive).
 */
export function costHistoryChart(
  runs: { label: string; costs: ArrayLike<number> }[],
  opts: {
    title?: string;
    relativeTo?: number;
    logY?: boolean;
    yTitle?: string;
    width?: number;
    height?: number;
  } = {},
): VegaLiteSpec {
  const shift = opts.relativeTo;
  const series = runs.map((r): Series => ({
    name: r.label,
    x: Array.from({ length: r.costs.length }, (_, i) => i),
    y: shift === undefined ? Array.from(r.costs) : Array.from(r.costs, (c) => c - shift),
  }));
  const allPositive = series.every((s) => Array.from(s.y).every((v) => !Number.isFinite(v) || v > 0));
  return lineChart({
    series,
    title: opts.title ?? "Cost against iteration",
    xTitle: "iteration",
    yTitle: opts.yTitle ?? (shift === undefined ? "cost J" : "J − J*"),
    logY: opts.logY ?? (shift !== undefined || allPositive),
    legendTitle: "optimiser",
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    ...(opts.height !== undefined ? { height: opts.height } : {}),
  });
}

/** Accuracy (0..1) against eps, one line with points per attack. */
export function accuracyChart(
  curves: Record<string, { eps: number; accuracy: number }[]>,
  opts: { title?: string; yTitle?: string; width?: number; height?: number } = {},
): VegaLiteSpec {
  return lineChart({
    series: Object.entries(curves).map(([name, pts]): Series => ({
      name,
      x: pts.map((p) => p.eps),
      y: pts.map((p) => p.accuracy),
    })),
    title: opts.title ?? "Robust accuracy against eps",
    xTitle: "eps (L∞, pixel scale [0, 1])",
    yTitle: opts.yTitle ?? "accuracy",
    points: true,
    yDomain: [0, 1],
    legendTitle: "attack",
    ...(opts.width !== undefined ? { width: opts.width } : {}),
    ...(opts.height !== undefined ? { height: opts.height } : {}),
  });
}

/** One eps of an attack sweep, as the attack summaries (white- and black-box) give it: plain numbers. */
export type RobustnessRow = EpsilonSummaryRow;

/** The per-eps table of an attack sweep; `extra` appends columns (e.g. queries, accuracy after quantisation). */
export function robustnessTable<R extends RobustnessRow>(
  rows: readonly R[],
  caption: string,
  extra: { columns: string[]; cells(row: R, index: number): Cell[] } = { columns: [], cells: () => [] },
): TableOptions {
  return {
    columns: ["eps", "accuracy", "attack success", "mean confidence", "max L∞", "max L2", ...extra.columns],
    rows: rows.map((p, i): Cell[] => [
      p.eps,
      formatPercent(p.accuracy),
      formatPercent(p.attackSuccessRate),
      formatPercent(p.meanConfidence),
      p.maxLinf,
      p.maxL2,
      ...extra.cells(p, i),
    ]),
    caption,
  };
}
