import { describe, expect, it } from "vitest";
import { GradoptError } from "../../errors.js";
import { dop853 } from "../methods.js";
import { solve } from "../solve.js";
import type { DDEProblem } from "../types.js";
import type { Cost } from "./cost-types.js";
import {
  checkUserGradient,
  costGradient,
  evaluateCost,
  forwardSensitivities,
  referenceSolve,
} from "./index.js";
import { centralDifference, mixedCost, square } from "./testCosts.js";
import { goodwin, hutchinson, linearScalar, lotkaVolterra, withParams } from "./testModels.js";

/** Every kind of term, the sums at two times. */
const mixed = (pr: DDEProblem): Cost => mixedCost(pr, [0.5 * pr.tspan[1], 0.77 * pr.tspan[1]]);

const models: [string, DDEProblem][] = [
  ["Hutchinson, smooth start", hutchinson()],
  ["Hutchinson, jump at t0 (jump conditions)", hutchinson({ jump: true })],
  ["3-state, two delays, smooth start", goodwin({ T: 6 })],
  [
    "3-state, two delays, jump at t0, no Jacobians (finite differences)",
    goodwin({ T: 6, jump: true, jac: false }),
  ],
  ["delayed Lotka-Volterra (delay as parameter)", lotkaVolterra({ T: 8 })],
  ["linear, time-varying history, no Jacobians", linearScalar()],
];

describe("costGradient against central finite differences of the solver", () => {
  for (const [name, pr] of models) {
    it(`${name}: every target (parameters, delays, history, initial values), forward and adjoint`, () => {
      const cost = mixed(pr);
      const fwd = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
      const adj = costGradient(pr, cost, { method: "adjoint", rtol: 1e-10 });
      expect(fwd.method).toBe("forward");
      expect(adj.method).toBe("adjoint");
      expect(fwd.cost).toBeCloseTo(adj.cost, 12);
      const scale = Math.max(...Array.from(fwd.gradient, Math.abs));
      for (let k = 0; k < pr.p.length; k++) {
        const fd = centralDifference(pr, cost, k);
        const f = fwd.gradient[k]!;
        const a = adj.gradient[k]!;
        // FD through an adaptive solver is good to ~1e-6 relative; forward and adjoint agree far closer.
        expect(Math.abs(f - fd), `${fwd.names[k]}: forward ${f} vs FD ${fd}`).toBeLessThan(
          3e-6 * Math.max(Math.abs(fd), 1e-3 * scale),
        );
        expect(Math.abs(f - a), `${fwd.names[k]}: forward ${f} vs adjoint ${a}`).toBeLessThan(
          2e-7 * Math.max(Math.abs(f), 1e-2 * scale),
        );
      }
    });
  }

  it("forward and adjoint agree to ~1e-7 relative at tight tolerance (Lotka-Volterra, data cost, norm-wise)", () => {
    const pr = lotkaVolterra({ T: 10 });
    const times = [1, 2.5, 4, 6.5, 9];
    const values = Float64Array.from({ length: 10 }, (_, i) => 0.5 + 0.1 * i);
    values[3] = NaN; // a missing observation
    const cost: Cost = [{ kind: "data", times, states: [0, 1], values, sigma: 0.1 }];
    const f = costGradient(pr, cost, { method: "forward", rtol: 1e-11 }).gradient;
    const a = costGradient(pr, cost, { method: "adjoint", rtol: 1e-11 }).gradient;
    let num = 0;
    let den = 0;
    for (let k = 0; k < f.length; k++) {
      num = Math.max(num, Math.abs(f[k]! - a[k]!));
      den = Math.max(den, Math.abs(f[k]!));
    }
    expect(num / den).toBeLessThan(1e-8);
  });

  it("observation times a rounding away from breaking points (5 * 1.2 != 6 in floating point): adjoint jumps land on time", () => {
    const pr = withParams(hutchinson({ T: 13 }), [0.8, 2, 1.2, 0.1, 0.1]);
    const times = Array.from({ length: 26 }, (_, k) => 0.5 * (k + 1));
    const cost: Cost = [
      {
        kind: "data",
        times,
        states: [0],
        values: Float64Array.from(times, (t) => 2 / (1 + Math.exp(-t + 4))),
        sigma: 0.05,
      },
    ];
    const f = costGradient(pr, cost, { wrt: ["r", "K", "tau"], method: "forward", rtol: 1e-9 });
    const a = costGradient(pr, cost, { wrt: ["r", "K", "tau"], method: "adjoint", rtol: 1e-9 });
    for (let k = 0; k < 3; k++)
      expect(Math.abs(f.gradient[k]! - a.gradient[k]!)).toBeLessThan(1e-6 * Math.abs(f.gradient[k]!));
    for (let k = 0; k < 3; k++)
      expect(Math.abs(f.gradient[k]! - centralDifference(pr, cost, k))).toBeLessThan(
        1e-5 * Math.abs(f.gradient[k]!),
      );
  });

  it("picks the adjoint for many targets and forward for few (auto), overridable", () => {
    const pr = goodwin({ T: 4 });
    const cost: Cost = [{ kind: "terminal", g: square(2) }];
    expect(costGradient(pr, cost, { rtol: 1e-6 }).method).toBe("adjoint");
    expect(costGradient(pr, cost, { wrt: ["a", "tau1"], rtol: 1e-6 }).method).toBe("forward");
    expect(costGradient(pr, cost, { wrt: ["a"], method: "adjoint", rtol: 1e-6 }).method).toBe("adjoint");
  });

  it("agrees with the independent reference solver as the forward solver", () => {
    const pr = hutchinson({ jump: true });
    const cost = mixed(pr);
    const main = costGradient(pr, cost, { rtol: 1e-10, method: "forward" });
    const ref = costGradient(pr, cost, { rtol: 1e-10, method: "forward", solver: referenceSolve });
    for (let k = 0; k < pr.p.length; k++) expect(main.gradient[k]!).toBeCloseTo(ref.gradient[k]!, 6);
  });
});

describe("state-dependent delay (forward sensitivities)", () => {
  it("y' = -a y(t - tau(y)), tau = b + c y^2: every parameter against finite differences; the adjoint agrees", () => {
    const pr: DDEProblem = {
      n: 1,
      f: (_t, _y, z, p, dy) => {
        dy[0] = -p[0]! * z[0]!;
      },
      delays: [
        {
          kind: "state",
          lag: (_t, y, p) => p[1]! + p[2]! * y[0]! * y[0]!,
          dLagDy: (_t, y, p, out) => {
            out[0] = 2 * p[2]! * y[0]!;
          },
          dLagDp: (_t, y, _p, out) => {
            out[0] = 0;
            out[1] = 1;
            out[2] = y[0]! * y[0]!;
          },
        },
      ],
      history: { constant: true, value: (_t, _p, o) => o.fill(1) },
      tspan: [0, 4],
      p: Float64Array.of(1.2, 0.8, 0.3),
      paramNames: ["a", "b", "c"],
    };
    const cost: Cost = [
      { kind: "sum", times: [1.7, 3.1], g: square(0) },
      { kind: "integral", q: { value: (_t, y) => y[0]! } },
    ];
    const g = costGradient(pr, cost, { rtol: 1e-10 });
    expect(g.method).toBe("forward");
    for (let k = 0; k < 3; k++) {
      const fd = centralDifference(pr, cost, k);
      expect(Math.abs(g.gradient[k]! - fd), `${g.names[k]}: ${g.gradient[k]} vs FD ${fd}`).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(fd)),
      );
    }
    // The adjoint (advanced arguments through the inverse of t - tau(y(t)), tau_y terms) agrees with forward.
    const adj = costGradient(pr, cost, { rtol: 1e-10, method: "adjoint" });
    for (let k = 0; k < 3; k++)
      expect(Math.abs(adj.gradient[k]! - g.gradient[k]!)).toBeLessThan(
        1e-7 * Math.max(1, Math.abs(g.gradient[k]!)),
      );
  });
});

describe("non-differentiable costs", () => {
  it("reports both one-sided derivatives when an observation sits on a breaking point that moves with the delay", () => {
    // y(0) = 0.6 != phi = 0.3: y' jumps at t0 + tau = 1, which moves with tau; observe y at t = 1 exactly.
    const pr = hutchinson({ jump: true, T: 3 });
    const cost: Cost = [{ kind: "sum", times: [1], g: square(0) }];
    const res = costGradient(pr, cost, { wrt: ["r", "tau"], rtol: 1e-11 });
    expect(Number.isNaN(res.gradient[1]!)).toBe(true);
    expect(Number.isFinite(res.gradient[0]!)).toBe(true);
    const side = res.oneSided!.tau!;
    const J = (tau: number) => {
      const p = Float64Array.from(pr.p);
      p[2] = tau;
      return evaluateCost(solve(withParams(pr, p), { method: dop853(), rtol: 1e-12, atol: 1e-14 }), cost, p);
    };
    const h = 1e-6;
    const right = (J(1 + h) - J(1)) / h;
    const left = (J(1) - J(1 - h)) / h;
    expect(Math.abs(side.right - right)).toBeLessThan(1e-4 * Math.abs(right) + 1e-6);
    expect(Math.abs(side.left - left)).toBeLessThan(1e-4 * Math.abs(left) + 1e-6);
    expect(Math.abs(side.left - side.right)).toBeGreaterThan(0.1 * Math.abs(side.left));
    // Off the breaking point the derivative is ordinary.
    const off = costGradient(pr, [{ kind: "sum", times: [1.3], g: square(0) }], {
      wrt: ["tau"],
      rtol: 1e-10,
    });
    expect(off.oneSided).toBeUndefined();
    expect(Number.isFinite(off.gradient[0]!)).toBe(true);
  });
});

describe("forwardSensitivities", () => {
  it("gives dy/dp along the trajectory (u' = -a u(t - 1), phi = 1, a = 1: du/da = -t on [0, 1], -t + (t-1)^2 on [1, 2])", () => {
    const pr: DDEProblem = {
      n: 1,
      f: (_t, _y, z, p, dy) => {
        dy[0] = -p[0]! * z[0]!;
      },
      delays: [{ kind: "constant", lag: () => 1 }],
      history: { constant: true, value: (_t, _p, o) => o.fill(1) },
      tspan: [0, 2],
      p: Float64Array.of(1),
    };
    const s = forwardSensitivities(pr, { rtol: 1e-10 });
    for (const t of [0.5, 1, 1.25, 1.5, 2])
      expect(s.sensitivity(t)[0]!).toBeCloseTo(-t + Math.max(0, t - 1) ** 2, 9);
  });
});

describe("checkUserGradient", () => {
  // J = integral (y - c)^2 dt over the Hutchinson solution; c enters only the cost, so dJ/dc = integral -2 (y - c).
  const pr: DDEProblem = {
    ...hutchinson({ T: 5 }),
    p: Float64Array.of(1.4, 1.2, 1.0, 0.3, 0.6, 0.9),
    paramNames: ["r", "K", "tau", "history.y", "initial.y", "c"],
  };
  const cost: Cost = [{ kind: "integral", q: { value: (_t, y, p) => (y[0]! - p[5]!) ** 2 } }];
  it("accepts a correct formula", () => {
    const res = checkUserGradient(
      pr,
      cost,
      { c: [{ kind: "integral", q: { value: (_t, y, p) => -2 * (y[0]! - p[5]!) } }] },
      { rtol: 1e-9 },
    );
    expect(res.ok).toBe(true);
    expect(res.check.c!.relError).toBeLessThan(1e-6);
  });
  it("detects and names a wrong component", () => {
    const res = checkUserGradient(
      pr,
      cost,
      {
        c: [{ kind: "integral", q: { value: (_t, y, p) => -2 * (y[0]! - p[5]!) } }],
        // Wrong: pretends y does not depend on r through the delay (drops the sensitivity entirely).
        r: [{ kind: "integral", q: { value: (_t, y, p) => 2 * (y[0]! - p[5]!) * y[0]! } }],
      },
      { rtol: 1e-9 },
    );
    expect(res.ok).toBe(false);
    expect(res.mismatched).toEqual(["r"]);
    expect(res.check.c!.ok).toBe(true);
    expect(res.check.r!.ok).toBe(false);
    expect(Number.isFinite(res.check.r!.exact)).toBe(true);
  });
  it("names a target that has no formula", () => {
    expect(() => checkUserGradient(pr, cost, { c: [] }, { wrt: ["K"] })).toThrow(/no formula for "K"/);
  });
});

describe("errors", () => {
  it("rejects unknown targets and reports a failed forward solve as E_SOLVER", () => {
    const pr = hutchinson();
    expect(() => costGradient(pr, [], { wrt: ["nope"] })).toThrow(/unknown parameter "nope"/);
    const blowUp: DDEProblem = {
      ...pr,
      f: (_t, y, _z, _p, dy) => void (dy[0] = y[0]! * y[0]! * 10),
      jac: undefined,
    };
    try {
      costGradient(blowUp, [{ kind: "terminal", g: square(0) }], { rtol: 1e-6 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GradoptError);
      expect((err as GradoptError).code).toBe("E_SOLVER");
    }
  });
  it("checks cost times and data shapes", () => {
    const pr = hutchinson();
    expect(() => costGradient(pr, [{ kind: "sum", times: [99], g: square(0) }])).toThrow(/outside tspan/);
    expect(() =>
      costGradient(pr, [{ kind: "data", times: [1, 2], states: [0], values: Float64Array.of(1), sigma: 1 }]),
    ).toThrow(/1 values for 2 times/);
  });
});
