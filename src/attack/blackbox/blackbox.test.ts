import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../data/index.js";
import { initBackend } from "../../tf/backend.js";
import { TfjsClassifier } from "../model.js";
import { pgd } from "../pgd.js";
import { run } from "../run.js";
import {
  classifierAsBlackBox,
  compareWithWhiteBox,
  hopSkipJump,
  predictModel,
  runBlackBox,
  spsaAttack,
  squareAttack,
  type BlackBoxModel,
} from "./index.js";

const MODEL_DIR = fileURLToPath(new URL("../../../models/fashion-cnn/", import.meta.url));
const N = 100;
let classifier: TfjsClassifier;
let images: Float32Array;
let labels: Int32Array;
/** The bundled CNN through a predict-only function whose calls we count ourselves. */
let counted: { model: BlackBoxModel; images: () => number };

beforeAll(async () => {
  await initBackend("wasm");
  classifier = await TfjsClassifier.load(MODEL_DIR, { onWarning: () => {} });
  const ds = loadDataset("bundled", { limit: N });
  images = ds.images;
  labels = ds.labels;
  const inner = classifierAsBlackBox(classifier);
  let seen = 0;
  const model = predictModel(
    async (x, n) => {
      seen += n;
      return inner.scores(x, n);
    },
    { inputShape: [28, 28, 1], numClasses: 10 },
  );
  counted = { model, images: () => seen };
});

describe("square attack on the bundled fashion-cnn (predict-only)", () => {
  it("at eps 0.1 with 1000 queries per image reaches white-box PGD-40's accuracy within a few points; query counts match the calls", async () => {
    const t0 = performance.now();
    const before = counted.images();
    const r = await runBlackBox(
      counted.model,
      images,
      labels,
      squareAttack({ maxQueries: 1000, pInit: 0.3 }),
      { epsilons: [0.1] },
    );
    const t1 = performance.now();
    const white = await run(classifier, tf.tensor4d(images, [N, 28, 28, 1]), labels, pgd({ steps: 40 }), {
      epsilons: [0.1],
      sanity: false,
    });
    const pgdAcc = white.results[0]!.accuracy;
    white.dispose();
    const s = r.summary();
    console.log(
      `square eps 0.1: clean ${s.clean.accuracy}, acc ${s.results[0]!.accuracy}, queries mean ${s.queries.mean} median ${s.queries.median}; PGD-40 ${pgdAcc}; ${((t1 - t0) / 1000).toFixed(1)} s`,
    );
    expect(s.results[0]!.accuracy).toBeLessThan(s.clean.accuracy - 0.3);
    expect(Math.abs(s.results[0]!.accuracy - pgdAcc)).toBeLessThanOrEqual(0.05);
    expect(s.results[0]!.maxLinf).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(counted.images() - before).toBe(s.queries.total);
    expect(r.perSampleQueries.every((q) => q >= 1 && q <= 1000)).toBe(true);
    // The gradient-masking verdict: on this undefended CNN the black-box attack must not beat PGD.
    const verdict = compareWithWhiteBox([{ eps: 0.1, accuracy: pgdAcc }], s.results, {
      whiteName: "pgd",
      blackName: "square",
    });
    console.log(verdict.message);
    expect(verdict.verdict).toBe("consistent");
  });

  it("the tfjs wrapper leaks no tensors", async () => {
    const before = tf.memory().numTensors;
    await counted.model.scores(images.subarray(0, 10 * 784), 10);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("HopSkipJump (decision-based, L2) on the bundled fashion-cnn", () => {
  it("the L2 distance of the adversarial shrinks over iterations; every query is counted", async () => {
    const n = 8;
    const before = counted.images();
    const r = await runBlackBox(
      counted.model,
      images.subarray(0, n * 784),
      labels.subarray(0, n),
      hopSkipJump({ iterations: 8, initialEvals: 50, maxQueries: 2000 }),
      { epsilons: [0.5, 1, 2, 1e9] },
    );
    const s = r.summary();
    const h = s.l2History!;
    console.log(
      `hsj: median L2 per iteration ${h.map((v) => v.toFixed(2)).join(" ")}; queries mean ${s.queries.mean}; acc ${s.results.map((x) => x.accuracy).join(" ")}`,
    );
    expect(counted.images() - before).toBe(s.queries.total);
    expect(h[h.length - 1]!).toBeLessThan(0.6 * h[0]!);
    r.history!.forEach((hist, i) => {
      if (hist.length === 0) return; // misclassified before the attack
      expect(hist[hist.length - 1]!).toBeLessThan(hist[0]!);
      for (let t = 1; t < hist.length; t++) expect(hist[t]!).toBeLessThanOrEqual(hist[t - 1]!);
      expect(r.distances![i]).toBeCloseTo(hist[hist.length - 1]!, 6);
    });
    // Unbounded: every input is broken; accuracy falls as eps grows.
    expect(s.results[3]!.accuracy).toBe(0);
    for (let e = 1; e < 4; e++)
      expect(s.results[e]!.accuracy).toBeLessThanOrEqual(s.results[e - 1]!.accuracy);
    // The reported adversarials are adversarial and as far as reported.
    const res = r.results[3]!;
    expect(res.success.every((v) => v === 1)).toBe(true);
    expect(res.maxL2).toBeCloseTo(Math.max(...r.distances!), 4);
  });
});

describe("SPSA-PGD (score-based, L-inf) on the bundled fashion-cnn", () => {
  it("at eps 0.1 breaks most of 30 inputs within 600 queries each, inside the eps-ball; queries counted", async () => {
    const n = 30;
    const before = counted.images();
    const r = await runBlackBox(
      counted.model,
      images.subarray(0, n * 784),
      labels.subarray(0, n),
      spsaAttack({ maxQueries: 600, samples: 16 }),
      { epsilons: [0, 0.1] },
    );
    const s = r.summary();
    console.log(
      `spsa eps 0.1: clean ${s.clean.accuracy} acc ${s.results[1]!.accuracy} queries mean ${s.results[1]!.queries.mean} median ${s.results[1]!.queries.median}`,
    );
    expect(counted.images() - before).toBe(s.queries.total);
    expect(s.results[0]!.accuracy).toBe(s.clean.accuracy);
    expect(s.results[1]!.accuracy).toBeLessThan(s.clean.accuracy - 0.3);
    expect(s.results[1]!.maxLinf).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(r.results[1]!.perSampleQueries.every((q) => q <= 600)).toBe(true);
  });
});
