/** The shipped classifiers: they load from models/, output logits, and are as accurate (and robust) as documented. */
import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../data/index.js";
import { initBackend } from "../tf/backend.js";
import { accuracy, predictClasses, robustAccuracy } from "./evaluate.js";
import { bundledModelDir } from "./bundled.js";
import { loadClassifier, subsetDataset } from "./train.js";
import type { Logits } from "./adversarial.js";

const data = loadDataset("bundled");
const logitsOf =
  (m: tf.LayersModel): Logits =>
  (x) =>
    m.apply(x, { training: false }) as tf.Tensor2D;

beforeAll(async () => {
  await initBackend("wasm");
});

describe("bundled models", () => {
  it("fashion-cnn: >= 90% on the bundled subset, logits output, metadata names its training command", async () => {
    const model = await loadClassifier(bundledModelDir("fashion-cnn"));
    const acc = accuracy(predictClasses(logitsOf(model), data), data.labels);
    expect(acc).toBeGreaterThanOrEqual(0.9);
    const meta = JSON.parse(readFileSync(join(bundledModelDir("fashion-cnn"), "model.json"), "utf8"))
      .userDefinedMetadata.gradopt;
    expect(meta.output).toBe("logits");
    expect(meta.classNames).toEqual(data.classNames);
    expect(meta.trainedWith.command).toMatch(/^gradopt train /);
    // Logits, not probabilities: rows do not sum to 1.
    const sums = tf.tidy(() =>
      tf.sum(logitsOf(model)(tf.tensor4d(data.images.subarray(0, 784 * 8), [8, 28, 28, 1])), 1).dataSync(),
    );
    expect(Array.from(sums).some((s) => Math.abs(s - 1) > 0.1)).toBe(true);
  });

  it("fashion-cnn-robust keeps >= 70% under PGD at eps 0.1, far more than fashion-cnn", async () => {
    const few = subsetDataset(
      data,
      Int32Array.from({ length: 100 }, (_, i) => i),
    );
    const attack = { method: "pgd" as const, eps: 0.1, steps: 10, stepSize: 0.025 };
    const standard = await robustAccuracy(
      logitsOf(await loadClassifier(bundledModelDir("fashion-cnn"))),
      few,
      attack,
    );
    const robust = await robustAccuracy(
      logitsOf(await loadClassifier(bundledModelDir("fashion-cnn-robust"))),
      few,
      attack,
    );
    // Measured on these 100 images: 0.79 and 0.05 (PGD-40 on 2000 test images: 0.742 and 0.006, see the READMEs).
    expect(robust).toBeGreaterThanOrEqual(0.7);
    expect(robust).toBeGreaterThan(standard + 0.5);
  });
});
