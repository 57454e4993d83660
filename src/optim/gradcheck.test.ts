import { describe, expect, it } from "vitest";
import { checkGradient } from "./index.js";

const fg = (x: Float64Array, g: Float64Array) => {
  // f = x0² x1 + sin(x2) + 1e6 x3 (mixed scales)
  g[0] = 2 * x[0]! * x[1]!;
  g[1] = x[0]! ** 2;
  g[2] = Math.cos(x[2]!);
  g[3] = 1e6;
  return x[0]! ** 2 * x[1]! + Math.sin(x[2]!) + 1e6 * x[3]!;
};

describe("checkGradient", () => {
  it("accepts an exact gradient, with tiny per-component errors", () => {
    const r = checkGradient(fg, [1.5, -2, 0.3, 7]);
    expect(r.ok).toBe(true);
    expect(r.worstError).toBeLessThan(1e-8);
    expect(r.f).toBeCloseTo(1.5 ** 2 * -2 + Math.sin(0.3) + 7e6, 6);
    for (let i = 0; i < 4; i++) expect(r.numeric[i]).toBeCloseTo(r.analytic[i]!, 3);
  });

  it("names the worst component of a wrong gradient", () => {
    const wrong = (x: Float64Array, g: Float64Array) => {
      const f = fg(x, g);
      g[1] *= 1.01;
      return f;
    };
    const r = checkGradient(wrong, [1.5, -2, 0.3, 7]);
    expect(r.ok).toBe(false);
    expect(r.worstIndex).toBe(1);
    expect(r.worstError).toBeGreaterThan(0.009); // 0.01 / 1.01 less the rounding noise of a 7e6-sized f
    expect(r.worstError).toBeLessThan(0.01);
    expect(r.message).toMatch(/gradient mismatch: worst component 1/);
  });

  it("checks only the requested components, accepts [f, g] returns, and rejects bad input", () => {
    const r = checkGradient((x) => [x[0]! * x[1]!, [x[1]!, 0]] as const, [2, 3], { indices: [0] });
    expect(r.ok).toBe(true);
    expect(r.relError[1]).toBeNaN();
    expect(checkGradient((x) => [x[0]! * x[1]!, [x[1]!, 0]] as const, [2, 3]).worstIndex).toBe(1);
    expect(() => checkGradient(fg, [1, 2, NaN, 4])).toThrow(/x0\[2\] is NaN/);
    expect(() => checkGradient(() => NaN, [1])).toThrow(/objective is NaN/);
    expect(() => checkGradient(fg, [1, 2, 3, 4], { indices: [9] })).toThrow(/index 9 out of range/);
  });
});
