import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import {
  adversarialGradient,
  fileSystemHandler,
  fgsm,
  misclassification,
  run,
  TfjsClassifier,
} from "./index.js";

let dir: string;
beforeAll(async () => {
  await initBackend("wasm");
  dir = mkdtempSync(join(tmpdir(), "gradopt-attack-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** conv -> maxpool -> dense, tiny and seeded, ending in `activation`. */
function tinyModel(activation: "linear" | "softmax", seed = 1): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [6, 6, 2],
      filters: 3,
      kernelSize: 3,
      padding: "same",
      activation: "tanh",
      kernelInitializer: tf.initializers.glorotNormal({ seed }),
    }),
  );
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(
    tf.layers.dense({
      units: 4,
      activation,
      kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }),
      biasInitializer: tf.initializers.randomNormal({ seed: seed + 2 }),
    }),
  );
  return m;
}

describe("TfjsClassifier", () => {
  it("input gradient matches central finite differences (wasm kernels in the path)", () => {
    const model = TfjsClassifier.fromModel(tinyModel("linear"));
    const x = tf.randomUniform([2, 6, 6, 2], 0.1, 0.9, "float32", 3);
    const crit = misclassification([1, 3]);
    const { grad, loss, logits } = adversarialGradient(model, x, crit);
    const g = grad.dataSync();
    const xs = x.dataSync();
    const f = (v: Float32Array) =>
      tf.tidy(() => {
        const xx = tf.tensor(v, x.shape);
        const l = adversarialGradient(model, xx, crit).loss;
        return tf.sum(l).dataSync()[0]!;
      });
    const h = 1e-3;
    let worst = 0;
    const scale = Math.max(...Array.from(g, Math.abs));
    for (let i = 0; i < xs.length; i += 5) {
      const p = Float32Array.from(xs);
      const m = Float32Array.from(xs);
      p[i]! += h;
      m[i]! -= h;
      const fd = (f(p) - f(m)) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[i]!));
    }
    expect(scale).toBeGreaterThan(1e-3);
    expect(worst / scale).toBeLessThan(2e-2);
    tf.dispose([x, grad, loss, logits]);
    model.dispose();
  });

  it("runs a model that ends in softmax without it: logits, not probabilities", () => {
    const withSoftmax = tinyModel("softmax", 5);
    const plain = tinyModel("linear", 5); // same seeds, same weights
    const model = TfjsClassifier.fromModel(withSoftmax, { onWarning: () => {} });
    expect(model.outputKind).toBe("softmax-removed");
    const x = tf.randomUniform([3, 6, 6, 2], 0, 1, "float32", 9);
    const ours = model.logits(x).dataSync();
    const ref = (plain.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < ref.length; i++) expect(ours[i]).toBeCloseTo(ref[i]!, 5);
    // ...and the user's model is untouched: it still outputs probabilities.
    const probs = (withSoftmax.predict(x) as tf.Tensor).sum(1).dataSync();
    for (const s of probs) expect(s).toBeCloseTo(1, 5);
    tf.dispose(x);
  });

  it("warns when a model outputs probabilities it cannot unwrap (and uses log-probabilities)", async () => {
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }));
    m.add(tf.layers.activation({ activation: "sigmoid" }));
    const warnings: string[] = [];
    const model = TfjsClassifier.fromModel(m, {
      output: "probabilities",
      onWarning: (w) => warnings.push(w),
    });
    expect(model.outputKind).toBe("log-probabilities");
    expect(warnings[0]).toMatch(/probabilities/);
    // A logits model whose outputs happen to be probabilities is flagged by the sanity check.
    const softmaxHidden = tf.sequential();
    softmaxHidden.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    softmaxHidden.add(
      tf.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
      }),
    );
    const trusting = TfjsClassifier.fromModel(softmaxHidden, {
      output: "logits",
      onWarning: (w) => warnings.push(w),
    });
    const x = tf.randomUniform([5, 4, 4, 1], 0, 1, "float32", 1);
    const r = await run(trusting, x, [0, 1, 2, 0, 1], fgsm(), { epsilons: [0.1] });
    expect(r.warnings.some((w) => /look like probabilities/.test(w))).toBe(true);
    r.dispose();
    x.dispose();
  });

  it("computes the same logits and loss under a gradient tape (conv + batch-norm fast path) as model.predict", () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [6, 6, 2],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }),
        biasInitializer: tf.initializers.randomNormal({ seed: 4 }),
      }),
    );
    m.add(
      tf.layers.batchNormalization({
        movingMeanInitializer: tf.initializers.randomNormal({ seed: 5 }),
        movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 6 }),
        gammaInitializer: tf.initializers.randomNormal({ seed: 7 }),
        betaInitializer: tf.initializers.randomNormal({ seed: 8 }),
      }),
    );
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }));
    const model = TfjsClassifier.fromModel(m);
    const x = tf.randomUniform([3, 6, 6, 2], 0, 1, "float32", 2);
    const crit = misclassification([0, 1, 2]);
    const { loss, logits, grad } = adversarialGradient(model, x, crit);
    const ref = (m.predict(x) as tf.Tensor).dataSync();
    const ours = logits.dataSync();
    for (let i = 0; i < ref.length; i++) expect(ours[i]).toBeCloseTo(ref[i]!, 4);
    const refLoss = tf.losses
      .softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d([0, 1, 2], "int32"), 3),
        m.predict(x) as tf.Tensor,
        undefined,
        0,
        tf.Reduction.NONE,
      )
      .dataSync();
    const l = loss.dataSync();
    for (let i = 0; i < 3; i++) expect(l[i]).toBeCloseTo(refLoss[i]!, 4);
    // The user's layers are restored afterwards.
    for (const layer of m.layers) expect(Object.prototype.hasOwnProperty.call(layer, "call")).toBe(false);
    tf.dispose([x, loss, logits, grad]);
  });

  it("fuses a ReLU layer and the 2x2 max pooling after it under the tape: the same gradient as without the fast path", async () => {
    const m = tf.sequential();
    m.add(
      tf.layers.conv2d({
        inputShape: [9, 10, 1],
        filters: 8,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotNormal({ seed: 11 }),
        biasInitializer: tf.initializers.randomNormal({ seed: 12 }),
      }),
    );
    m.add(tf.layers.reLU());
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 })); // 9x10 -> 4x5: a row no window covers
    m.add(
      tf.layers.conv2d({
        filters: 8,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotNormal({ seed: 13 }),
      }),
    );
    m.add(tf.layers.activation({ activation: "relu" }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: 14 }) }));
    const x = tf.randomUniform([4, 9, 10, 1], 0, 1, "float32", 3);
    const crit = misclassification([0, 1, 2, 0]);
    const grads = [true, false].map((fastPath) => {
      const model = TfjsClassifier.fromModel(m, { gradientFastPath: fastPath });
      const before = tf.memory().numTensors;
      const g = tf.tidy(() => adversarialGradient(model, x, crit).grad.dataSync());
      expect(tf.memory().numTensors).toBe(before);
      return Array.from(g);
    });
    expect(grads[0]!.some((v) => v !== 0)).toBe(true);
    // Both pairs took the fused op (wasm with SIMD128: one kernel each way).
    const fast = TfjsClassifier.fromModel(m);
    const prof = await tf.profile(() => tf.dispose(adversarialGradient(fast, x, crit)));
    expect(prof.kernels.filter((k) => k.name === "GradoptReluMaxPool").length).toBe(2);
    expect(prof.kernels.filter((k) => k.name === "GradoptReluMaxPoolGrad").length).toBe(2);
    for (let i = 0; i < grads[1]!.length; i++) expect(grads[0]![i]).toBeCloseTo(grads[1]![i]!, 5);
    for (const layer of m.layers) expect(Object.prototype.hasOwnProperty.call(layer, "call")).toBe(false);
    x.dispose();
    m.dispose();
  });

  it("applies preprocessing inside the forward pass (mobilenet [-1, 1], mean/std)", () => {
    const m = tinyModel("linear", 7);
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, "float32", 4);
    const mob = TfjsClassifier.fromModel(m, { preprocessing: "mobilenet" }).logits(x).dataSync();
    const ref = (m.predict(tf.sub(tf.mul(x, 2), 1)) as tf.Tensor).dataSync();
    for (let i = 0; i < ref.length; i++) expect(mob[i]).toBeCloseTo(ref[i]!, 5);
    const ms = TfjsClassifier.fromModel(m, { preprocessing: { mean: [0.5, 0.25], std: [0.2, 0.4] } })
      .logits(x)
      .dataSync();
    const ref2 = (
      m.predict(tf.div(tf.sub(x, tf.tensor1d([0.5, 0.25])), tf.tensor1d([0.2, 0.4]))) as tf.Tensor
    ).dataSync();
    for (let i = 0; i < ref2.length; i++) expect(ms[i]).toBeCloseTo(ref2[i]!, 4);
    expect(() => TfjsClassifier.fromModel(m, { preprocessing: { mean: 0, std: 0 } })).toThrow(
      /std must be > 0/,
    );
    expect(() => TfjsClassifier.fromModel(m, { bounds: [1, 0] })).toThrow(/lower < upper/);
  });

  it("saves to and loads from disk (file:// IO for Node), with class names from the metadata", async () => {
    const m = tinyModel("linear", 11);
    m.setUserDefinedMetadata({ classNames: ["a", "b", "c", "d"] });
    await m.save(fileSystemHandler(join(dir, "tiny")));
    const loaded = await TfjsClassifier.load(join(dir, "tiny"));
    expect(loaded.classNames).toEqual(["a", "b", "c", "d"]);
    expect(loaded.numClasses).toBe(4);
    expect(loaded.inputShape).toEqual([6, 6, 2]);
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, "float32", 4);
    const a = loaded.logits(x).dataSync();
    const b = (m.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
    await expect(TfjsClassifier.load(join(dir, "missing"))).rejects.toThrow(/cannot read the model/);
  });
});
