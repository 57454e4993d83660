import { describe, expect, it } from "vitest";
import { adam, minimize, runTransform } from "../index.js";
import { estimatedObjective, gradientEstimator, nesGradient, spsaGradient } from "./index.js";

// A smooth, non-separable test function in 50 dimensions with its exact gradient.
const N = 50;
function rosenLike(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 10 * (x[i + 1]! - x[i]! * x[i]!) ** 2 + (1 - x[i]!) ** 2;
  return s + Math.sin(x[0]!);
}
function rosenLikeGrad(x: Float64Array): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length - 1; i++) {
    const r = x[i + 1]! - x[i]! * x[i]!;
    g[i] = g[i]! - 40 * r * x[i]! - 2 * (1 - x[i]!);
    g[i + 1] = g[i + 1]! + 20 * r;
  }
  g[0] = g[0]! + Math.cos(x[0]!);
  return g;
}
function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}
const x0 = Float64Array.from({ length: N }, (_, i) => 0.3 * Math.sin(1.7 * i) + 0.5);

describe("gradient estimators", () => {
  it("SPSA with 100 direction pairs (200 queries) correlates with the true gradient in 50-D: cosine > 0.5", () => {
    const g = new Float64Array(N);
    let calls = 0;
    const q = spsaGradient((x) => (calls++, rosenLike(x)), x0, g, { samples: 100, delta: 1e-4, seed: 1 });
    const c = cosine(g, rosenLikeGrad(x0));
    expect(q).toBe(200);
    expect(calls).toBe(200);
    expect(c).toBeGreaterThan(0.5);
  });

  it("NES (antithetic Gaussian) with 100 pairs: cosine > 0.5; more samples give a better estimate", () => {
    const exact = rosenLikeGrad(x0);
    const g = new Float64Array(N);
    nesGradient(rosenLike, x0, g, { samples: 100, delta: 1e-4, seed: 2 });
    const c100 = cosine(g, exact);
    expect(c100).toBeGreaterThan(0.5);
    nesGradient(rosenLike, x0, g, { samples: 2000, delta: 1e-4, seed: 2 });
    expect(cosine(g, exact)).toBeGreaterThan(Math.max(c100, 0.9));
  });

  it("is unbiased: the average of many SPSA estimates converges to the gradient (relative error within 2x the sqrt(n/S) = 5% spread at 20000 pairs)", () => {
    const exact = rosenLikeGrad(x0);
    const g = new Float64Array(N);
    spsaGradient(rosenLike, x0, g, { samples: 20000, delta: 1e-4, seed: 3 });
    let err = 0,
      norm = 0;
    for (let i = 0; i < N; i++) {
      err += (g[i]! - exact[i]!) ** 2;
      norm += exact[i]! ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(2 * Math.sqrt(N / 20000));
  });

  it("leaves x untouched and counts queries across estimates", () => {
    const est = gradientEstimator(N, { samples: 3, seed: 0 });
    const x = Float64Array.from(x0);
    const g = new Float64Array(N);
    est.estimate(rosenLike, x, g);
    est.estimate(rosenLike, x, g);
    expect(est.queries).toBe(12);
    expect(Array.from(x)).toEqual(Array.from(x0));
  });

  it("rejects bad options with E_ARG", () => {
    expect(() => gradientEstimator(3, { samples: 0 })).toThrow(/samples/);
    expect(() => gradientEstimator(3, { delta: -1 })).toThrow(/delta/);
  });
});

describe("estimatedObjective: value-only objectives for the minimisers", () => {
  const quad = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += (i + 1) * (x[i]! - 1) ** 2;
    return s;
  };

  it("runTransform(adam) minimises a 10-D quadratic from values alone within the query budget", () => {
    let calls = 0;
    const obj = estimatedObjective((x) => (calls++, quad(x)), 10, {
      samples: 4,
      delta: 1e-4,
      seed: 5,
      maxQueries: 9 * 300,
    });
    const r = runTransform(obj.fg, new Float64Array(10), adam(0.05), {
      maxIter: 10_000,
      maxEval: obj.maxEvaluations,
      gtol: 0,
    });
    expect(quad(new Float64Array(10))).toBe(55);
    expect(r.f).toBeLessThan(0.05);
    expect(obj.queries).toBe(calls);
    expect(calls).toBeLessThanOrEqual(9 * 300);
  });

  it("a DDE-style black-box cost (no gradient available) through minimize", () => {
    // J(k) = sum of (y(t) - data)^2 where y solves y' = -k y by explicit Euler: a value-only simulator.
    const simulate = (k: number) => {
      const ys: number[] = [];
      let y = 1;
      for (let s = 0; s < 100; s++) {
        y += 0.02 * -k * y;
        if (s % 10 === 9) ys.push(y);
      }
      return ys;
    };
    const data = simulate(1.3);
    const cost = (p: Float64Array) => simulate(p[0]!).reduce((s, y, i) => s + (y - data[i]!) ** 2, 0);
    const obj = estimatedObjective(cost, 1, { samples: 1, delta: 1e-5 });
    const r = minimize(obj.fg, [0.5], { method: "lbfgs", gtol: 1e-7, maxEval: 200 });
    expect(r.x[0]).toBeCloseTo(1.3, 3);
    expect(obj.queries).toBe(3 * r.evaluations);
  });

  it("stops with a message naming the budget when it runs out", () => {
    const obj = estimatedObjective(quad, 10, { samples: 2, maxQueries: 50 });
    const r = runTransform(obj.fg, new Float64Array(10), adam(0.01), { maxIter: 1000 });
    expect(r.converged).toBe(false);
    expect(r.message).toMatch(/query budget of 50/);
    expect(obj.queries).toBeLessThanOrEqual(50);
  });
});
