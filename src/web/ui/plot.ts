/**
 * A small SVG line/point chart drawn directly (no chart library: re-solves on every slider move redraw it, and a few
 * hundred path points per frame is all it needs). Linear or log y, nice ticks, legend, accessible name.
 */

const SVG_NS = "http://www.w3.org/2000/svg";
export const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#059669",
  "#d97706",
  "#7c3aed",
  "#db2777",
  "#0891b2",
  "#65a30d",
  "#475569",
  "#9333ea",
];

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  kind?: "line" | "points" | "line+points";
  color?: string;
  dashed?: boolean;
}

export interface PlotOptions {
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  /** Fixed domains (otherwise fitted to the data). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Accessible description (aria-label); also the SVG <title>. */
  title: string;
  /** Text shown in the middle when there is nothing to draw. */
  emptyText?: string;
}

const M = { top: 30, right: 16, bottom: 44, left: 62 };

/** The last drawing per host, redrawn when the host's width changes (text stays 12 px at any width). */
const lastDrawn = new WeakMap<HTMLElement, { series: Series[]; opts: PlotOptions; width: number }>();
const resizer =
  typeof ResizeObserver === "undefined"
    ? undefined
    : new ResizeObserver((entries) => {
        for (const e of entries) {
          const host = e.target as HTMLElement;
          const last = lastDrawn.get(host);
          if (last && Math.abs(host.clientWidth - last.width) > 4) renderPlot(host, last.series, last.opts);
        }
      });

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
}

function extent(values: number[], fallback: [number, number]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return fallback;
  if (lo === hi) return [lo - (Math.abs(lo) || 1) * 0.1, hi + (Math.abs(hi) || 1) * 0.1];
  return [lo, hi];
}

/** Draws the chart into `host` (replacing what was there). */
export function renderPlot(host: HTMLElement, series: Series[], opts: PlotOptions): void {
  const W = Math.max(280, Math.min(1200, host.clientWidth || 640));
  const H = Math.round(Math.max(200, Math.min(360, W * 0.55)));
  if (!lastDrawn.has(host)) resizer?.observe(host);
  lastDrawn.set(host, { series, opts, width: W });
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.title, class: "plot" });
  svg.append(el("title", {}, opts.title));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const logY = !!opts.logY;
  const ys: number[] = [];
  const xs: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i]!;
      if (logY && !(y > 0)) continue;
      xs.push(s.x[i]!);
      ys.push(logY ? Math.log10(y) : y);
    }
  }
  const [x0, x1] = opts.xDomain ?? extent(xs, [0, 1]);
  let [y0, y1] = opts.yDomain
    ? logY
      ? [Math.log10(opts.yDomain[0]), Math.log10(opts.yDomain[1])]
      : opts.yDomain
    : extent(ys, [0, 1]);
  if (!opts.yDomain) {
    const pad = (y1 - y0) * 0.05;
    y0 -= pad;
    y1 += pad;
  }
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => M.top + ph - (((logY ? Math.log10(y) : y) - y0) / (y1 - y0 || 1)) * ph;

  const grid = el("g", { class: "grid" });
  const axes = el("g", { class: "axis" });
  for (const t of niceTicks(x0, x1, Math.max(3, Math.round(pw / 90)))) {
    const x = sx(t);
    grid.append(el("line", { x1: x, x2: x, y1: M.top, y2: M.top + ph }));
    axes.append(el("text", { x, y: M.top + ph + 16, "text-anchor": "middle" }, tickLabel(t)));
  }
  const yTicks = logY
    ? niceTicks(Math.floor(y0), Math.ceil(y1), Math.min(6, Math.max(1, Math.ceil(y1) - Math.floor(y0))))
        .filter((t) => Number.isInteger(t) && t >= y0 - 1e-9 && t <= y1 + 1e-9)
        .map((t) => 10 ** t)
    : niceTicks(y0, y1, 5);
  for (const t of yTicks) {
    const y = sy(t);
    grid.append(el("line", { x1: M.left, x2: M.left + pw, y1: y, y2: y }));
    axes.append(el("text", { x: M.left - 6, y: y + 4, "text-anchor": "end" }, tickLabel(t)));
  }
  axes.append(el("rect", { x: M.left, y: M.top, width: pw, height: ph, class: "frame" }));
  if (opts.xLabel)
    axes.append(
      el("text", { x: M.left + pw / 2, y: H - 8, "text-anchor": "middle", class: "label" }, opts.xLabel),
    );
  if (opts.yLabel) {
    axes.append(
      el(
        "text",
        {
          x: 14,
          y: M.top + ph / 2,
          "text-anchor": "middle",
          class: "label",
          transform: `rotate(-90 14 ${M.top + ph / 2})`,
        },
        opts.yLabel,
      ),
    );
  }
  svg.append(grid, axes);

  const clipId = `clip${Math.random().toString(36).slice(2, 8)}`;
  const defs = el("defs", {});
  const clip = el("clipPath", { id: clipId });
  clip.append(el("rect", { x: M.left, y: M.top, width: pw, height: ph }));
  defs.append(clip);
  svg.append(defs);
  const plotArea = el("g", { "clip-path": `url(#${clipId})` });
  svg.append(plotArea);

  const legend = el("g", { class: "legend" });
  let lx = M.left;
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const kind = s.kind ?? "line";
    if (kind !== "points") {
      let d = "";
      let pen = false;
      for (let k = 0; k < s.x.length; k++) {
        const y = s.y[k]!;
        if (!Number.isFinite(y) || (logY && !(y > 0))) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${sx(s.x[k]!).toFixed(1)},${sy(y).toFixed(1)}`;
        pen = true;
      }
      plotArea.append(
        el("path", {
          d,
          fill: "none",
          stroke: color,
          "stroke-width": 2,
          "stroke-dasharray": s.dashed ? "6 4" : "none",
          "stroke-linejoin": "round",
        }),
      );
    }
    if (kind !== "line") {
      const g = el("g", { fill: color, stroke: "#fff", "stroke-width": 1 });
      for (let k = 0; k < s.x.length; k++) {
        const y = s.y[k]!;
        if (!Number.isFinite(y) || (logY && !(y > 0))) continue;
        g.append(el("circle", { cx: sx(s.x[k]!).toFixed(1), cy: sy(y).toFixed(1), r: 3.5 }));
      }
      plotArea.append(g);
    }
    const item = el("g", { transform: `translate(${lx},${M.top - 12})` });
    item.append(
      kind === "points"
        ? el("circle", { cx: 8, cy: -4, r: 4, fill: color })
        : el("line", {
            x1: 0,
            x2: 16,
            y1: -4,
            y2: -4,
            stroke: color,
            "stroke-width": 3,
            "stroke-dasharray": s.dashed ? "5 3" : "none",
          }),
    );
    item.append(el("text", { x: 21, y: 0 }, s.name));
    legend.append(item);
    lx += 30 + s.name.length * 7;
  });
  svg.append(legend);
  if (series.length === 0 || xs.length === 0) {
    svg.append(
      el(
        "text",
        { x: M.left + pw / 2, y: M.top + ph / 2, "text-anchor": "middle", class: "empty" },
        opts.emptyText ?? "nothing to show yet",
      ),
    );
  }
  host.replaceChildren(svg);
}
