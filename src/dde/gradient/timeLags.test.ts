import { describe, expect, it } from "vitest";
import type { DDEProblem } from "../types.js";
import type { Cost } from "./cost-types.js";
import { costGradient, type CostGradientResult } from "./index.js";
import { richardsonDifference } from "./testCosts.js";
import { paramHistory, paramInitial } from "./testModels.js";

/**
 * Two states, one time-dependent lag tau(t) = b + c sin t (alpha(t) = t - tau(t) increasing for |c| < 1):
 * x1' = -a x1(t - tau) + x2, x2' = -x1 - 0.3 x2 + 0.5 x2(t - tau) x1(t - tau). params [a, b, c, h1, h2, y01, y02].
 */
function timeLagModel(jump: boolean): DDEProblem {
  return {
    n: 2,
    f: (_t, y, z, p, dy) => {
      dy[0] = -p[0]! * z[0]! + y[1]!;
      dy[1] = -y[0]! - 0.3 * y[1]! + 0.5 * z[1]! * z[0]!;
    },
    delays: [
      {
        kind: "time",
        lag: (t, _y, p) => p[1]! + p[2]! * Math.sin(t),
        dLagDp: (t, _y, p, o) => {
          o.fill(0, 0, p.length);
          o[1] = 1;
          o[2] = Math.sin(t);
        },
      },
    ],
    history: paramHistory([3, 4]),
    ...(jump ? { initial: paramInitial([5, 6]) } : {}),
    tspan: [0, 5],
    p: Float64Array.of(0.9, 0.8, 0.4, 0.5, -0.2, 0.9, 0.1),
    paramNames: ["a", "b", "c", "h1", "h2", "y01", "y02"],
  };
}

const cost: Cost = [
  { kind: "sum", times: [1.3, 2.7, 4.1], g: { value: (_t, y) => y[0]! * y[0]! + y[1]! } },
  { kind: "integral", q: { value: (_t, y, p) => (y[1]! - 0.1 * p[0]!) ** 2 }, from: 0.3, to: 4.6 },
  { kind: "terminal", g: { value: (_t, y) => y[0]! + y[1]! } },
];

/** Richardson-extrapolated central differences of the cost through the solver. */
const finiteDifference = (pr: DDEProblem, k: number): number => richardsonDifference(pr, cost, k, 1e-3);

/** Forward and adjoint each within 3e-7 of FD, and within `fwdAdjRel` of each other, for every target. */
function expectAgreement(
  pr: DDEProblem,
  fwd: CostGradientResult,
  adj: CostGradientResult,
  fwdAdjRel: number,
): void {
  const scale = Math.max(...Array.from(fwd.gradient, Math.abs));
  for (let k = 0; k < pr.p.length; k++) {
    const f = fwd.gradient[k]!;
    const a = adj.gradient[k]!;
    const fd = finiteDifference(pr, k);
    const floor = 1e-3 * scale;
    expect(Math.abs(f - fd), `${fwd.names[k]}: forward ${f} vs FD ${fd}`).toBeLessThan(
      3e-7 * Math.max(Math.abs(fd), floor),
    );
    expect(Math.abs(a - fd), `${fwd.names[k]}: adjoint ${a} vs FD ${fd}`).toBeLessThan(
      3e-7 * Math.max(Math.abs(fd), floor),
    );
    expect(Math.abs(f - a), `${fwd.names[k]}: forward ${f} vs adjoint ${a}`).toBeLessThan(
      fwdAdjRel * Math.max(Math.abs(f), floor),
    );
  }
}

describe("the adjoint method for time- and state-dependent delays (advanced arguments through the inverse of t - tau)", () => {
  for (const jump of [false, true]) {
    it(`${jump ? "jump at t0 (jump conditions at the tracked breaking points)" : "smooth start"}: adjoint vs forward vs FD, every target`, () => {
      const pr = timeLagModel(jump);
      const fwd = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
      const adj = costGradient(pr, cost, { rtol: 1e-10, method: "adjoint" });
      expect(adj.method).toBe("adjoint");
      expect(costGradient(pr, cost, { rtol: 1e-6 }).method).toBe("forward"); // auto: 7 <= 2 x 5 targets
      expectAgreement(pr, fwd, adj, 1e-7);
    });
  }

  it("auto with a state-dependent delay: forward up to 12 targets, the adjoint above (2.5 x the threshold 5, lagCostFactor)", () => {
    const base = timeLagModel(false);
    const pr: DDEProblem = {
      ...base,
      delays: [{ kind: "state", lag: (_t, y, p) => p[1]! + (p[2]! * y[0]! * y[0]!) / (1 + y[1]! * y[1]!) }],
      // Parameters the model does not read, to have more targets (their gradient is zero).
      p: Float64Array.from([...base.p, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]),
      paramNames: undefined,
    };
    const wrt = (count: number) => Array.from({ length: count }, (_, k) => k);
    expect(costGradient(pr, cost, { rtol: 1e-6, wrt: wrt(12) }).method).toBe("forward");
    expect(costGradient(pr, cost, { rtol: 1e-6, wrt: wrt(13) }).method).toBe("adjoint");
  });

  it("state-dependent delays: the adjoint (tau_y terms, jump at t0 transposed) vs forward vs FD, every target", () => {
    // x1' = -a x1(t - tau) + x2, x2' = -x1 - 0.3 x2 + 0.5 x2(t - tau) x1(t - tau), tau = b + c x1(t)^2 / (1 + x2(t)^2).
    const base = timeLagModel(true);
    const pr: DDEProblem = {
      ...base,
      delays: [
        {
          kind: "state",
          lag: (_t, y, p) => p[1]! + (p[2]! * y[0]! * y[0]!) / (1 + y[1]! * y[1]!),
        },
      ],
    };
    const fwd = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
    const adj = costGradient(pr, cost, { rtol: 1e-10, method: "adjoint" });
    expect(adj.method).toBe("adjoint");
    expectAgreement(pr, fwd, adj, 3e-7);
  });
});
