// Reports: an HTML page builder shared by every command (`--report FILE`) and the demo, with Vega-Lite charts
// rendered headless to SVG and PNG images.
export { Report, badge, localReferences } from "./report.js";
export type {
  BadgeTone,
  Cell,
  ImageCell,
  ImageGridOptions,
  ImageOptions,
  NoteKind,
  ReportOptions,
  TableOptions,
  WriteHtmlOptions,
} from "./report.js";
export { lineChart, renderChartSvg } from "./chart.js";
export type { LineChartOptions, Series, VegaLiteSpec } from "./chart.js";
export { decodePng, encodePng, rasterImage, signedImage, tileImages, upscaleNearest } from "./image.js";
export type { RasterImage, SignedColormap } from "./image.js";
export { toJson, writeFileAtomic, writeJsonAtomic } from "./atomic.js";
export { formatDuration, formatNumber, formatPercent } from "./format.js";
export { escapeHtml } from "./html.js";
export { accuracyChart, costHistoryChart, trajectoryChart } from "./sections.js";
