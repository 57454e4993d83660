import { describe, expect, it } from "vitest";
import { loadModel } from "../../model/compile.js";
import type { DDEProblem } from "../types.js";
import type { Cost } from "./cost-types.js";
import { costGradient, type CostGradientResult } from "./index.js";
import { richardsonDifference } from "./testCosts.js";
import { paramDelay, paramHistory, paramInitial } from "./testModels.js";

/** Richardson-extrapolated central differences of the cost through the solver. */
const finiteDifference = (pr: DDEProblem, cost: Cost, k: number): number =>
  richardsonDifference(pr, cost, k, 1e-3);

function expectAgree(name: string, got: number, fd: number, scale: number, rel = 5e-7) {
  expect(Math.abs(got - fd), `${name}: ${got} vs FD ${fd}`).toBeLessThan(
    rel * Math.max(Math.abs(fd), 1e-3 * scale),
  );
}

const maxAbs = (g: Float64Array) => Math.max(...Array.from(g, Math.abs));

/** Forward and adjoint gradients each within `rel` of FD (floor 1e-3 of the largest entry), for every target. */
function expectBothAgreeWithFd(
  pr: DDEProblem,
  cost: Cost,
  fwd: CostGradientResult,
  adj: CostGradientResult,
  rel = 5e-7,
): void {
  const scale = maxAbs(fwd.gradient);
  for (let k = 0; k < pr.p.length; k++) {
    const fd = finiteDifference(pr, cost, k);
    expectAgree(`forward ${fwd.names[k]}`, fwd.gradient[k]!, fd, scale, rel);
    expectAgree(`adjoint ${fwd.names[k]}`, adj.gradient[k]!, fd, scale, rel);
  }
}

const cost: Cost = [
  { kind: "sum", times: [0.9, 2.2], g: { value: (_t, y) => y[0]! * y[0]! } },
  { kind: "integral", q: { value: (_t, y) => y[0]! }, from: 0.1, to: 2.9 },
];

describe("declared jumps inside the history and the span: jump conditions where they propagate through moving delays", () => {
  it("a history with a step at t = -0.4 (history.discontinuities): y' jumps at -0.4 + tau; forward and adjoint vs FD", () => {
    // y' = -a y(t - tau), phi = h1 before -0.4, h2 after. Without the jump condition at -0.4 + tau, d/dtau is wrong.
    const pr: DDEProblem = {
      n: 1,
      f: (_t, _y, z, p, dy) => void (dy[0] = -p[0]! * z[0]!),
      delays: [paramDelay(1)],
      history: {
        value: (t, p, o) => void (o[0] = t < -0.4 ? p[2]! : p[3]!),
        derivative: (_t, _p, o) => void o.fill(0),
        dp: (t, p, o) => {
          o.fill(0, 0, p.length);
          o[t < -0.4 ? 2 : 3] = 1;
        },
        discontinuities: [{ t: -0.4, order: 0 }],
      },
      tspan: [0, 3],
      p: Float64Array.of(0.9, 1.0, 0.3, 1.0),
      paramNames: ["a", "tau", "h1", "h2"],
    };
    const fwd = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
    const adj = costGradient(pr, cost, { method: "adjoint", rtol: 1e-10 });
    expectBothAgreeWithFd(pr, cost, fwd, adj);
    for (let k = 0; k < pr.p.length; k++)
      expect(Math.abs(fwd.gradient[k]! - adj.gradient[k]!)).toBeLessThan(1e-7 * maxAbs(fwd.gradient));
  });

  it("a step of f in t inside the span (problem.jumps) with a retarded delay: no jump of s where y' is continuous", () => {
    // y' = -a y(t - tau) + u [t > 1.5]: y' jumps at the fixed 1.5, only y'' at 1.5 + tau (s stays continuous there).
    const pr: DDEProblem = {
      n: 1,
      f: (t, _y, z, p, dy) => void (dy[0] = -p[0]! * z[0]! + (t > 1.5 ? p[2]! : 0)),
      delays: [paramDelay(1)],
      history: { constant: true, value: (_t, _p, o) => void o.fill(1) },
      jumps: [1.5],
      tspan: [0, 3],
      p: Float64Array.of(0.9, 0.8, 0.5),
      paramNames: ["a", "tau", "u"],
    };
    const fwd = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
    const adj = costGradient(pr, cost, { method: "adjoint", rtol: 1e-10 });
    expectBothAgreeWithFd(pr, cost, fwd, adj);
  });

  it("a model file with jumps in the history (t = -0.4) and in f (t = 1.5) and a neutral term: every target vs FD, forward and adjoint", () => {
    // Through the neutral term y' keeps jumping at -0.4 + k tau, at 1.5 + k tau and at k tau: all move with tau.
    const model = loadModel({
      file: "jumps.yaml",
      text: [
        "name: declared-jumps",
        "states: [y]",
        "params: {a: 0.9, tau: 1, h1: 0.3, h2: 1, u: 0.5}",
        "equations:",
        "  y: -a * y(t - tau) + u * (t > 1.5) + 0.4 * d(y)(t - tau)",
        'history: {y: "t < -0.4 ? h1 : h2"}',
        "jumps: [-0.4, 1.5]",
        "tspan: [0, 3.2]",
        "cost:",
        '  - {sum: "y^2", at: [0.9, 2.2]}',
        '  - {integral: "y"}',
      ].join("\n"),
    });
    const pr = model.problem;
    const res = costGradient(pr, model.cost, { rtol: 1e-10, method: "forward" });
    const adj = costGradient(pr, model.cost, { rtol: 1e-10, method: "adjoint" });
    expect(adj.method).toBe("adjoint");
    expectBothAgreeWithFd(pr, model.cost, res, adj);
  });
});

describe("jump conditions at breaking points carried by a state-dependent lag (dxi depends on s itself)", () => {
  it("y' = -a y(t - tau(y)) + 0.2 y, tau = b + c y^2, y(0) = y0 != h: forward and adjoint, every target vs FD", () => {
    // y' jumps where t - tau(t, y(t)) crosses t0; that point moves with every target through y, so s jumps there by
    // -[y'] (dtau/dtheta + tau_y s(xi-)) / (1 - tau_y y'(xi-)).
    const pr: DDEProblem = {
      n: 1,
      f: (_t, y, z, p, dy) => void (dy[0] = -p[0]! * z[0]! + 0.2 * y[0]!),
      delays: [{ kind: "state", lag: (_t, y, p) => p[1]! + p[2]! * y[0]! * y[0]! }],
      history: paramHistory([3]),
      initial: paramInitial([4]),
      tspan: [0, 4],
      p: Float64Array.of(1.2, 0.8, 0.3, 0.4, 1.1),
      paramNames: ["a", "b", "c", "h", "y0"],
    };
    const c: Cost = [
      { kind: "sum", times: [1.7, 3.1], g: { value: (_t, y) => y[0]! * y[0]! } },
      { kind: "integral", q: { value: (_t, y) => y[0]! }, from: 0.2, to: 3.9 },
    ];
    const fwd = costGradient(pr, c, { rtol: 1e-10, method: "forward" });
    const adj = costGradient(pr, c, { rtol: 1e-10, method: "adjoint" });
    expect(adj.method).toBe("adjoint");
    expectBothAgreeWithFd(pr, c, fwd, adj, 3e-7);
  });
});
