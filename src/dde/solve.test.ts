import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { bs3, dop853, dp5, solve } from "./index.js";
import { jumpAtT0, lagOne } from "./test/problems.js";

describe("solve: y' = -y(t-1), phi = 1 (exact method-of-steps values)", () => {
  const exact: [number, number][] = [
    [2, -1 / 2],
    [3, -1 / 6],
    [5, 19 / 120],
    [10, 10493 / 518400],
  ];
  it.each([
    ["bs3", bs3(), 1e-7],
    ["dp5", dp5(), 1e-9],
    ["dop853", dop853(), 1e-12],
  ] as const)("%s at tol %s stays within 100 x tol", (_name, method, tol) => {
    const sol = solve(lagOne(), { method, rtol: tol, atol: tol });
    expect(sol.status).toBe("success");
    expect(sol.ok).toBe(true);
    for (const [t, v] of exact) expect(Math.abs(sol.eval(t)[0]! - v)).toBeLessThan(100 * tol);
    expect(sol.stats.steps).toBeGreaterThan(0);
    expect(sol.stats.rhsEvals).toBeGreaterThan(sol.stats.steps);
  });

  it("hits the exact rationals to 1e-10 with the high-order pair", () => {
    const sol = solve(lagOne(), { method: dop853(), rtol: 1e-13, atol: 1e-13 });
    for (const [t, v] of exact) expect(Math.abs(sol.eval(t)[0]! - v)).toBeLessThan(1e-10);
  });

  it("steps onto the breaking points 1, 2, ... up to the method order and evaluates the history before t0", () => {
    const sol = solve(lagOne(), { method: dp5() });
    expect(Array.from(sol.breakpoints)).toEqual([1, 2, 3, 4]); // orders 2..5 (y' jumps at t0: order 1);
    expect(sol.eval(-0.5)[0]).toBe(1);
    expect(sol.breakpointInfo.find((b) => b.t === 3)).toMatchObject({
      order: 4,
      origin: "propagated",
      delay: 0,
    });
  });

  it("gives outputs at saveat and f-based one-sided derivatives", () => {
    const sol = solve(lagOne(), { saveat: [0, 0.5, 1.5, 10], rtol: 1e-10, atol: 1e-10 });
    expect(Array.from(sol.t)).toEqual([0, 0.5, 1.5, 10]);
    expect(sol.y[0]![2]).toBeCloseTo(1 - 1.5 + 0.125, 9); // y = 1 - t + (t-1)^2/2 on [1, 2]
    expect(sol.derivative(1.5)[0]).toBeCloseTo(-0.5, 9); // -y(0.5)
    // y'' jumps at t = 1 but y' is continuous there; at t0 y' jumps from phi' = 0 to -1
    expect(sol.derivative(0, undefined, "left")[0]).toBe(0);
    expect(sol.derivative(0, undefined, "right")[0]).toBe(-1);
  });
});

describe("solve: a jump at t0", () => {
  it("u' = -u(t-1), phi = 0, u(0) = 1: u(5) = 5/24, u(10) = 19223/362880", () => {
    const sol = solve(jumpAtT0([1], 10), { method: dop853(), rtol: 1e-12, atol: 1e-12 });
    expect(Math.abs(sol.eval(5)[0]! - 5 / 24)).toBeLessThan(1e-10);
    expect(Math.abs(sol.eval(10)[0]! - 19223 / 362880)).toBeLessThan(1e-10);
    expect(sol.eval(0, undefined, "left")[0]).toBe(0);
    expect(sol.eval(0)[0]).toBe(1);
    // y' jumps at t = 1 from 0 to -1 (the lagged value jumps from phi(0) = 0 to u(0) = 1)
    expect(sol.derivative(1, undefined, "left")[0]).toBeCloseTo(0, 12);
    expect(sol.derivative(1, undefined, "right")[0]).toBeCloseTo(-1, 12);
  });

  it("u' = -u(t-1/3) - u(t-1/5): u(1) = -8407/243000 and every breaking point is stepped on exactly", () => {
    const sol = solve(jumpAtT0([1 / 3, 1 / 5], 1), { method: dp5(), rtol: 1e-10, atol: 1e-10 });
    expect(Math.abs(sol.eval(1)[0]! + 8407 / 243000)).toBeLessThan(1e-8);
    const expected = [1 / 5, 1 / 3, 2 / 5, 8 / 15, 3 / 5, 2 / 3, 11 / 15, 13 / 15];
    for (const xi of expected)
      expect(Array.from(sol.breakpoints).some((b) => Math.abs(b - xi) < 1e-15)).toBe(true);
    const eight15 = sol.breakpointInfo.findIndex((b) => Math.abs(b.t - 8 / 15) < 1e-15);
    const info = sol.breakpointInfo[eight15]!;
    expect(info.order).toBe(1 + 1); // 0 at t0 (jump) -> 1 at 1/5 or 1/3 -> 2 at 8/15
    expect(sol.breakpointInfo[info.parent]!.t).toBeCloseTo(info.delay === 0 ? 1 / 5 : 1 / 3, 15);
  });
});

describe("solve: misuse throws, numerical failure is a status", () => {
  it("rejects a bad tspan", () => {
    expect(() => solve({ ...lagOne(), tspan: [1, 0] })).toThrow(GradoptError);
  });
  it("reports a non-finite derivative with where it happened and keeps the partial solution", () => {
    const prob = {
      ...lagOne(5),
      f: (t: number, _y: Float64Array, z: Float64Array, _p: Float64Array, dy: Float64Array) =>
        (dy[0] = t > 2.5 ? NaN : -z[0]!),
    };
    const sol = solve(prob);
    expect(sol.status).toBe("non-finite");
    expect(sol.ok).toBe(false);
    expect(sol.message).toMatch(/non-finite derivative at t = 2\.5/);
    expect(sol.tEnd).toBeLessThanOrEqual(2.5);
    expect(sol.eval(2)[0]).toBeCloseTo(-0.5, 5);
  });
  it("reports a delay that looks into the future", () => {
    const prob = { ...lagOne(5), delays: [{ lag: (t: number) => 1 - t, kind: "time" as const }] };
    const sol = solve(prob);
    expect(sol.status).toBe("future-lag");
    expect(sol.message).toMatch(/future at t = /);
  });
  it("stops at maxSteps and when aborted", () => {
    expect(solve(lagOne(), { maxSteps: 3 }).status).toBe("max-steps");
    const ac = new AbortController();
    ac.abort();
    expect(solve(lagOne(), { signal: ac.signal }).status).toBe("aborted");
  });
});
