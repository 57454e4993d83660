import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { dop853, dp5, solve, type DDEProblem } from "./index.js";
import { ddetstH2, lagOne } from "./test/problems.js";

/** y' = -y(t-1) + [t >= 0.5], phi = 1: y = 1 - t on [0, 0.5], then y = 1/2 on [0.5, 1] (f jumps in t at 0.5). */
const switched = (jumps?: number[]): DDEProblem => ({
  ...lagOne(2),
  f: (t, _y, z, _p, dy) => {
    dy[0] = -z[0]! + (t >= 0.5 ? 1 : 0);
  },
  jumps,
});

describe("declared jumps, tstops, tolerances", () => {
  it("steps onto user-declared jumps and their propagation through the delay", () => {
    const sol = solve(switched([0.5]), { rtol: 1e-10, atol: 1e-10 });
    expect(Array.from(sol.breakpoints)).toEqual(expect.arrayContaining([0.5, 1, 1.5]));
    expect(sol.eval(1)[0]).toBeCloseTo(0.5, 13);
    expect(sol.derivative(0.5, undefined, "left")[0]).toBe(-1);
    expect(sol.derivative(0.5, undefined, "right")[0]).toBe(0);
    expect(sol.breakpointInfo.find((b) => b.t === 1.5)).toMatchObject({ origin: "propagated", delay: 0 });
    const undeclared = solve(switched(), { rtol: 1e-10, atol: 1e-10 });
    expect(undeclared.stats.rejected).toBeGreaterThan(sol.stats.rejected);
  });

  it("ends on tEnd when a propagated breaking point falls a rounding short of it (0.7 + 0.7 + ... + 1.1 = 9.299999999999999)", () => {
    const problem: DDEProblem = {
      n: 1,
      f: (t, y, _z, _p, dy, zd) => {
        dy[0] = -y[0]! + 0.3 * zd[0]! + 0.2 * zd[1]! + Math.sin(t);
      },
      delays: [
        { kind: "constant", neutral: true, lag: () => 0.7 },
        { kind: "constant", neutral: true, lag: () => 1.1 },
      ],
      history: {
        value: (t, _p, out) => out.fill(0.8 * Math.sin(t)),
        derivative: (t, _p, out) => out.fill(0.8 * Math.cos(t)),
      },
      tspan: [0, 9.3],
      p: new Float64Array(0),
    };
    const sol = solve(problem, { rtol: 1e-8, atol: 1e-10 });
    expect(sol.status).toBe("success");
    expect(sol.t[sol.t.length - 1]).toBe(9.3);
  });

  it("steps onto tstops exactly", () => {
    const sol = solve(lagOne(3), { tstops: [0.3, 2.7] });
    expect(Array.from(sol.t)).toEqual(expect.arrayContaining([0.3, 2.7]));
  });

  it("takes a per-state absolute tolerance and rejects a wrong length", () => {
    const prob: DDEProblem = {
      ...lagOne(),
      n: 2,
      f: (_t, _y, z, _p, dy) => ((dy[0] = -z[0]!), (dy[1] = -1e-3 * z[1]!)),
      history: { value: (_t, _p, o) => o.fill(1) },
    };
    expect(solve(prob, { atol: [1e-9, 1e-3], rtol: 1e-9 }).status).toBe("success");
    expect(() => solve(prob, { atol: [1e-9] })).toThrow(GradoptError);
  });

  it("lagged() gives Z(t) and the neutral derivatives; derivative() matches u' = cos t on H2", () => {
    const sol = solve(ddetstH2(), { method: dp5(), rtol: 1e-10, atol: 1e-10 });
    const z = new Float64Array(2);
    const zd = new Float64Array(2);
    const t = 1.2;
    const a = t * Math.sin(t) ** 2;
    sol.lagged(t, z, zd);
    expect(z[0]).toBeCloseTo(Math.sin(a), 7);
    expect(zd[1]).toBeCloseTo(Math.cos(a), 6);
    expect(sol.derivative(t)[0]).toBeCloseTo(Math.cos(t), 7);
    expect(sol.derivative(Math.PI, undefined, "left")[0]).toBeCloseTo(-1, 6);
  });

  it("evaluates a non-constant history and its derivative before t0", () => {
    const prob: DDEProblem = { ...lagOne(), history: { value: (t, _p, o) => (o[0] = Math.cos(t)) } };
    const sol = solve(prob);
    expect(sol.eval(-0.5)[0]).toBe(Math.cos(-0.5));
    expect(sol.derivative(-0.5)[0]).toBeCloseTo(-Math.sin(-0.5), 6); // central difference of phi
  });
});

describe("steps longer than the delay, blow-up", () => {
  it("takes steps much longer than a small delay (fixed-point sweeps on the step's own extension)", () => {
    const small: DDEProblem = {
      ...lagOne(10),
      delays: [{ lag: () => 0.01, kind: "constant" }],
      history: { value: (t, _p, o) => (o[0] = Math.exp(-t)) },
    };
    const sol = solve(small, { rtol: 1e-8, atol: 1e-8 });
    const ref = solve(small, { method: dop853(), rtol: 1e-12, atol: 1e-12 });
    expect(sol.status).toBe("success");
    expect(sol.stats.steps).toBeLessThan(300); // 10 / 0.01 = 1000 steps if capped at the delay
    expect(Math.abs(sol.eval(10)[0]! - ref.eval(10)[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(sol.eval(7.3)[0]! - ref.eval(7.3)[0]!)).toBeLessThan(1e-6);
  });

  it("reports step-size underflow (or a non-finite value) near a blow-up, with where", () => {
    // y' = y^2, y(0) = 2: y = 2 / (1 - 2t) blows up at t = 1/2
    const blowUp: DDEProblem = {
      ...lagOne(2),
      f: (_t, y, _z, _p, dy) => (dy[0] = y[0]! * y[0]!),
      history: { value: (_t, _p, o) => (o[0] = 2) },
    };
    const sol = solve(blowUp);
    expect(["step-size-underflow", "non-finite"]).toContain(sol.status);
    expect(sol.ok).toBe(false);
    expect(sol.message).toMatch(/at t = 0\.(49|50)/);
    expect(Math.abs(sol.tEnd - 0.5)).toBeLessThan(1e-5); // the numerical blow-up time is the true one up to ~1/y
    expect(sol.eval(0.25)[0]).toBeCloseTo(4, 4);
  });
});
