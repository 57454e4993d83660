/** `--report FILE` for `gradopt train`: loss and accuracy per epoch, the test result, where the model went. */
import { lineChart } from "../chart.js";
import { formatPercent } from "../format.js";
import { Report, type Cell } from "../report.js";

export interface TrainReportInput {
  out: string;
  backend: string;
  steps: number;
  trainExamples: number;
  validationExamples: number;
  seconds: number;
  history: {
    epoch: number;
    loss: number;
    accuracy: number;
    valLoss: number | null;
    valAccuracy: number | null;
    seconds: number;
    imagesPerSecond: number;
  }[];
  test: { examples: number; loss: number; accuracy: number; robustAccuracy?: number } | null;
}

export async function writeTrainReport(file: string, t: TrainReportInput): Promise<string> {
  const r = new Report({ title: `Training: ${t.out}` });
  r.keyValues([
    ["model written to", { code: `${t.out}/model.json` }],
    ["backend", t.backend],
    ["optimiser steps", t.steps],
    ["examples", `${t.trainExamples} training, ${t.validationExamples} validation`],
    ["time", `${t.seconds.toFixed(0)} s`],
    ...(t.test
      ? ([
          ["test accuracy", `${formatPercent(t.test.accuracy, 2)} on ${t.test.examples} images`],
          ...(t.test.robustAccuracy !== undefined
            ? [["PGD-10 robust accuracy", formatPercent(t.test.robustAccuracy, 2)]]
            : []),
        ] as [string, Cell][])
      : []),
  ]);
  const epochs = t.history.map((h) => h.epoch);
  const val = t.history.filter((h) => h.valLoss !== null);
  r.chart(
    lineChart({
      title: "Loss per epoch",
      xTitle: "epoch",
      yTitle: "cross-entropy",
      points: true,
      series: [
        { name: "training", x: epochs, y: t.history.map((h) => h.loss) },
        ...(val.length
          ? [{ name: "validation", x: val.map((h) => h.epoch), y: val.map((h) => h.valLoss!) }]
          : []),
      ],
    }),
  );
  r.chart(
    lineChart({
      title: "Accuracy per epoch",
      xTitle: "epoch",
      yTitle: "accuracy",
      points: true,
      series: [
        { name: "training", x: epochs, y: t.history.map((h) => h.accuracy) },
        ...(val.length
          ? [{ name: "validation", x: val.map((h) => h.epoch), y: val.map((h) => h.valAccuracy!) }]
          : []),
      ],
    }),
  );
  r.table({
    columns: ["epoch", "loss", "accuracy", "validation loss", "validation accuracy", "seconds", "images/s"],
    rows: t.history.map((h): Cell[] => [
      h.epoch,
      h.loss,
      h.accuracy,
      h.valLoss,
      h.valAccuracy,
      h.seconds,
      Math.round(h.imagesPerSecond),
    ]),
  });
  return r.writeHtml(file);
}
