/**
 * Charts: Vega-Lite specs compiled to Vega and rendered headless to SVG (`renderer: "none"` needs no canvas or DOM).
 * `lineChart` builds the spec for the common case (several named series of (x, y) points); anything else can be
 * passed to `renderChartSvg` as a full Vega-Lite spec.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { GradoptError } from "../errors.js";

export type VegaLiteSpec = TopLevelSpec;

/** Shared look: readable fonts, light grid, white background, no actions. */
const CONFIG = {
  background: "white",
  font: "DejaVu Sans, Helvetica, Arial, sans-serif",
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    gridColor: "#e6e9ed",
    domainColor: "#8c959f",
    tickColor: "#8c959f",
  },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: "right", labelLimit: 320 },
  title: { fontSize: 14, anchor: "start", offset: 8 },
  view: { stroke: "#d1d9e0" },
  range: {
    category: ["#0969da", "#d1242f", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#cf5b00", "#6e7781"],
  },
} as const;

/** Renders a Vega-Lite spec to an SVG document (a string starting with `<svg`). */
export async function renderChartSvg(spec: VegaLiteSpec): Promise<string> {
  let view: vega.View | undefined;
  try {
    const withConfig = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as VegaLiteSpec;
    const compiled = compile(withConfig).spec;
    view = new vega.View(vega.parse(compiled), { renderer: "none" });
    return await view.toSVG();
  } catch (err) {
    throw new GradoptError(
      "E_INTERNAL",
      `chart could not be rendered: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    view?.finalize();
  }
}

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineChartOptions {
  series: Series[];
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic axes; points that are not > 0 on a log axis are left out (the caption should say so if it matters). */
  logX?: boolean;
  logY?: boolean;
  /** Draw a dot at every point (good for short series such as accuracy at a few eps values). */
  points?: boolean;
  /** Fixed y range, e.g. [0, 1] for accuracies. */
  yDomain?: [number, number];
  width?: number;
  height?: number;
  /** Series longer than this are thinned to about this many points (first and last kept) to keep the SVG small. */
  maxPointsPerSeries?: number;
  /** Draw series as steps (e.g. a piecewise-constant quantity). */
  interpolate?: "linear" | "step-after" | "monotone";
  /** Name of the legend (defaults to no title). */
  legendTitle?: string;
  /** Colour per series name, overriding the palette. */
  colors?: Record<string, string>;
}

interface Row {
  x: number;
  y: number;
  series: string;
}

/** Indices of a thinned series: a uniform stride that always keeps the first and last point. */
function thinnedIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const stride = (n - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(Math.round(k * stride));
  return [...new Set(out)];
}

/** The Vega-Lite spec of a multi-series line chart. Non-finite points are dropped. */
export function lineChart(opts: LineChartOptions): VegaLiteSpec {
  const rows: Row[] = [];
  const max = opts.maxPointsPerSeries ?? 800;
  for (const s of opts.series) {
    if (s.x.length !== s.y.length) {
      throw new GradoptError(
        "E_ARG",
        `lineChart: series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`,
      );
    }
    for (const i of thinnedIndices(s.x.length, max)) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if ((opts.logX && x <= 0) || (opts.logY && y <= 0)) continue;
      rows.push({ x, y, series: s.name });
    }
  }
  const names = opts.series.map((s) => s.name);
  const colorScale = opts.colors
    ? {
        domain: names,
        range: names.map(
          (n, i) => opts.colors![n] ?? CONFIG.range.category[i % CONFIG.range.category.length]!,
        ),
      }
    : { domain: names };
  const many = opts.series.length > 1;
  // On a log axis spanning several decades Vega labels 1, 2, 5 of every decade and they collide: label powers of ten only.
  const decadeLabels = (vals: number[]) => {
    const pos = vals.filter((v) => v > 0);
    return pos.length > 0 && Math.log10(Math.max(...pos) / Math.min(...pos)) > 1.5
      ? {
          axis: {
            labelExpr:
              "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? format(datum.value, '.0e') : ''",
          },
        }
      : {};
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 560,
    height: opts.height ?? 260,
    data: { values: rows },
    mark: {
      type: "line",
      point: opts.points ? { filled: true, size: 36 } : false,
      strokeWidth: 2,
      interpolate: opts.interpolate ?? "linear",
      clip: true,
    },
    encoding: {
      x: {
        field: "x",
        type: "quantitative",
        title: opts.xTitle ?? "x",
        ...(opts.logX ? decadeLabels(rows.map((r) => r.x)) : {}),
        scale: opts.logX ? { type: "log" } : { zero: false, nice: false },
      },
      y: {
        field: "y",
        type: "quantitative",
        title: opts.yTitle ?? "y",
        ...(opts.logY ? decadeLabels(rows.map((r) => r.y)) : {}),
        scale: opts.logY
          ? { type: "log" }
          : opts.yDomain
            ? { domain: opts.yDomain, zero: false }
            : { zero: false },
      },
      color: {
        field: "series",
        type: "nominal",
        scale: colorScale,
        legend: many ? { title: opts.legendTitle ?? null } : null,
      },
    },
  } as VegaLiteSpec;
}
