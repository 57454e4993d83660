import { describe, expect, it } from "vitest";
import {
  compareWithWhiteBox,
  hopSkipJump,
  margins,
  predictModel,
  queryStats,
  runBlackBox,
  spsaAttack,
  squareAttack,
  squareSchedule,
} from "./index.js";

// A tiny linear "model" over 4x4 one-channel images: class 1 when the mean pixel exceeds 0.5 (softmax of ±20·(mean − 0.5)).
function linearModel(calls: { images: number }) {
  return predictModel(
    (x, n) => {
      calls.images += n;
      const out = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < 16; j++) s += x[i * 16 + j]!;
        const z = 20 * (s / 16 - 0.5);
        out[2 * i + 1] = 1 / (1 + Math.exp(-z));
        out[2 * i] = 1 - out[2 * i + 1]!;
      }
      return out;
    },
    { inputShape: [4, 4, 1], numClasses: 2, batchSize: 7 },
  );
}

describe("predict-only wrapper", () => {
  it("batches, counts every image and checks the output length", async () => {
    const calls = { images: 0 };
    const m = linearModel(calls);
    const s = await m.scores(new Float32Array(20 * 16).fill(0.6), 20);
    expect(m.queries).toBe(20);
    expect(m.calls).toBe(3);
    expect(calls.images).toBe(20);
    expect(s[1]).toBeGreaterThan(0.5);
    const bad = predictModel(() => new Float32Array(3), { inputShape: [2], numClasses: 2 });
    await expect(bad.scores(new Float32Array(2), 1)).rejects.toThrow(/returned 3 values/);
    expect(() => predictModel(() => [], { inputShape: [0], numClasses: 2 })).toThrow(/inputShape/);
  });

  it("margins of probabilities equal logit margins (log-softmax shifts every logit equally)", () => {
    const m = predictModel(() => [], { inputShape: [1], numClasses: 3 });
    const logits = [2, -1, 0.5];
    const z = logits.reduce((s, v) => s + Math.exp(v), 0);
    const p = Float32Array.from(logits, (v) => Math.exp(v) / z);
    const out = new Float64Array(1);
    margins(m, p, [0], [0], out);
    expect(out[0]).toBeCloseTo(1.5, 5);
  });
});

describe("attacks on a model with a known boundary", () => {
  // Inputs at mean 0.4 (class 0): the L-inf distance to the boundary is exactly 0.1, the L2 distance 0.1·sqrt(16) = 0.4.
  const x = new Float32Array(3 * 16).fill(0.4);
  const labels = [0, 0, 0];

  it("square: fails below the exact boundary distance, succeeds above it; queries = calls", async () => {
    const calls = { images: 0 };
    const m = linearModel(calls);
    const r = await runBlackBox(m, x, labels, squareAttack({ maxQueries: 200, pInit: 0.3 }), {
      epsilons: [0.09, 0.11],
    });
    expect(r.results[0]!.accuracy).toBe(1);
    expect(r.results[1]!.accuracy).toBe(0);
    expect(calls.images).toBe(r.queries.total);
    expect(r.results[0]!.perSampleQueries.every((q) => q === 200)).toBe(true); // no early stop where it cannot win
  });

  it("spsa: cannot cross below the boundary distance, crosses well above it", async () => {
    const calls = { images: 0 };
    const r = await runBlackBox(linearModel(calls), x, labels, spsaAttack({ maxQueries: 400, samples: 8 }), {
      epsilons: [0.09, 0.15],
    });
    expect(r.results.map((e) => e.accuracy)).toEqual([1, 0]);
    expect(calls.images).toBe(r.queries.total);
  });

  it("spsa with Gaussian (NES) directions: the same threshold", async () => {
    const calls = { images: 0 };
    const attack = spsaAttack({ maxQueries: 400, samples: 8, directions: "gaussian" });
    expect(attack.name).toBe("nes");
    const r = await runBlackBox(linearModel(calls), x, labels, attack, { epsilons: [0.09, 0.15] });
    expect(r.results.map((e) => e.accuracy)).toEqual([1, 0]);
    expect(calls.images).toBe(r.queries.total);
  });

  it("hsj: converges to the exact L2 distance 0.4 from above", async () => {
    const calls = { images: 0 };
    const r = await runBlackBox(
      linearModel(calls),
      x,
      labels,
      hopSkipJump({ iterations: 20, initialEvals: 30, maxQueries: 3000 }),
      { epsilons: [0.39, 0.45] },
    );
    for (const dist of r.distances!) {
      expect(dist).toBeGreaterThanOrEqual(0.4 - 1e-4);
      expect(dist).toBeLessThan(0.42);
    }
    expect(r.results.map((e) => e.accuracy)).toEqual([1, 0]);
    expect(calls.images).toBe(r.queries.total);
  });

  it("rejects out-of-bounds inputs and bad labels", async () => {
    const m = linearModel({ images: 0 });
    await expect(
      runBlackBox(m, new Float32Array(16).fill(2), [0], squareAttack(), { epsilons: [0.1] }),
    ).rejects.toThrow(/outside the bounds/);
    await expect(
      runBlackBox(m, new Float32Array(16), [5], squareAttack(), { epsilons: [0.1] }),
    ).rejects.toThrow(/label 5/);
  });
});

describe("helpers", () => {
  it("square's p schedule halves at the paper's (rescaled) iterations", () => {
    expect(squareSchedule(0.8, 1, 10000)).toBe(0.8);
    expect(squareSchedule(0.8, 11, 10000)).toBe(0.4);
    expect(squareSchedule(0.8, 600, 10000)).toBe(0.05);
    expect(squareSchedule(0.8, 50, 1000)).toBe(0.1); // 50 of 1000 = 500 of 10000: still p/8
    expect(squareSchedule(0.8, 51, 1000)).toBe(0.05);
  });

  it("queryStats", () => {
    expect(queryStats([1, 5, 3, 100])).toEqual({ mean: 27.25, median: 4, max: 100, total: 109 });
  });

  it("compareWithWhiteBox: a black-box attack beating PGD means masked gradients", () => {
    const white = [
      { eps: 0.1, accuracy: 0.3 },
      { eps: 0.2, accuracy: 0.1 },
    ];
    const ok = compareWithWhiteBox(white, [
      { eps: 0.1, accuracy: 0.31 },
      { eps: 0.2, accuracy: 0.2 },
    ]);
    expect(ok.verdict).toBe("consistent");
    const masked = compareWithWhiteBox(
      white,
      [
        { eps: 0.1, accuracy: 0.1 },
        { eps: 0.2, accuracy: 0.1 },
      ],
      { whiteName: "pgd", blackName: "square" },
    );
    expect(masked.verdict).toBe("gradient-masking-suspected");
    expect(masked.message).toMatch(/square beats pgd at eps 0.1 .*masked/);
  });
});
