/** Training-time adversarial examples: the attack module's PGD steps, checked by hand, seeded, inside the eps-ball. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../data/index.js";
import { initBackend } from "../tf/backend.js";
import { TfjsClassifier } from "../attack/model.js";
import { adversarialBatch, type Logits } from "./adversarial.js";
import { buildCnn } from "./model.js";
import { mulberry32 } from "./rng.js";

const data = loadDataset("bundled");
const n = 16;
let model: tf.LayersModel;
let logits: Logits;
let x: tf.Tensor4D;
const labels = data.labels.slice(0, n);

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
  model = buildCnn({ filters: [8, 16], dense: 32, seed: 4 });
  logits = (xx) => model.apply(xx, { training: false }) as tf.Tensor2D;
  x = tf.tensor4d(data.images.subarray(0, n * 784), [n, 28, 28, 1]);
});

/** Summed cross-entropy of the true labels at `xx`, and its input gradient (plain tf.grad, not the attack module). */
function lossAndGrad(xx: tf.Tensor4D): { loss: number; grad: tf.Tensor4D } {
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
  const f = (v: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(y, logits(v as tf.Tensor4D), undefined, 0, tf.Reduction.SUM);
  const loss = f(xx).dataSync()[0]!;
  return { loss, grad: tf.grad(f)(xx) as tf.Tensor4D };
}

function fractionDiffering(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1e-6) differ++;
  return differ / a.length;
}

describe("adversarialBatch", () => {
  it("fgsm-rs is clip(x + U(-eps, eps)) + 1.25 eps sign(grad), projected onto the eps-ball and [0, 1]", () => {
    const eps = 0.1;
    const seed = mulberry32(7).int(); // the seed adversarialBatch draws for its random start
    const expected = tf.tidy(() => {
      const start = tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -eps, eps, "float32", seed)), 0, 1);
      const { grad } = lossAndGrad(start as tf.Tensor4D);
      const moved = tf.add(start, tf.mul(tf.sign(grad), 1.25 * eps));
      return tf.clipByValue(tf.minimum(tf.maximum(moved, tf.sub(x, eps)), tf.add(x, eps)), 0, 1);
    });
    const got = tf.tidy(() => adversarialBatch(logits, x, labels, { method: "fgsm-rs", eps }, mulberry32(7)));
    // Equal up to float rounding, except where a gradient entry within rounding of 0 takes another sign.
    expect(fractionDiffering(got.dataSync(), expected.dataSync())).toBeLessThan(1e-3);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, x))).dataSync()[0]!)).toBeGreaterThan(eps * 0.9);
    tf.dispose([got, expected]);
  });

  it("pgd stays in the eps-ball and [0, 1], raises the loss above the clean and random-start loss, leaks nothing", () => {
    const eps = 0.1;
    const before = tf.memory().numTensors;
    const adv = adversarialBatch(logits, x, labels, { method: "pgd", eps, steps: 7 }, mulberry32(3));
    const noise = tf.tidy(() =>
      tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -eps, eps, "float32", 9)), 0, 1),
    );
    const dist = tf.tidy(() => tf.max(tf.abs(tf.sub(adv, x))).dataSync()[0]!);
    expect(dist).toBeLessThanOrEqual(eps + 1e-6);
    expect(dist).toBeGreaterThan(eps * 0.9);
    expect(tf.tidy(() => tf.min(adv).dataSync()[0]!)).toBeGreaterThanOrEqual(0);
    expect(tf.tidy(() => tf.max(adv).dataSync()[0]!)).toBeLessThanOrEqual(1);
    const lossAt = (v: tf.Tensor4D) => tf.tidy(() => lossAndGrad(v).loss);
    const [clean, random, attacked] = [lossAt(x), lossAt(noise as tf.Tensor4D), lossAt(adv)];
    expect(attacked).toBeGreaterThan(1.25 * Math.max(clean, random));
    tf.dispose([adv, noise]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("is seeded: same seed, same examples; another seed, others; one-hot labels and a TfjsClassifier agree", () => {
    const cfg = { method: "pgd" as const, eps: 0.1, steps: 3 };
    const run = (seed: number, m: TfjsClassifier | Logits = logits, y: tf.Tensor2D | Int32Array = labels) =>
      tf.tidy(() => adversarialBatch(m, x, y, cfg, mulberry32(seed)).dataSync());
    const a = run(1);
    expect(Array.from(run(1))).toEqual(Array.from(a));
    expect(Array.from(run(2))).not.toEqual(Array.from(a));
    const oneHot = tf.oneHot(tf.tensor1d(labels, "int32"), 10) as tf.Tensor2D;
    expect(Array.from(run(1, logits, oneHot))).toEqual(Array.from(a));
    // The classifier's gradient fast path (no weight gradients) gives the same examples up to rounding.
    const fast = TfjsClassifier.fromModel(model, { output: "logits" });
    expect(fractionDiffering(run(1, fast), a)).toBeLessThan(1e-3);
    oneHot.dispose();
  });

  it("rejects a non-positive eps", () => {
    expect(() => adversarialBatch(logits, x, labels, { method: "fgsm-rs", eps: 0 }, mulberry32(1))).toThrow(
      /eps/,
    );
  });
});
