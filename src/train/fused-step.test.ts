/** The tape-free step gives the tape path's losses, gradients and weights (up to float32 rounding), and leaks nothing. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { applyForWeightGradients } from "../tf/weight-grad-forward.js";
import { FlatAdam } from "./flat-adam.js";
import { FusedTrainStep, setFusedTrainStep } from "./fused-step.js";
import { buildCnn } from "./model.js";
import { mulberry32 } from "./rng.js";
import { trainClassifier } from "./train.js";
import { loadDataset } from "../data/index.js";

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
});

/** The tape path of trainClassifier: loss (mean or scale * sum), hits and gradients. */
function tapeStep(
  model: tf.LayersModel,
  images: Float32Array,
  shape: number[],
  labels: Int32Array,
  classes: number,
) {
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const [loss, ...grads] = tf.tidy(() => {
    const x = tf.tensor4d(images, shape as [number, number, number, number]);
    const y = tf.oneHot(tf.tensor1d(labels, "int32"), classes) as tf.Tensor2D;
    const r = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, applyForWeightGradients(model, x) as tf.Tensor2D) as tf.Scalar,
      vars,
    );
    return [r.value, ...vars.map((v) => r.grads[v.name]!)];
  });
  const out = {
    loss: loss!.dataSync()[0]!,
    grads: grads.map((g) => (g!.dataSync() as Float32Array).slice()),
  };
  tf.dispose([loss!, ...grads]);
  return out;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]!));
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

const models: Array<[string, () => tf.LayersModel]> = [
  ["gradopt train's CNN", () => buildCnn({ filters: [8, 16], dense: 32, seed: 3 })],
  [
    "two convs per stage, odd sizes",
    () =>
      buildCnn({
        inputShape: [13, 11, 3],
        filters: [4, 8],
        convsPerStage: 2,
        dense: 12,
        classes: 5,
        seed: 7,
      }),
  ],
  [
    "conv with relu activation, no bias, valid padding, 3x3 pool",
    () => {
      const m = tf.sequential();
      m.add(
        tf.layers.conv2d({
          inputShape: [12, 12, 2],
          filters: 8,
          kernelSize: 3,
          padding: "valid",
          activation: "relu",
          useBias: false,
          kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
        }),
      );
      m.add(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }));
      m.add(
        tf.layers.conv2d({
          filters: 8,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          kernelInitializer: tf.initializers.heNormal({ seed: 2 }),
        }),
      );
      m.add(tf.layers.reLU());
      m.add(tf.layers.flatten());
      m.add(
        tf.layers.dense({
          units: 16,
          activation: "relu",
          kernelInitializer: tf.initializers.heNormal({ seed: 3 }),
        }),
      );
      m.add(tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
      return m;
    },
  ],
];

describe("FusedTrainStep", () => {
  it.each(models)("matches the tape path over Adam steps: %s", (_, build) => {
    const model = build();
    const [h, w, c] = model.inputs[0]!.shape.slice(1) as number[];
    const classes = model.outputs[0]!.shape[1]!;
    const n = 24;
    const rng = mulberry32(11);
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const tensors = tf.memory().numTensors;
    const step = FusedTrainStep.create(model)!;
    expect(step).not.toBeNull();
    const weights = model.trainableWeights.map((v) => (v.read().dataSync() as Float32Array).slice());
    const tapeWeights = weights.map((x) => x.slice());
    const adam = new FlatAdam(
      weights.map((x) => x.length),
      { epsilon: tf.backend().epsilon() },
    );
    const tapeAdam = new FlatAdam(
      weights.map((x) => x.length),
      { epsilon: tf.backend().epsilon() },
    );
    const grads = weights.map((x) => new Float32Array(x.length));
    for (let k = 0; k < 4; k++) {
      const images = Float32Array.from({ length: n * h * w * c }, () => rng.next());
      const labels = Int32Array.from({ length: n }, () => Math.floor(rng.next() * classes));
      tf.tidy(() =>
        model.trainableWeights.forEach((v, j) => v.write(tf.tensor(tapeWeights[j]!, v.shape as number[]))),
      );
      const tape = tapeStep(model, images, [n, h, w, c], labels, classes);
      const fused = step.run(images, [n, h, w, c], labels, grads, 1 / n);
      expect(Math.abs(fused.loss - tape.loss)).toBeLessThan(1e-6 * Math.max(1, tape.loss));
      grads.forEach((g, j) => expect(maxRelDiff(g, tape.grads[j]!)).toBeLessThan(1e-5));
      adam.step(weights, grads, 1e-3);
      tapeAdam.step(tapeWeights, tape.grads, 1e-3);
      step.setWeights(weights);
      weights.forEach((x, j) => expect(maxRelDiff(x, tapeWeights[j]!)).toBeLessThan(1e-5));
    }
    expect(backend.numDataIds()).toBe(ids + step.heldDataIds);
    step.dispose();
    expect(backend.numDataIds()).toBe(ids);
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });

  it("gives trainClassifier the tape path's losses and weights (plain and FGSM-RS), leaking nothing", async () => {
    const data = loadDataset("bundled");
    for (const adversarial of [undefined, { method: "fgsm-rs", eps: 0.1 } as const]) {
      const run = async (fusedStep: boolean) => {
        setFusedTrainStep(fusedStep);
        const losses: number[] = [];
        const tensors = tf.memory().numTensors;
        const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
        try {
          const r = await trainClassifier(data, {
            initialModel: buildCnn({ filters: [8, 16], dense: 32, seed: 5 }),
            seed: 5,
            batchSize: 32,
            epochs: 1,
            maxSteps: 6,
            augment: "flip",
            adversarial,
            onBatch: (p) => losses.push(p.loss),
          });
          const weights = r.model.trainableWeights.map((v) => v.read().dataSync() as Float32Array);
          r.model.dispose();
          expect(tf.memory().numTensors).toBe(tensors);
          expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(ids);
          return { losses, weights };
        } finally {
          setFusedTrainStep(true);
        }
      };
      const tape = await run(false);
      const fused = await run(true);
      fused.losses.forEach((l, k) =>
        expect(Math.abs(l - tape.losses[k]!)).toBeLessThan(1e-6 * tape.losses[k]!),
      );
      // Adam divides by sqrt(v): where a gradient is rounding-sized its float32 noise moves the weight by up to ~lr,
      // so after 6 steps the weights agree to ~5e-5 of their array's largest (gradients per step to 1e-5, above).
      fused.weights.forEach((w, j) => expect(maxRelDiff(w, tape.weights[j]!)).toBeLessThan(1e-4));
    }
  });

  it("counts hits and scales the summed loss (the workers' form)", () => {
    const model = buildCnn({ filters: [4, 8], dense: 8, seed: 2 });
    const step = FusedTrainStep.create(model)!;
    const n = 8;
    const rng = mulberry32(3);
    const images = Float32Array.from({ length: n * 28 * 28 }, () => rng.next());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const grads = model.trainableWeights.map((v) => new Float32Array(v.read().size));
    const mean = step.run(images, [n, 28, 28, 1], labels, grads, 1 / n);
    const sum = grads.map((g) => g.map((v) => v * n));
    const scaled = step.run(images, [n, 28, 28, 1], labels, grads, 1);
    expect(scaled.loss).toBeCloseTo(mean.loss * n, 4);
    grads.forEach((g, j) => expect(maxRelDiff(g, sum[j]!)).toBeLessThan(1e-6));
    const z = tf.tidy(() => model.predict(tf.tensor4d(images, [n, 28, 28, 1])) as tf.Tensor2D);
    const predicted = z.argMax(1).dataSync();
    expect(mean.hits).toBe(labels.filter((l, i) => predicted[i] === l).length);
    tf.dispose(z);
    step.dispose();
    model.dispose();
  });

  it("declines what it does not cover (batch norm, dropout, other backends)", async () => {
    expect(FusedTrainStep.create(buildCnn({ filters: [4], dense: 8, batchNorm: true }))).toBeNull();
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [4, 4, 1] }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 3 }));
    expect(FusedTrainStep.create(m)).toBeNull();
    const perPixel = tf.sequential();
    perPixel.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 4, kernelSize: 3, padding: "same" }));
    perPixel.add(tf.layers.dense({ units: 4 })); // on images: per pixel, not a covered form
    perPixel.add(tf.layers.flatten());
    perPixel.add(tf.layers.dense({ units: 3 }));
    expect(FusedTrainStep.create(perPixel)).toBeNull();
    const ok = buildCnn({ filters: [4], dense: 8 });
    await tf.setBackend("cpu");
    try {
      expect(FusedTrainStep.create(ok)).toBeNull();
    } finally {
      await tf.setBackend("wasm");
    }
  });
});
