import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { dp5, solve, type DDEProblem } from "./index.js";
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
