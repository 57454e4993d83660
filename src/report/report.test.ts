import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  Report,
  accuracyChart,
  badge,
  costHistoryChart,
  decodePng,
  encodePng,
  formatNumber,
  lineChart,
  localReferences,
  rasterImage,
  renderChartSvg,
  signedImage,
  tileImages,
  toJson,
  trajectoryChart,
  upscaleNearest,
  writeJsonAtomic,
} from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "gradopt-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Minimal well-formedness check: every opened tag is closed in order (SVG from vega has no CDATA or comments). */
function balancedXml(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0;
}

describe("charts", () => {
  it("renders a multi-series line chart to well-formed SVG with its titles and one line per series", async () => {
    const x = [0, 1, 2, 3, 4];
    const spec = lineChart({
      title: "Cost & friends",
      xTitle: "iteration",
      yTitle: "cost J",
      logY: true,
      series: [
        { name: "L-BFGS", x, y: [1, 0.1, 0.01, 1e-3, 1e-4] },
        { name: "Adam", x, y: [1, 0.5, 0.3, 0.2, 0.1] },
      ],
    });
    const svg = await renderChartSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(balancedXml(svg)).toBe(true);
    expect(svg).toContain("iteration");
    expect(svg).toContain("cost J");
    expect(svg).toContain("Cost &amp; friends");
    expect(svg).toContain("L-BFGS");
    // one line path per series, each with its own colour
    const lines = [...svg.matchAll(/aria-roledescription="line mark" d="([^"]+)" stroke="([^"]+)"/g)];
    expect(lines.length).toBe(2);
    expect(lines[0]![2]).not.toBe(lines[1]![2]);
    expect(lines[0]![1]!.split("L").length).toBe(5);
  });

  it("ready-made charts: trajectories, cost histories (log scale, relative to the best) and accuracy curves", async () => {
    const traj = trajectoryChart([0, 1, 2], { x1: [0, 1, 0], x2: [1, 0, 1], x3: [2, 2, 2] });
    expect((await renderChartSvg(traj)).match(/aria-roledescription="line mark"/g)!.length).toBe(3);
    const hist = costHistoryChart(
      [
        { label: "L-BFGS", costs: [3, 2, 1.5, 1] },
        { label: "GD", costs: [3, 2.5, 2.2] },
      ],
      { relativeTo: 1 },
    ) as unknown as {
      data: { values: { x: number; y: number; series: string }[] };
      encoding: { y: { scale: { type?: string } } };
    };
    expect(hist.encoding.y.scale.type).toBe("log");
    // J - J* = 0 at the last L-BFGS iteration is left off the log axis
    expect(hist.data.values.filter((r) => r.series === "L-BFGS").map((r) => r.y)).toEqual([2, 1, 0.5]);
    const acc = accuracyChart({
      fgsm: [
        { eps: 0, accuracy: 0.9 },
        { eps: 0.1, accuracy: 0.2 },
      ],
    });
    const svg = await renderChartSvg(acc);
    expect(svg).toContain("accuracy");
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(2);
  });

  it("drops non-finite points and non-positive points on a log axis", () => {
    const spec = lineChart({ logY: true, series: [{ name: "s", x: [0, 1, 2, 3], y: [1, 0, NaN, 2] }] }) as {
      data: { values: { x: number; y: number }[] };
    };
    expect(spec.data.values.map((r) => r.x)).toEqual([0, 3]);
  });

  it("thins long series but keeps the first and last point", () => {
    const n = 10_001;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const spec = lineChart({ maxPointsPerSeries: 100, series: [{ name: "s", x, y: x }] }) as {
      data: { values: { x: number }[] };
    };
    const xs = spec.data.values.map((r) => r.x);
    expect(xs.length).toBeLessThanOrEqual(100);
    expect(xs[0]).toBe(0);
    expect(xs.at(-1)).toBe(n - 1);
  });

  it("rejects series whose x and y lengths differ, naming the series", () => {
    expect(() => lineChart({ series: [{ name: "bad", x: [1, 2], y: [1] }] })).toThrow(/'bad'/);
  });
});

describe("images", () => {
  const gray = rasterImage(
    Array.from({ length: 28 * 28 }, (_, i) => (i % 28) / 27),
    28,
    28,
  );

  it("upscales nearest-neighbour: every pixel becomes a solid block", () => {
    const up = upscaleNearest(gray, 4);
    expect([up.width, up.height]).toEqual([112, 112]);
    for (const [X, Y] of [
      [0, 0],
      [5, 9],
      [111, 111],
    ] as const) {
      expect(up.data[Y * 112 + X]).toBe(gray.data[Math.floor(Y / 4) * 28 + Math.floor(X / 4)]);
    }
  });

  it("encodes PNGs that decode to the same size and values (8-bit quantised)", () => {
    const png = encodePng(upscaleNearest(gray, 3));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([84, 84]);
    expect(back.data[4 * (84 * 10 + 83)]).toBeCloseTo(1, 2);
    expect(back.data[4 * (84 * 10 + 0)]).toBeCloseTo(0, 2);
  });

  it("tiles a grid of images with gaps: rows x cols cells", () => {
    const cell = upscaleNearest(gray, 4);
    const grid = tileImages(
      [
        [cell, cell, cell],
        [cell, null, cell],
      ],
      { gap: 4, background: 1 },
    );
    expect([grid.width, grid.height]).toEqual([3 * 112 + 2 * 4, 2 * 112 + 4]);
    const decoded = decodePng(encodePng(grid));
    expect([decoded.width, decoded.height]).toEqual([344, 228]);
    // the missing cell is background white
    const mid = (116 + 50) * 344 + 116 + 50;
    expect(decoded.data[4 * mid]).toBe(1);
  });

  it("maps a signed field symmetrically: zero is neutral, signs get opposite colours, amplified to full range", () => {
    const img = signedImage([-0.01, 0, 0.01, 0.005], 4, 1);
    const px = (i: number) => Array.from(img.data.subarray(3 * i, 3 * i + 3));
    expect(px(1)).toEqual([1, 1, 1]);
    expect(px(0)[2]!).toBeGreaterThan(px(0)[0]!); // negative -> blue
    expect(px(2)[0]!).toBeGreaterThan(px(2)[2]!); // positive -> red
    expect(px(2)[1]!).toBeCloseTo(0.13, 5); // amplified: the max magnitude hits the end of the map
    const g = signedImage([-1, 0, 1], 3, 1, { colormap: "gray" });
    expect(Array.from(g.data)).toEqual([0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1]);
  });

  it("rejects a pixel count that does not match the size", () => {
    expect(() => rasterImage([1, 2, 3], 2, 2)).toThrow(/2x2x1 = 4 values, got 3/);
  });
});

function sampleReport(): Report {
  const r = new Report({ title: "Test <report>", subtitle: "a `subtitle`" });
  r.heading("Numbers & tables");
  r.text("First paragraph with `code` and **bold**.\n\nSecond <script>alert(1)</script> paragraph.");
  r.keyValues({ cost: 0.000012345, converged: true, status: badge("converged", "ok") });
  r.table({
    columns: ["eps", "accuracy"],
    rows: [
      [0, 0.9],
      [0.1, 0.12],
    ],
    caption: "robust accuracy",
  });
  r.heading("Charts");
  r.chart(lineChart({ series: [{ name: "y", x: [0, 1, 2], y: [2, 1, 0.5] }] }), "a chart");
  r.heading("Images");
  const img = rasterImage(new Array(16).fill(0.5), 4, 4);
  r.imageGrid({
    columns: ["original", "perturbation", "adversarial"],
    rows: [
      {
        label: "#1",
        cells: [
          { image: img, caption: "shirt 91%" },
          { image: signedImage(new Array(16).fill(1), 4, 4) },
          null,
        ],
      },
    ],
    scale: 8,
  });
  r.image(encodePng(img), { caption: "png bytes" });
  r.note("This part is unavailable.", "unavailable");
  return r;
}

describe("Report", () => {
  it("escapes user text and inlines every asset as a data URI", async () => {
    const html = await sampleReport().toHtml();
    expect(html).toContain("<title>Test &lt;report&gt;</title>");
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain('<a href="#numbers-tables">');
    expect(html).toContain("1.234e-5");
    expect(html.match(/src="data:image\/png;base64,/g)!.length).toBe(3);
    expect(html.match(/src="data:image\/svg\+xml;base64,/g)!.length).toBe(1);
    expect(localReferences(html, join(dir, "x.html"))).toEqual([]);
    // upscaled grid images carry their displayed size
    expect(html).toContain('width="32" height="32"');
  });

  it("writes assets beside the page when asked, and every local reference exists", async () => {
    const file = join(dir, "beside", "my report.html");
    await sampleReport().writeHtml(file, { inlineAssets: false });
    const html = readFileSync(file, "utf8");
    const refs = localReferences(html, file);
    expect(refs.length).toBe(4);
    for (const f of refs) expect(existsSync(f), f).toBe(true);
    // rerun with fewer assets: stale files are gone
    const small = new Report({ title: "small" });
    small.chart(lineChart({ series: [{ name: "y", x: [0, 1], y: [0, 1] }] }));
    await small.writeHtml(file, { inlineAssets: false });
    expect(readdirSync(join(dir, "beside", "my report_files")).length).toBe(1);
    expect(readdirSync(join(dir, "beside")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("rejects a table row of the wrong width", () => {
    expect(() => new Report({ title: "t" }).table({ columns: ["a", "b"], rows: [[1]] })).toThrow(
      /row 0 has 1 cells, expected 2/,
    );
  });
});

describe("JSON and numbers", () => {
  it("writes typed arrays as arrays and non-finite numbers as null", () => {
    const file = join(dir, "s.json");
    writeJsonAtomic(file, { a: Float64Array.of(1, 2), b: NaN, c: Infinity });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ a: [1, 2], b: null, c: null });
    expect(toJson({ x: 1 }, 0)).toBe('{"x":1}');
  });

  it("formats numbers to significant digits and spells out NaN", () => {
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(1234567)).toBe("1.235e6");
    expect(formatNumber(123456.7)).toBe("123500");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(-Infinity)).toBe("−∞");
  });
});
