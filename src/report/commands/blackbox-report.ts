/**
 * `--report FILE` for `gradopt attack --attack spsa|square|hsj`: robust accuracy and queries against eps, and, with
 * `--compare`, the white-box PGD curve beside it and the gradient-masking verdict (a black-box attack that beats
 * white-box PGD means the gradients are masked).
 */
import type { BlackBoxSummary, BlackWhiteComparison } from "../../attack/index.js";
import { formatPercent } from "../format.js";
import { lineChart } from "../chart.js";
import { accuracyChart, robustnessTable } from "../sections.js";
import { Report, type Cell } from "../report.js";

export interface BlackBoxReportInput {
  summary: BlackBoxSummary;
  /** The white-box run's per-eps accuracy and the verdict, when --compare was given. */
  whiteBox?: { name: string; results: { eps: number; accuracy: number }[] };
  comparison?: BlackWhiteComparison;
  model: string;
  backend: string;
  seconds: number;
}

export async function writeBlackBoxReport(file: string, input: BlackBoxReportInput): Promise<string> {
  const { summary: s } = input;
  const r = new Report({ title: `Black-box attack: ${s.attack} on ${s.n} images` });
  r.text(
    `Model \`${input.model}\` seen only through its ${s.access === "score" ? "output probabilities" : "top label"}, ` +
      `backend **${input.backend}**, ${s.distance} distance, ${input.seconds.toFixed(1)} s. Accuracy counts an input as ` +
      `robust only when it is classified as its true label. Queries: mean ${s.queries.mean.toFixed(1)}, median ` +
      `${s.queries.median}, total ${s.queries.total} per run (clean scoring included).`,
  );
  r.heading("Robust accuracy");
  const curves: Record<string, { eps: number; accuracy: number }[]> = {
    [`${s.attack} (black-box)`]: s.results,
  };
  if (input.whiteBox) curves[input.whiteBox.name] = input.whiteBox.results;
  r.chart(accuracyChart(curves, { title: `${s.attack}: accuracy against eps` }));
  r.table(
    robustnessTable(s.results, `Clean accuracy ${formatPercent(s.clean.accuracy)}.`, {
      columns: ["queries (mean / median)"],
      cells: (p) => [`${p.queries.mean.toFixed(1)} / ${p.queries.median}`],
    }),
  );
  if (input.comparison) {
    r.heading("White-box against black-box");
    r.note(input.comparison.message, input.comparison.verdict === "consistent" ? "success" : "warning");
    r.table({
      columns: ["eps", "white-box accuracy", "black-box accuracy", "gap"],
      rows: input.comparison.rows.map((row): Cell[] => [
        row.eps,
        formatPercent(row.whiteBox),
        formatPercent(row.blackBox),
        formatPercent(row.gap),
      ]),
    });
  }
  if (s.l2History && s.l2History.length > 0) {
    r.heading("Perturbation size per iteration");
    r.chart(
      lineChart({
        series: [{ name: "median L2", x: s.l2History.map((_, i) => i + 1), y: s.l2History }],
        title: "median L2 of the closest adversarial found",
        xTitle: "iteration",
        yTitle: "L2",
      }),
    );
  }
  return r.writeHtml(file);
}
