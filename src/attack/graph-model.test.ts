/**
 * GraphModel support: a small graph (Reshape -> MatMul -> Softmax) written to disk in the converter's format,
 * loaded through the Node file loader, its softmax removed, and attacked. The weights are known, so the logits and
 * the FGSM step can be computed by hand.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { fgsm } from "./fgsm.js";
import { TfjsClassifier } from "./model.js";
import { run } from "./run.js";

const W = [1, 0, -1, 2, 1, 0, 0, 3, 1, -1, 0, 2]; // 4 x 3, row-major
const float = { dtype: { type: "DT_FLOAT" } };
const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });

function writeGraphModel(dir: string): void {
  const node = [
    { name: "x", op: "Placeholder", attr: { ...float, shape: { shape: dims(-1, 2, 2, 1) } } },
    {
      name: "shape",
      op: "Const",
      attr: { dtype: { type: "DT_INT32" }, value: { tensor: { dtype: "DT_INT32", tensorShape: dims(2) } } },
    },
    { name: "flat", op: "Reshape", input: ["x", "shape"], attr: { T: { type: "DT_FLOAT" } } },
    {
      name: "w",
      op: "Const",
      attr: { ...float, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims(4, 3) } } },
    },
    {
      name: "logits",
      op: "MatMul",
      input: ["flat", "w"],
      attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: "DT_FLOAT" } },
    },
    { name: "probs", op: "Softmax", input: ["logits"], attr: { T: { type: "DT_FLOAT" } } },
  ];
  const weights = Buffer.concat([
    Buffer.from(new Int32Array([-1, 4]).buffer),
    Buffer.from(new Float32Array(W).buffer),
  ]);
  writeFileSync(join(dir, "weights.bin"), weights);
  const manifest = [
    {
      paths: ["weights.bin"],
      weights: [
        { name: "shape", shape: [2], dtype: "int32" },
        { name: "w", shape: [4, 3], dtype: "float32" },
      ],
    },
  ];
  const json = {
    format: "graph-model",
    generatedBy: "gradopt test",
    modelTopology: { node, versions: { producer: 1 } },
    weightsManifest: manifest,
  };
  writeFileSync(join(dir, "model.json"), JSON.stringify(json));
}

/** Hand-computed logits x W for one 2x2 image given as 4 numbers. */
function logitsByHand(x: number[]): number[] {
  return [0, 1, 2].map((j) => x.reduce((s, xi, i) => s + xi * W[i * 3 + j]!, 0));
}

describe("GraphModel from disk", () => {
  let clf: TfjsClassifier;
  const images = [
    [0.2, 0.4, 0.6, 0.8],
    [0.9, 0.1, 0.3, 0.5],
    [0.5, 0.5, 0.5, 0.5],
  ];

  beforeAll(async () => {
    await initBackend();
    const dir = mkdtempSync(join(tmpdir(), "gradopt-graph-"));
    writeGraphModel(dir);
    clf = await TfjsClassifier.load(dir);
  });

  it("loads, detects the softmax and returns the logits before it", () => {
    expect(clf.outputKind).toBe("softmax-removed");
    expect(clf.numClasses).toBe(3);
    expect(clf.inputShape).toEqual([2, 2, 1]);
    const logits = tf.tidy(() => clf.logits(tf.tensor4d(images.flat(), [3, 2, 2, 1])).arraySync());
    images.forEach((x, k) => logits[k]!.forEach((v, j) => expect(v).toBeCloseTo(logitsByHand(x)[j]!, 5)));
  });

  it("runs FGSM: the step is eps * sign of the hand-computed gradient, clipped to [0, 1]", async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(images.flat(), [3, 2, 2, 1]);
    const labels = [0, 1, 2];
    const eps = 0.05;
    const res = await run(clf, x, labels, fgsm(), { epsilons: [eps], sanity: false });
    const adv = (await res.results[0]!.clipped.data()) as Float32Array;
    images.forEach((img, k) => {
      const z = logitsByHand(img);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      img.forEach((xi, i) => {
        // d CE / d x_i = sum_j W_ij (p_j - onehot_j)
        const g = [0, 1, 2].reduce((s, j) => s + W[i * 3 + j]! * (p[j]! - (j === labels[k] ? 1 : 0)), 0);
        const want = Math.min(1, Math.max(0, xi + eps * Math.sign(g)));
        expect(adv[k * 4 + i]!).toBeCloseTo(want, 6);
      });
    });
    res.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
