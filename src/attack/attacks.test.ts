import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attack } from "./base.js";
import {
  bim,
  carliniWagnerL2,
  deepFool,
  fgm,
  fgsm,
  l2Pgd,
  miFgsm,
  pgd,
  reverseStep,
  run,
  type TfjsClassifier,
} from "./index.js";
import { maxDistance, tinySetup } from "./testing.js";

let model: TfjsClassifier;
let x: tf.Tensor4D;
let labels: Int32Array;

beforeAll(async () => {
  ({ model, x, labels } = await tinySetup(64));
});
afterAll(() => {
  tf.dispose(x);
  model.dispose();
});

const table: Array<{ attack: Attack; eps: number[] }> = [
  { attack: fgsm(), eps: [0.03, 0.1] },
  { attack: fgm(), eps: [0.5, 1.5] },
  { attack: bim({ steps: 5 }), eps: [0.03, 0.1] },
  { attack: pgd({ steps: 5 }), eps: [0.03, 0.1] },
  { attack: l2Pgd({ steps: 5 }), eps: [0.5, 1.5] },
  { attack: miFgsm({ steps: 5 }), eps: [0.03, 0.1] },
  { attack: carliniWagnerL2({ steps: 10, binarySearchSteps: 2 }), eps: [0.5, 1.5] },
  { attack: deepFool({ steps: 10 }), eps: [0.5, 1.5] },
  { attack: deepFool({ steps: 10, distance: "linf" }), eps: [0.03, 0.1] },
];

describe.each(table)("$attack.name", ({ attack, eps }) => {
  it("keeps every adversarial within eps and within the bounds, exactly, and scores it against the true labels", async () => {
    const r = await run(model, x, labels, attack, { epsilons: eps, sanity: false });
    for (const e of r.results) {
      expect(maxDistance(e.clipped, x, attack.distance)).toBeLessThanOrEqual(e.eps);
      const v = e.clipped.dataSync();
      let lo = Infinity;
      let hi = -Infinity;
      for (const p of v) {
        lo = Math.min(lo, p);
        hi = Math.max(hi, p);
      }
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      // accuracy counts predictions equal to the TRUE labels
      let correct = 0;
      for (let i = 0; i < r.n; i++) if (e.predictions[i] === labels[i]) correct++;
      expect(e.accuracy).toBeCloseTo(correct / r.n, 12);
      for (let i = 0; i < r.n; i++) expect(e.success[i] === 1).toBe(e.predictions[i] !== labels[i]);
    }
    // A larger budget never does worse here (fixed attacks rerun; minimisation attacks clip one result).
    expect(r.results[1]!.accuracy).toBeLessThanOrEqual(r.results[0]!.accuracy + 0.05);
    expect(r.results[1]!.accuracy).toBeLessThan(r.clean.accuracy);
    r.dispose();
  });
});

describe("attack strength", () => {
  it("orders robust accuracy PGD <= BIM <= FGSM (small tolerance)", async () => {
    const eps = [0.05, 0.1];
    const acc = async (a: Attack) => {
      const r = await run(model, x, labels, a, { epsilons: eps, sanity: false });
      const out = r.results.map((e) => e.accuracy);
      r.dispose();
      return out;
    };
    const [f, b, p] = [await acc(fgsm()), await acc(bim({ steps: 10 })), await acc(pgd({ steps: 20 }))];
    for (let k = 0; k < eps.length; k++) {
      expect(b[k]!).toBeLessThanOrEqual(f[k]! + 0.02);
      expect(p[k]!).toBeLessThanOrEqual(b[k]! + 0.04);
    }
  });

  it("drives accuracy to 0% with an unbounded PGD (eps = 1)", async () => {
    const r = await run(model, x, labels, pgd({ steps: 10 }), { epsilons: [1] });
    expect(r.results[0]!.accuracy).toBe(0);
    r.dispose();
  });

  it("reaches the target class for most inputs when targeted", async () => {
    const target = 8; // Bag
    const r = await run(model, x, labels, pgd({ steps: 20 }), { epsilons: [0.3], targeted: target });
    const e = r.results[0]!;
    let hit = 0;
    for (let i = 0; i < r.n; i++) if (e.predictions[i] === target) hit++;
    expect(hit / r.n).toBeGreaterThan(0.8);
    expect(r.criterion.kind).toBe("targeted");
    r.dispose();
  });

  it("targeted FGSM moves predictions towards the target", async () => {
    const r = await run(model, x, labels, fgsm(), { epsilons: [0, 0.1], targeted: 1 });
    const count = (p: Int32Array) => p.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
    expect(count(r.results[1]!.predictions)).toBeGreaterThan(count(r.results[0]!.predictions));
    r.dispose();
  });

  it("top-k: success means the true label left the top k, so it is rarer than top-1 misclassification", async () => {
    const top1 = await run(model, x, labels, pgd({ steps: 5 }), { epsilons: [0.1] });
    const top3 = await run(model, x, labels, pgd({ steps: 5 }), { epsilons: [0.1], topK: 3 });
    const rate = (s: Uint8Array) => s.reduce((a, v) => a + v, 0) / s.length;
    expect(rate(top3.results[0]!.success)).toBeLessThanOrEqual(rate(top1.results[0]!.success));
    expect(rate(top3.results[0]!.success)).toBeGreaterThan(0);
    top1.dispose();
    top3.dispose();
  });

  it("the reverse step raises the true class's confidence", async () => {
    const r = await run(model, x, labels, reverseStep(), { epsilons: [0.05, 0.1] });
    expect(r.results[0]!.meanTrueConfidence).toBeGreaterThan(
      r.clean.trueConfidence.reduce((a, v) => a + v, 0) / r.n + 0.05,
    );
    expect(r.results[1]!.accuracy).toBeGreaterThan(r.clean.accuracy);
    r.dispose();
  });
});

describe("run()", () => {
  it.each([
    fgsm(),
    fgm(),
    bim({ steps: 3 }),
    pgd({ steps: 4, restarts: 2 }),
    l2Pgd({ steps: 3 }),
    miFgsm({ steps: 3 }),
    carliniWagnerL2({ steps: 3, binarySearchSteps: 2 }),
    deepFool({ steps: 3 }),
    reverseStep(),
  ])("$name leaks no tensors (tf.memory)", async (attack) => {
    const xs = x.slice(0, 16);
    const before = tf.memory().numTensors;
    const r = await run(model, xs, labels.subarray(0, 16), attack, { epsilons: [0, 0.05, 0.5] });
    expect(tf.memory().numTensors).toBeGreaterThan(before); // the result holds its tensors...
    r.dispose();
    expect(tf.memory().numTensors).toBe(before); // ...and nothing else is left behind
    xs.dispose();
  });

  it("returns the contract's summary", async () => {
    const r = await run(model, x, labels, fgsm(), { epsilons: [0, 0.1] });
    const s = r.summary();
    expect(s.n).toBe(64);
    expect(s.clean.accuracy).toBeGreaterThan(0.5);
    expect(s.results.map((e) => e.eps)).toEqual([0, 0.1]);
    for (const e of s.results)
      for (const k of ["eps", "accuracy", "attackSuccessRate", "meanConfidence", "maxLinf"] as const)
        expect(Number.isFinite(e[k])).toBe(true);
    expect(s.results[0]!.accuracy).toBe(s.clean.accuracy);
    expect(s.results[0]!.maxLinf).toBe(0);
    r.dispose();
  });

  it("rejects inputs outside the bounds with a hint about the pixel scale", async () => {
    const big = tf.mul(x, 255);
    await expect(run(model, big, labels, fgsm(), { epsilons: [0.1] })).rejects.toThrow(/0-255 pixels/);
    big.dispose();
  });

  it("rejects mismatched labels and bad eps", async () => {
    await expect(run(model, x, labels.subarray(0, 3), fgsm(), { epsilons: [0.1] })).rejects.toThrow(
      /3 labels for 64 inputs/,
    );
    await expect(run(model, x, labels, fgsm(), { epsilons: [-1] })).rejects.toThrow(
      /eps must be finite and >= 0/,
    );
  });
});
