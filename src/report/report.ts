/**
 * The report builder every command shares (`--report FILE`) and the demo uses: add blocks in reading order, then write
 * one self-contained HTML file. Charts are Vega-Lite specs rendered to SVG; images are PNGs. Assets are inlined as data
 * URIs (default: one file to mail around) or written into a `<name>_files/` folder beside the page.
 *
 * @example
 * const r = new Report({ title: "Fit of hutchinson.yaml" });
 * r.heading("Cost");
 * r.keyValues({ cost: 0.0123, converged: true });
 * r.chart(lineChart({ series: [{ name: "cost", x: iters, y: costs }], logY: true }));
 * await r.writeHtml("out/fit.html");
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { GradoptError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { renderChartSvg, type VegaLiteSpec } from "./chart.js";
import { formatNumber } from "./format.js";
import { escapeHtml, renderInline, renderPage, renderProse } from "./html.js";
import { encodePng, upscaleNearest, type RasterImage } from "./image.js";

export type BadgeTone = "ok" | "bad" | "warn";

/** A table or key-value cell. Numbers are formatted to 4 significant digits unless given as text. */
export type Cell =
  string | number | boolean | null | undefined | { badge: string; tone: BadgeTone } | { code: string };

export function badge(text: string, tone: BadgeTone): Cell {
  return { badge: text, tone };
}

export type NoteKind = "info" | "warning" | "unavailable" | "success";

export interface TableOptions {
  columns: string[];
  rows: Cell[][];
  caption?: string;
}

export interface ImageCell {
  image: RasterImage | Uint8Array;
  caption?: string;
  alt?: string;
}

export interface ImageGridOptions {
  /** Column headings (e.g. original | perturbation | adversarial). */
  columns?: string[];
  rows: { label?: string; cells: (ImageCell | null)[] }[];
  caption?: string;
  /** Nearest-neighbour upscale factor for RasterImages (e.g. 4 turns 28x28 into 112x112). */
  scale?: number;
}

export interface ImageOptions {
  caption?: string;
  alt?: string;
  scale?: number;
}

type Block =
  | { kind: "heading"; text: string; level: 2 | 3 | 4; id: string }
  | { kind: "prose"; text: string }
  | { kind: "note"; text: string; note: NoteKind }
  | { kind: "kv"; entries: [string, Cell][] }
  | { kind: "table"; opts: TableOptions }
  | { kind: "chart"; spec: VegaLiteSpec; caption?: string }
  | { kind: "image"; image: RasterImage | Uint8Array; opts: ImageOptions }
  | { kind: "grid"; opts: ImageGridOptions }
  | { kind: "code"; text: string };

/** Where asset bytes go: returns the URL the page uses. */
interface AssetSink {
  add(stem: string, ext: "png" | "svg", bytes: Uint8Array | string): string;
}

function inlineSink(): AssetSink {
  return {
    add(_stem, ext, bytes) {
      const mime = ext === "png" ? "image/png" : "image/svg+xml";
      const b64 =
        typeof bytes === "string"
          ? Buffer.from(bytes, "utf8").toString("base64")
          : Buffer.from(bytes).toString("base64");
      return `data:${mime};base64,${b64}`;
    },
  };
}

function folderSink(dir: string, urlPrefix: string): AssetSink {
  let made = false;
  return {
    add(stem, ext, bytes) {
      if (!made) {
        rmSync(dir, { recursive: true, force: true }); // stale assets of an earlier run must not linger
        mkdirSync(dir, { recursive: true });
        made = true;
      }
      const name = `${stem}.${ext}`;
      writeFileSync(join(dir, name), bytes);
      return `${urlPrefix}/${encodeURIComponent(name)}`;
    },
  };
}

function slug(text: string, used: Set<string>): string {
  const base =
    text
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "section";
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  used.add(id);
  return id;
}

function renderCell(c: Cell): { html: string; numeric: boolean } {
  if (c === null || c === undefined) return { html: "—", numeric: false };
  if (typeof c === "number") return { html: escapeHtml(formatNumber(c)), numeric: true };
  if (typeof c === "boolean") return { html: c ? "yes" : "no", numeric: false };
  if (typeof c === "string") return { html: renderInline(c), numeric: false };
  if ("badge" in c)
    return { html: `<span class="badge ${c.tone}">${escapeHtml(c.badge)}</span>`, numeric: false };
  return { html: `<code>${escapeHtml(c.code)}</code>`, numeric: false };
}

export interface ReportOptions {
  title: string;
  subtitle?: string;
  footer?: string;
}

export interface WriteHtmlOptions {
  /** Inline images and charts as data URIs (default true); false writes them into `<name>_files/` beside the page. */
  inlineAssets?: boolean;
}

export class Report {
  readonly title: string;
  subtitle: string | undefined;
  footer: string | undefined;
  private readonly blocks: Block[] = [];
  private readonly ids = new Set<string>();

  constructor(opts: ReportOptions) {
    this.title = opts.title;
    this.subtitle = opts.subtitle;
    this.footer = opts.footer;
  }

  /** A section heading; level 2 headings make the table of contents. Returns the anchor id. */
  heading(text: string, level: 2 | 3 | 4 = 2): string {
    const id = slug(text, this.ids);
    this.blocks.push({ kind: "heading", text, level, id });
    return id;
  }

  /** Paragraphs (blank-line separated) with `code`, **bold** and *italic*. */
  text(text: string): this {
    this.blocks.push({ kind: "prose", text });
    return this;
  }

  /** A highlighted remark; "unavailable" says plainly that a part could not be run. */
  note(text: string, kind: NoteKind = "info"): this {
    this.blocks.push({ kind: "note", text, note: kind });
    return this;
  }

  keyValues(entries: Record<string, Cell> | [string, Cell][]): this {
    this.blocks.push({ kind: "kv", entries: Array.isArray(entries) ? entries : Object.entries(entries) });
    return this;
  }

  table(opts: TableOptions): this {
    for (const [i, row] of opts.rows.entries()) {
      if (row.length !== opts.columns.length) {
        throw new GradoptError(
          "E_ARG",
          `Report.table: row ${i} has ${row.length} cells, expected ${opts.columns.length}`,
        );
      }
    }
    this.blocks.push({ kind: "table", opts });
    return this;
  }

  /** A Vega-Lite chart (see lineChart), rendered to SVG when the page is written. */
  chart(spec: VegaLiteSpec, caption?: string): this {
    this.blocks.push({ kind: "chart", spec, ...(caption !== undefined ? { caption } : {}) });
    return this;
  }

  /** One image: a RasterImage (encoded as PNG) or PNG bytes. */
  image(image: RasterImage | Uint8Array, opts: ImageOptions = {}): this {
    this.blocks.push({ kind: "image", image, opts });
    return this;
  }

  /** Rows of captioned images under column headings, e.g. original | perturbation (amplified) | adversarial. */
  imageGrid(opts: ImageGridOptions): this {
    this.blocks.push({ kind: "grid", opts });
    return this;
  }

  code(text: string): this {
    this.blocks.push({ kind: "code", text });
    return this;
  }

  get length(): number {
    return this.blocks.length;
  }

  /** The page as one HTML string with every asset inlined. */
  async toHtml(): Promise<string> {
    return this.render(inlineSink());
  }

  /**
   * Writes the page atomically. With `inlineAssets: false` the assets go into `<name>_files/` beside it (replaced
   * wholesale, so no stale file survives a rerun). Returns the path written.
   */
  async writeHtml(file: string, opts: WriteHtmlOptions = {}): Promise<string> {
    const inline = opts.inlineAssets ?? true;
    const stem = basename(file, extname(file));
    const sink = inline
      ? inlineSink()
      : folderSink(join(dirname(file), `${stem}_files`), `${encodeURIComponent(stem)}_files`);
    const html = await this.render(sink);
    writeFileAtomic(file, html);
    return file;
  }

  private async render(sink: AssetSink): Promise<string> {
    const parts: string[] = [];
    let assetNo = 0;
    const nextStem = (kind: string): string => `${kind}-${String(++assetNo).padStart(3, "0")}`;
    const pngUrl = (
      im: RasterImage | Uint8Array,
      scale: number | undefined,
    ): { url: string; w: number; h: number } => {
      if (im instanceof Uint8Array) {
        // PNG bytes: width/height are big-endian u32s at offsets 16 and 20 of the IHDR chunk.
        const dv = new DataView(im.buffer, im.byteOffset, im.byteLength);
        const w = im.byteLength >= 24 ? dv.getUint32(16) : 0;
        const h = im.byteLength >= 24 ? dv.getUint32(20) : 0;
        return { url: sink.add(nextStem("image"), "png", im), w, h };
      }
      const up = scale && scale > 1 ? upscaleNearest(im, scale) : im;
      return { url: sink.add(nextStem("image"), "png", encodePng(up)), w: up.width, h: up.height };
    };
    const toc: { id: string; text: string }[] = [];
    for (const b of this.blocks) {
      switch (b.kind) {
        case "heading":
          if (b.level === 2) toc.push({ id: b.id, text: b.text });
          parts.push(`<h${b.level} id="${b.id}">${renderInline(b.text)}</h${b.level}>`);
          break;
        case "prose":
          parts.push(renderProse(b.text));
          break;
        case "note":
          parts.push(`<div class="note ${b.note}">${renderInline(b.text)}</div>`);
          break;
        case "kv":
          parts.push(
            `<table class="kv"><tbody>${b.entries
              .map(([k, v]) => {
                const c = renderCell(v);
                return `<tr><th>${renderInline(k)}</th><td>${c.html}</td></tr>`;
              })
              .join("")}</tbody></table>`,
          );
          break;
        case "table": {
          const cells = b.opts.rows.map((r) => r.map(renderCell));
          const numericCol = b.opts.columns.map(
            (_, j) => cells.length > 0 && cells.every((r) => r[j]!.numeric || r[j]!.html === "—"),
          );
          const head = b.opts.columns
            .map((c, j) => `<th${numericCol[j] ? ' class="num"' : ""}>${renderInline(c)}</th>`)
            .join("");
          const body = cells
            .map(
              (r) =>
                `<tr>${r.map((c, j) => `<td${numericCol[j] ? ' class="num"' : ""}>${c.html}</td>`).join("")}</tr>`,
            )
            .join("\n");
          const cap = b.opts.caption
            ? `<caption style="caption-side:bottom;text-align:left;color:var(--muted);font-size:13px;padding-top:4px">${renderInline(b.opts.caption)}</caption>`
            : "";
          parts.push(`<table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`);
          break;
        }
        case "chart": {
          const svg = await renderChartSvg(b.spec);
          const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
          const size = m ? ` width="${Math.round(Number(m[1]))}" height="${Math.round(Number(m[2]))}"` : "";
          const alt = escapeHtml(b.caption ?? (typeof b.spec.title === "string" ? b.spec.title : "chart"));
          const url = sink.add(nextStem("chart"), "svg", svg);
          parts.push(
            `<figure class="chart"><img src="${url}" alt="${alt}"${size}>${
              b.caption ? `<figcaption>${renderInline(b.caption)}</figcaption>` : ""
            }</figure>`,
          );
          break;
        }
        case "image": {
          const { url, w, h } = pngUrl(b.image, b.opts.scale);
          parts.push(
            `<figure class="grid"><img src="${url}" alt="${escapeHtml(b.opts.alt ?? b.opts.caption ?? "image")}" width="${w}" height="${h}" style="image-rendering:pixelated">${
              b.opts.caption ? `<figcaption>${renderInline(b.opts.caption)}</figcaption>` : ""
            }</figure>`,
          );
          break;
        }
        case "grid":
          parts.push(this.renderGrid(b.opts, pngUrl));
          break;
        case "code":
          parts.push(`<pre><code>${escapeHtml(b.text)}</code></pre>`);
          break;
      }
    }
    return renderPage({
      title: this.title,
      ...(this.subtitle !== undefined ? { subtitle: this.subtitle } : {}),
      ...(this.footer !== undefined ? { footer: this.footer } : {}),
      toc,
      body: parts.join("\n"),
    });
  }

  private renderGrid(
    opts: ImageGridOptions,
    pngUrl: (
      im: RasterImage | Uint8Array,
      scale: number | undefined,
    ) => { url: string; w: number; h: number },
  ): string {
    const ncols = Math.max(opts.columns?.length ?? 0, ...opts.rows.map((r) => r.cells.length));
    const hasLabels = opts.rows.some((r) => r.label !== undefined);
    const template = `${hasLabels ? "max-content " : ""}repeat(${ncols}, max-content)`;
    const out: string[] = [`<figure><div class="grid" style="grid-template-columns:${template}">`];
    if (opts.columns) {
      if (hasLabels) out.push(`<div></div>`);
      for (let j = 0; j < ncols; j++)
        out.push(`<div class="colhead">${renderInline(opts.columns[j] ?? "")}</div>`);
    }
    for (const row of opts.rows) {
      if (hasLabels) out.push(`<div class="rowhead">${renderInline(row.label ?? "")}</div>`);
      for (let j = 0; j < ncols; j++) {
        const cell = row.cells[j];
        if (!cell) {
          out.push("<div></div>");
          continue;
        }
        const { url, w, h } = pngUrl(cell.image, opts.scale);
        out.push(
          `<figure><img src="${url}" alt="${escapeHtml(cell.alt ?? cell.caption ?? "image")}" width="${w}" height="${h}">${
            cell.caption ? `<figcaption>${renderInline(cell.caption)}</figcaption>` : ""
          }</figure>`,
        );
      }
    }
    out.push(
      `</div>${opts.caption ? `<figcaption>${renderInline(opts.caption)}</figcaption>` : ""}</figure>`,
    );
    return out.join("\n");
  }
}

/**
 * The local files a page refers to (src/href values that are not data:, http(s):, mailto: or #fragments), decoded and
 * resolved against the page's folder — for checking that a written report references only files that exist.
 */
export function localReferences(html: string, pageFile: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/g)) {
    const url = m[1]!;
    if (/^(data:|https?:|mailto:|#)/i.test(url) || url === "") continue;
    out.push(join(dirname(pageFile), decodeURIComponent(url.split(/[?#]/)[0]!)));
  }
  return out;
}
