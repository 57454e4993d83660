import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { TfjsClassifier, fgsm, run } from "../../attack/index.js";
import { fitModelFile, modelGradient, solveModel } from "../../model/index.js";
import { initBackend } from "../../tf/backend.js";
import {
  writeAttackReport,
  writeFitReport,
  writeGradientReport,
  writeSolveReport,
  writeTrainReport,
} from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "gradopt-cmd-reports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = "examples/seed-3state.yaml";
const charts = (html: string) => html.match(/src="data:image\/svg\+xml;base64,/g)?.length ?? 0;

describe("command reports", () => {
  it("solve: status, trajectories, parameters", async () => {
    const file = await writeSolveReport(join(dir, "solve.html"), solveModel(seed));
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Solve: seed-3state");
    expect(html).toContain(">success<");
    expect(charts(html)).toBe(1);
  });

  it("gradient --check: the check table with a badge per target", async () => {
    const file = await writeGradientReport(
      join(dir, "gradient.html"),
      modelGradient(seed, { wrt: ["k", "tau", "c"], check: true }),
    );
    const html = readFileSync(file, "utf8");
    expect(html.match(/>agrees</g)?.length).toBe(3);
    expect(html).toContain("Every formula agrees");
  });

  it("fit: cost history and before/after trajectories per state", async () => {
    const res = fitModelFile(seed, { gradient: "user", wrt: ["k", "c"] });
    const html = readFileSync(await writeFitReport(join(dir, "fit.html"), res), "utf8");
    expect(html).toContain("converged");
    expect(charts(html)).toBe(1 + 3);
  });

  it("train: loss and accuracy charts and the epoch table", async () => {
    const history = [1, 2].map((epoch) => ({
      epoch,
      loss: 1 / epoch,
      accuracy: 0.5 + epoch / 10,
      valLoss: null,
      valAccuracy: null,
      seconds: 3,
      imagesPerSecond: 100,
    }));
    const html = readFileSync(
      await writeTrainReport(join(dir, "train.html"), {
        out: "m",
        backend: "cpu",
        steps: 10,
        trainExamples: 100,
        validationExamples: 0,
        seconds: 6,
        history,
        test: { examples: 50, loss: 0.4, accuracy: 0.8 },
      }),
      "utf8",
    );
    expect(charts(html)).toBe(2);
    expect(html).toContain("80.00% on 50 images");
  });

  it("attack: accuracy chart, table and an image grid with captions", async () => {
    await initBackend();
    const net = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [8, 8, 1] }), tf.layers.dense({ units: 3 })],
    });
    const model = TfjsClassifier.fromModel(net, { classNames: ["a", "b", "c"], onWarning: () => {} });
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 1);
    const result = await run(model, x, [0, 1, 2, 0], fgsm(), { epsilons: [0, 0.1, 0.3], sanity: false });
    const html = readFileSync(
      await writeAttackReport(join(dir, "attack.html"), {
        result,
        inputs: x,
        classNames: model.classNames,
        model: "tiny",
        backend: tf.getBackend(),
        seconds: 0.1,
      }),
      "utf8",
    );
    result.dispose();
    x.dispose();
    model.dispose();
    expect(charts(html)).toBe(1);
    // 4 rows x (original + 2 eps + perturbation)
    expect(html.match(/src="data:image\/png;base64,/g)?.length).toBe(16);
    expect(html).toContain("(true: a)");
  });
});
