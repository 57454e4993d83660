/** Worker-parallel evaluation gives exactly the single-threaded predictions; data-parallel gradients match. */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../data/index.js";
import { predictClasses } from "../../train/evaluate.js";
import { buildCnn } from "../../train/model.js";
import { initBackend } from "../backend.js";
import { ModelWorkerPool, shardRanges } from "./pool.js";

const data = loadDataset("bundled", { limit: 300 });
let model: tf.LayersModel;
let pool: ModelWorkerPool;

beforeAll(async () => {
  await initBackend("wasm");
  model = buildCnn({ filters: [8, 16], dense: 32, seed: 3 });
  pool = await ModelWorkerPool.create(model, { size: 2 });
});
afterAll(async () => {
  await pool?.close();
});

describe("shardRanges", () => {
  it("covers 0..n in contiguous multiples of the quantum", () => {
    expect(shardRanges(1000, 3, 256)).toEqual([
      [0, 512],
      [512, 768],
      [768, 1000],
    ]);
    expect(shardRanges(10, 4)).toEqual([
      [0, 3],
      [3, 6],
      [6, 8],
      [8, 10],
    ]);
    expect(shardRanges(2, 4)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe("ModelWorkerPool", () => {
  it("runs wasm in every worker and predicts exactly what the main thread predicts", async () => {
    expect(pool.backend).toBe("wasm");
    const single = predictClasses((x) => model.apply(x, { training: false }) as tf.Tensor2D, data, 64);
    const parallel = await pool.predictClasses(data.images, data.shape, 64);
    expect(Array.from(parallel)).toEqual(Array.from(single));
    const { logits, classes } = await pool.predict(data.images, data.shape, 64);
    const ref = tf
      .tidy(
        () =>
          model.apply(tf.tensor4d(data.images.subarray(0, 64 * 784), [64, 28, 28, 1]), {
            training: false,
          }) as tf.Tensor,
      )
      .dataSync();
    expect(classes).toBe(10);
    expect(Array.from(logits.subarray(0, 64 * 10))).toEqual(Array.from(ref));
  });

  it("sums shard gradients into the gradient of the whole batch's mean loss", async () => {
    const n = 48;
    const images = data.images.slice(0, n * 784);
    const labels = data.labels.slice(0, n);
    const { grads, loss } = await pool.gradients(images, [n, 28, 28, 1], labels, 10, null, 1);
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const ref = tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
      const r = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            model.apply(tf.tensor4d(images, [n, 28, 28, 1]), { training: true }) as tf.Tensor,
          ) as tf.Scalar,
        vars,
      );
      return {
        value: r.value.dataSync()[0]!,
        grads: vars.map((v) => r.grads[v.name]!.dataSync() as Float32Array),
      };
    });
    expect(loss).toBeCloseTo(ref.value, 5);
    grads.forEach((g, k) => {
      const want = ref.grads[k]!;
      let scale = 1e-8;
      let diff = 0;
      for (let j = 0; j < g.length; j++) {
        scale = Math.max(scale, Math.abs(want[j]!));
        diff = Math.max(diff, Math.abs(g[j]! - want[j]!));
      }
      expect(diff / scale).toBeLessThan(1e-4);
    });
  });

  it("takes new weights into the gradient step too (the tape-free step's own copies)", async () => {
    const other = buildCnn({ filters: [8, 16], dense: 32, seed: 9 });
    const n = 32;
    const images = data.images.slice(0, n * 784);
    const labels = data.labels.slice(0, n);
    const first = await pool.gradients(images, [n, 28, 28, 1], labels, 10, null, 1);
    await pool.setWeights(other.trainableWeights.map((v) => v.read().dataSync() as Float32Array));
    const { grads, loss } = await pool.gradients(images, [n, 28, 28, 1], labels, 10, null, 1);
    const vars = other.trainableWeights.map((v) => v.read() as tf.Variable);
    const ref = tf.tidy(() => {
      const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
      const r = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            other.apply(tf.tensor4d(images, [n, 28, 28, 1]), { training: true }) as tf.Tensor,
          ) as tf.Scalar,
        vars,
      );
      return {
        value: r.value.dataSync()[0]!,
        grads: vars.map((v) => r.grads[v.name]!.dataSync() as Float32Array),
      };
    });
    expect(loss).not.toBeCloseTo(first.loss, 3);
    expect(loss).toBeCloseTo(ref.value, 5);
    grads.forEach((g, k) => {
      const want = ref.grads[k]!;
      let scale = 1e-8;
      let diff = 0;
      for (let j = 0; j < g.length; j++) {
        scale = Math.max(scale, Math.abs(want[j]!));
        diff = Math.max(diff, Math.abs(g[j]! - want[j]!));
      }
      expect(diff / scale).toBeLessThan(1e-4);
    });
    await pool.setWeights(model.trainableWeights.map((v) => v.read().dataSync() as Float32Array));
    other.dispose();
  });

  it("workers pick up weights set through the shared buffer before their next request", async () => {
    const other = buildCnn({ filters: [8, 16], dense: 32, seed: 9 });
    const weights = other.trainableWeights.map((v) => v.read().dataSync() as Float32Array);
    const n = 64;
    const images = data.images.slice(0, n * 784);
    const before = await pool.predict(images, [n, 28, 28, 1], 32);
    // A request in flight keeps the weights it started with: setWeights waits for it.
    const inFlight = pool.predict(images, [n, 28, 28, 1], 32);
    await pool.setWeights(weights);
    expect(Array.from((await inFlight).logits)).toEqual(Array.from(before.logits));
    const after = await pool.predict(images, [n, 28, 28, 1], 32);
    const ref = tf
      .tidy(() => other.apply(tf.tensor4d(images, [n, 28, 28, 1]), { training: false }) as tf.Tensor)
      .dataSync();
    expect(Array.from(after.logits)).toEqual(Array.from(ref));
    expect(Array.from(after.logits)).not.toEqual(Array.from(before.logits));
    await expect(pool.setWeights(weights.slice(1))).rejects.toThrow(/arrays for/);
    // Back to the shared model's weights for the other tests.
    await pool.setWeights(model.trainableWeights.map((v) => v.read().dataSync() as Float32Array));
    other.dispose();
  });
});
