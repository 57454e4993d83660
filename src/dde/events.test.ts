import { describe, expect, it } from "vitest";
import { continueProblem, dp5, solve } from "./index.js";
import { lagOne, mackeyGlass } from "./test/problems.js";

describe("events", () => {
  // y = 1 - t + (t-1)^2/2 on [1, 2]: y = -1/4 at t = 2 - 1/sqrt(2)
  const tHit = 2 - Math.SQRT1_2;

  it("a terminal event stops the integration at the located zero", () => {
    const sol = solve(lagOne(), {
      rtol: 1e-10,
      atol: 1e-10,
      events: [{ g: (_t, y) => y[0]! + 0.25, terminal: true }],
    });
    expect(sol.status).toBe("terminated");
    expect(sol.ok).toBe(true);
    expect(sol.tEnd).toBeCloseTo(tHit, 10);
    expect(sol.events).toHaveLength(1);
    expect(sol.events[0]!.y[0]).toBeCloseTo(-0.25, 10);
    expect(sol.t[sol.t.length - 1]).toBe(sol.tEnd);
    expect(() => sol.eval(3)).toThrow(/outside the solution/);
  });

  it("records zeros in time order and honours the direction", () => {
    const g = (_t: number, y: Float64Array) => y[0]! - 0.1;
    const both = solve(lagOne(), { events: [{ g }] });
    const falling = solve(lagOne(), { events: [{ g, direction: -1 }] });
    expect(both.status).toBe("success");
    expect(both.events.length).toBeGreaterThan(2);
    expect(both.events[0]!.t).toBeCloseTo(0.9, 8);
    for (let i = 1; i < both.events.length; i++)
      expect(both.events[i]!.t).toBeGreaterThan(both.events[i - 1]!.t);
    expect(falling.events.length).toBe(Math.ceil(both.events.length / 2));
    for (const e of both.events) expect(e.y[0]).toBeCloseTo(0.1, 6);
  });

  it("restarts from the past solution as history (dde23 style) and matches an uninterrupted solve", () => {
    const opts = { method: dp5(), rtol: 1e-10, atol: 1e-10 };
    const first = solve(lagOne(), {
      ...opts,
      events: [{ g: (_t: number, y: Float64Array) => y[0]! + 0.25, terminal: true }],
    });
    const rest = solve(continueProblem(first, 10), opts);
    const whole = solve(lagOne(), opts);
    expect(rest.status).toBe("success");
    expect(Math.abs(rest.eval(10)[0]! - 10493 / 518400)).toBeLessThan(1e-8);
    expect(Math.abs(rest.eval(10)[0]! - whole.eval(10)[0]!)).toBeLessThan(1e-8);
    // the old breaking points 2, 3, 4 are still stepped onto
    expect(Array.from(rest.breakpoints)).toEqual(expect.arrayContaining([2, 3, 4]));
    expect(rest.eval(0.5)[0]).toBeCloseTo(0.5, 10); // history = the first solution
  });
});

describe("memory: window mode", () => {
  it("keeps a bounded history and the same outputs as full dense mode", () => {
    const saveat = Array.from({ length: 101 }, (_, k) => 20 * k);
    const full = solve(mackeyGlass(2000), { saveat });
    const win = solve(mackeyGlass(2000), { saveat, dense: "window" });
    expect(win.status).toBe("success");
    expect(Array.from(win.y[0]!)).toEqual(Array.from(full.y[0]!));
    expect(win.stats).toEqual(full.stats);
    expect(win.storedSteps).toBeLessThan(full.storedSteps / 20);
    expect(win.tKept).toBeGreaterThan(2000 - 17 - 10);
    expect(() => win.eval(100)).toThrow(/window/);
    expect(win.eval(1995)[0]).toBe(full.eval(1995)[0]);
  });

  it("needs maxLag for non-constant delays", () => {
    const prob = { ...lagOne(), delays: [{ lag: () => 1, kind: "time" as const }] };
    expect(() => solve(prob, { dense: "window" })).toThrow(/maxLag/);
    expect(solve(prob, { dense: "window", maxLag: 1 }).status).toBe("success");
  });
});
