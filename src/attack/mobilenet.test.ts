/**
 * A MobileNetV2-architecture model (inverted residual blocks: 1x1 expand, 3x3 depthwise, 1x1 linear projection,
 * residual adds, ReLU6, batch norm; stride-2 depthwise downsampling; softmax head) with random weights, built locally
 * at 96x96, saved to disk, loaded back and attacked on the wasm backend: the depthwise input gradient is gradopt's
 * kernel (tfjs-backend-wasm has none).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { fgsm, fileSystemHandler, pgd, run, TfjsClassifier } from "./index.js";
import { maxDistance, mobileNetV2Blocks } from "./testing.js";

const { convBnRelu6, invertedResidual } = mobileNetV2Blocks(100);

function mobileNetV2Small(): tf.LayersModel {
  const input = tf.input({ shape: [96, 96, 3] });
  let x = convBnRelu6(input, 16, 3, 2);
  x = invertedResidual(x, 1, 8, 1);
  x = invertedResidual(x, 6, 12, 2);
  x = invertedResidual(x, 6, 12, 1);
  x = invertedResidual(x, 6, 16, 2);
  x = invertedResidual(x, 6, 16, 1);
  x = convBnRelu6(x, 64, 1, 1);
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: 10,
      activation: "softmax",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

let dir: string;
let model: TfjsClassifier;
let x: tf.Tensor;
let labels: Int32Array;

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
  dir = mkdtempSync(join(tmpdir(), "gradopt-mobilenet-"));
  const built = mobileNetV2Small();
  await built.save(fileSystemHandler(dir));
  built.dispose();
  model = await TfjsClassifier.load(dir, { preprocessing: "mobilenet", onWarning: () => {} });
  x = tf.randomUniform([4, 96, 96, 3], 0, 1, "float32", 11);
  // Random weights: the model's own predictions stand in for labels.
  labels = model.predict(x).labels;
});

afterAll(() => {
  tf.dispose(x);
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("MobileNetV2 architecture on wasm", () => {
  it("loads back from disk with its softmax removed", () => {
    expect(model.outputKind).toBe("softmax-removed");
    expect(model.inputShape).toEqual([96, 96, 3]);
    expect(model.numClasses).toBe(10);
  });

  it("runs FGSM and PGD within eps and bounds, and moves the inputs' loss", async () => {
    for (const attack of [fgsm(), pgd({ steps: 3 })]) {
      const r = await run(model, x, labels, attack, { epsilons: [0.01, 0.1] });
      for (const e of r.results) {
        expect(maxDistance(e.clipped, x, "linf")).toBeLessThanOrEqual(e.eps);
        expect(e.maxLinf).toBeGreaterThan(0);
      }
      expect(r.stats.zeroGradientSamples).toBe(0);
      // The attack lowers the (own-prediction) class's confidence.
      expect(r.results[1]!.meanTrueConfidence).toBeLessThan(
        r.clean.trueConfidence.reduce((a, v) => a + v, 0) / r.n,
      );
      r.dispose();
    }
  });
});
