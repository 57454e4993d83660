import { describe, expect, it } from "vitest";
import type { DDEProblem } from "../types.js";
import type { Cost } from "./cost-types.js";
import { costGradient, forwardSensitivities } from "./index.js";
import { richardsonDifference } from "./testCosts.js";
import { paramDelay, paramHistory, paramInitial, withParams } from "./testModels.js";

/**
 * y' = -a y + b y(t - tau) + c y'(t - tau), phi = h cos t, optionally y(0) = y0 (a jump at t0). y' jumps at t0 either
 * way (phi'(0) = 0 != y'(0+)), and through the neutral term at every k tau: jump conditions that move with tau.
 * params [a, b, c, tau, h, y0].
 */
function scalarNeutral(jump: boolean, jac = true): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, p, dy, zd) => {
      dy[0] = -p[0]! * y[0]! + p[1]! * z[0]! + p[2]! * zd[0]!;
    },
    delays: [{ ...paramDelay(3), neutral: true }],
    history: {
      value: (t, p, o) => {
        o[0] = p[4]! * Math.cos(t);
      },
      derivative: (t, p, o) => {
        o[0] = -p[4]! * Math.sin(t);
      },
      dp: (t, p, o) => {
        o.fill(0, 0, p.length);
        o[4] = Math.cos(t);
      },
    },
    ...(jump ? { initial: paramInitial([5]) } : {}),
    tspan: [0, 4],
    p: Float64Array.of(0.7, 0.4, 0.5, 0.9, 1.0, 0.6),
    paramNames: ["a", "b", "c", "tau", "h", "y0"],
    ...(jac
      ? {
          jac: {
            dy: (_t, _y, _z, p, o) => void (o[0] = -p[0]!),
            dz: (_t, _y, _z, p, o) => void (o[0] = p[1]!),
            dzd: (_t, _y, _z, p, o) => void (o[0] = p[2]!),
            dp: (_t, y, z, p, o, zd) => {
              o.fill(0, 0, p.length);
              o[0] = -y[0]!;
              o[1] = z[0]!;
              o[2] = zd[0]!;
            },
          },
        }
      : {}),
  };
}

/**
 * Two states, a retarded and a neutral delay, no Jacobians (finite differences, f_zd included), a time-varying
 * history: x1' = -x1 + k x2(t - tau1) + c x1'(t - tau2) sin(x2), x2' = -d x2 + x1 + 0.3 x2'(t - tau2) cos t.
 * params [k, c, d, tau1, tau2, h1, h2].
 */
function twoStateNeutral(): DDEProblem {
  return {
    n: 2,
    f: (t, y, z, p, dy, zd) => {
      dy[0] = -y[0]! + p[0]! * z[1]! + p[1]! * zd[2]! * Math.sin(y[1]!);
      dy[1] = -p[2]! * y[1]! + y[0]! + 0.3 * zd[3]! * Math.cos(t);
    },
    delays: [paramDelay(3), { ...paramDelay(4), neutral: true }],
    history: {
      value: (t, p, o) => {
        o[0] = p[5]! + 0.2 * t;
        o[1] = p[6]! * Math.exp(0.5 * t);
      },
      dp: (t, p, o) => {
        o.fill(0, 0, 2 * p.length);
        o[5] = 1;
        o[p.length + 6] = Math.exp(0.5 * t);
      },
    },
    tspan: [0, 3.5],
    p: Float64Array.of(0.8, 0.6, 0.9, 0.7, 1.1, 0.5, 0.4),
    paramNames: ["k", "c", "d", "tau1", "tau2", "history.x1", "history.x2"],
  };
}

const cost: Cost = [
  { kind: "sum", times: [1.3, 2.5, 3.1], g: { value: (_t, y) => y[0]! * y[0]! + y[y.length - 1]! } },
  { kind: "integral", q: { value: (_t, y, p) => (y[0]! - 0.2 * p[0]!) ** 2 }, from: 0.2, to: 3.25 },
  { kind: "terminal", g: { value: (_t, y) => y.reduce((a, b) => a + b, 0) } },
];

/**
 * Richardson-extrapolated central differences of the cost through the solver, step 1e-3 max(1, |p_k|): the solver's
 * neutral terms read y' from its interpolants, so its cost carries ~1e-12 noise that a small step would amplify.
 */
const finiteDifference = (pr: DDEProblem, c: Cost, k: number): number =>
  richardsonDifference(pr, c, k, 1e-3 * Math.max(1, Math.abs(pr.p[k]!)));

describe("forward sensitivities through neutral delays against finite differences of the solver", () => {
  const models: [string, DDEProblem][] = [
    ["scalar, y' jumps at t0 (moving jumps at every k tau)", scalarNeutral(false)],
    ["scalar, jump at t0 (y0 != phi(t0)), no Jacobians", scalarNeutral(true, false)],
    ["two states, a retarded and a neutral delay, no Jacobians", twoStateNeutral()],
  ];
  for (const [name, pr] of models) {
    it(`${name}: every target (parameters, both delays, history, initial value), forward and adjoint`, () => {
      const res = costGradient(pr, cost, { method: "forward", rtol: 1e-10 });
      const adj = costGradient(pr, cost, { rtol: 1e-10 });
      expect(adj.method).toBe("adjoint"); // auto: more than 3 targets, constant delays
      const scale = Math.max(...Array.from(res.gradient, Math.abs));
      for (let k = 0; k < pr.p.length; k++) {
        const fd = finiteDifference(pr, cost, k);
        const g = res.gradient[k]!;
        const a = adj.gradient[k]!;
        const floor = 1e-3 * scale;
        expect(Math.abs(g - fd), `${res.names[k]}: forward ${g} vs FD ${fd}`).toBeLessThan(
          5e-7 * Math.max(Math.abs(fd), floor),
        );
        expect(Math.abs(a - fd), `${res.names[k]}: adjoint ${a} vs FD ${fd}`).toBeLessThan(
          5e-7 * Math.max(Math.abs(fd), floor),
        );
        expect(Math.abs(a - g), `${res.names[k]}: adjoint ${a} vs forward ${g}`).toBeLessThan(
          3e-7 * Math.max(Math.abs(g), floor),
        );
      }
    });
  }
});

describe("two neutral delays (the adjoint's advanced shifts are sums of both)", () => {
  it("x' = -a x + 0.3 x'(t - tau1) + b v'(t - tau2), v' = -v + x(t - tau1) + 0.2 v'(t - tau1) cos x: forward and adjoint vs FD", () => {
    const pr: DDEProblem = {
      n: 2,
      f: (_t, y, z, p, dy, zd) => {
        dy[0] = -p[0]! * y[0]! + 0.3 * zd[0]! + p[1]! * zd[3]!;
        dy[1] = -y[1]! + z[0]! + 0.2 * zd[1]! * Math.cos(y[0]!);
      },
      delays: [
        { ...paramDelay(2), neutral: true },
        { ...paramDelay(3), neutral: true },
      ],
      history: paramHistory([4, 5]),
      initial: paramInitial([6, 7]),
      tspan: [0, 3.3],
      p: Float64Array.of(0.8, 0.5, 0.7, 1.1, 0.3, -0.2, 1.0, 0.4),
      paramNames: ["a", "b", "tau1", "tau2", "h1", "h2", "y01", "y02"],
    };
    // Observation times off every combination k tau1 + l tau2 (2.5 = 2 tau1 + tau2 would be a kink in both delays).
    const c: Cost = [
      { kind: "sum", times: [1.3, 2.45, 3.05], g: { value: (_t, y) => y[0]! * y[0]! + y[1]! } },
      { kind: "integral", q: { value: (_t, y) => y[1]! * y[1]! }, from: 0.2, to: 3.25 },
    ];
    const fwd = costGradient(pr, c, { method: "forward", rtol: 1e-10 });
    const adj = costGradient(pr, c, { rtol: 1e-10 });
    expect(adj.method).toBe("adjoint");
    const scale = Math.max(...Array.from(fwd.gradient, Math.abs));
    for (let k = 0; k < pr.p.length; k++) {
      const fd = finiteDifference(pr, c, k);
      const floor = 1e-3 * scale;
      expect(Math.abs(fwd.gradient[k]! - fd), `forward ${fwd.names[k]}`).toBeLessThan(
        3e-7 * Math.max(Math.abs(fd), floor),
      );
      expect(Math.abs(adj.gradient[k]! - fd), `adjoint ${fwd.names[k]}`).toBeLessThan(
        3e-7 * Math.max(Math.abs(fd), floor),
      );
    }
  });
});

describe("the neutral adjoint declines a short neutral delay over a long span", () => {
  it("more than 40 advanced shifts: --method adjoint says why, auto falls back to forward", () => {
    const pr = withParams(scalarNeutral(false), [0.7, 0.4, 0.5, 0.09, 1.0, 0.6]);
    const c: Cost = [{ kind: "terminal", g: { value: (_t, y) => y[0]! } }];
    expect(() => costGradient(pr, c, { method: "adjoint", rtol: 1e-6 })).toThrow(
      /more than 40 advanced shifts/,
    );
    const res = costGradient(pr, c, { rtol: 1e-6 });
    expect(res.method).toBe("forward");
    expect(res.gradient.every(Number.isFinite)).toBe(true);
  });
});

describe("known solution: y' = c y'(t - tau), phi = h t, y(0) = y0", () => {
  // y' = h c^(k+1) on [k tau, (k+1) tau): y = y0 + h tau sum_{i<k} c^(i+1) + h c^(k+1) (t - k tau). Every target moves
  // the solution; tau moves the breaking points k tau where y' jumps (s jumps by -[y'] k there).
  const pr: DDEProblem = {
    n: 1,
    f: (_t, _y, _z, p, dy, zd) => void (dy[0] = p[0]! * zd[0]!),
    delays: [{ ...paramDelay(1), neutral: true }],
    history: {
      value: (t, p, o) => void (o[0] = p[2]! * t),
      derivative: (_t, p, o) => void (o[0] = p[2]!),
      dp: (t, p, o) => {
        o.fill(0, 0, p.length);
        o[2] = t;
      },
    },
    initial: paramInitial([3]),
    tspan: [0, 5],
    p: Float64Array.of(0.8, 0.9, 1.3, 0.4),
    paramNames: ["c", "tau", "h", "y0"],
  };
  const exact = (t: number, [c, tau, h, y0]: number[]) => {
    const k = Math.floor(t / tau!);
    let y = y0!;
    for (let i = 0; i < k; i++) y += h! * tau! * c! ** (i + 1);
    return y + h! * c! ** (k + 1) * (t - k * tau!);
  };
  const exactGrad = (t: number) => {
    const [c, tau, h] = Array.from(pr.p) as [number, number, number];
    const k = Math.floor(t / tau);
    let dc = 0;
    let dtau = 0;
    for (let i = 0; i < k; i++) {
      dc += h * tau * (i + 1) * c ** i;
      dtau += h * c ** (i + 1);
    }
    dc += h * (k + 1) * c ** k * (t - k * tau);
    dtau -= h * c ** (k + 1) * k;
    return [dc, dtau, (exact(t, Array.from(pr.p)) - pr.p[3]!) / h, 1];
  };

  it("y and s = dy/d(c, tau, h, y0) match the closed form between and beyond the breaking points", () => {
    const sens = forwardSensitivities(pr, { rtol: 1e-10 });
    const s = new Float64Array(4);
    for (const t of [0.3, 0.85, 1.0, 1.7, 2.05, 3.3, 4.44, 4.99]) {
      expect(Math.abs(sens.solution.eval(t)[0]! - exact(t, Array.from(pr.p)))).toBeLessThan(1e-8);
      sens.sensitivity(t, s);
      const ex = exactGrad(t);
      for (let k = 0; k < 4; k++)
        expect(Math.abs(s[k]! - ex[k]!), `t = ${t}, d/d${sens.names[k]}: ${s[k]} vs ${ex[k]}`).toBeLessThan(
          1e-8 * Math.max(1, Math.abs(ex[k]!)),
        );
    }
  });

  it("the adjoint gives the closed-form gradient of y(3.3) + y(4.44)", () => {
    const res = costGradient(pr, [{ kind: "sum", times: [3.3, 4.44], g: { value: (_t, y) => y[0]! } }], {
      method: "adjoint",
      rtol: 1e-10,
    });
    const a = exactGrad(3.3);
    const b = exactGrad(4.44);
    for (let k = 0; k < 4; k++)
      expect(Math.abs(res.gradient[k]! - a[k]! - b[k]!), res.names[k]).toBeLessThan(
        1e-8 * Math.max(1, Math.abs(a[k]! + b[k]!)),
      );
  });

  it("an observation on a moving breaking point (t = 2 tau) gets both one-sided derivatives", () => {
    const T = 2 * pr.p[1]!;
    const res = costGradient(pr, [{ kind: "sum", times: [T], g: { value: (_t, y) => y[0]! } }], {
      wrt: ["tau", "c"],
      rtol: 1e-10,
    });
    expect(Number.isNaN(res.gradient[0]!)).toBe(true);
    const [c, tau, h] = Array.from(pr.p) as [number, number, number];
    // tau up: T sits in the piece k = 1 (slope h c^2); tau down: in k = 2 (slope h c^3). d y(T)/dtau per side:
    const right = h * c - h * c * c * 1; // k = 1
    const left = h * c + h * c * c - h * c ** 3 * 2; // k = 2, at t = 2 tau exactly
    expect(res.oneSided!.tau!.right).toBeCloseTo(right, 7);
    expect(res.oneSided!.tau!.left).toBeCloseTo(left, 7);
    expect(res.gradient[1]!).toBeCloseTo(h * tau * (1 + 2 * c), 7); // c is smooth there
  });
});

describe("neutral terms through time- and state-dependent lags (forward)", () => {
  // y' = -a y + b y(t - tau) + c y'(t - tau), phi = h: y' jumps at t0 and, through the neutral term, at every point
  // t - tau(t, y(t)) carries onto; for the state-dependent lag those points move with s itself.
  const make = (kind: "time" | "state"): DDEProblem => ({
    n: 1,
    f: (_t, y, z, p, dy, zd) => void (dy[0] = -p[0]! * y[0]! + p[1]! * z[0]! + p[2]! * zd[0]!),
    delays: [
      kind === "time"
        ? {
            kind,
            neutral: true,
            lag: (t, _y, p) => p[3]! + p[4]! * Math.sin(t),
            dLagDp: (t, _y, p, o) => {
              o.fill(0, 0, p.length);
              o[3] = 1;
              o[4] = Math.sin(t);
            },
          }
        : {
            kind,
            neutral: true,
            lag: (_t, y, p) => p[3]! + p[4]! * y[0]! * y[0]!,
            dLagDy: (_t, y, p, o) => void (o[0] = 2 * p[4]! * y[0]!),
          },
    ],
    history: {
      constant: true,
      value: (_t, p, o) => void (o[0] = p[5]!),
      dp: (_t, p, o) => {
        o.fill(0, 0, p.length);
        o[5] = 1;
      },
    },
    tspan: [0, 4],
    p: Float64Array.of(0.7, 0.4, 0.5, 0.9, 0.3, 1.0),
    paramNames: ["a", "b", "c", "d", "e", "h"],
  });
  const c: Cost = [
    { kind: "sum", times: [1.3, 2.5, 3.7], g: { value: (_t, y) => y[0]! * y[0]! } },
    { kind: "integral", q: { value: (_t, y) => y[0]! }, from: 0.2, to: 3.9 },
  ];
  for (const kind of ["time", "state"] as const)
    it(`${kind}-dependent neutral lag: every target vs FD`, () => {
      const pr = make(kind);
      const res = costGradient(pr, c, { rtol: 1e-10 });
      expect(res.method).toBe("forward"); // auto: the neutral adjoint needs constant delays
      expect(() => costGradient(pr, c, { method: "adjoint", rtol: 1e-6 })).toThrow(/needs constant delays/);
      const scale = Math.max(...Array.from(res.gradient, Math.abs));
      for (let k = 0; k < pr.p.length; k++) {
        const fd = finiteDifference(pr, c, k);
        const g = res.gradient[k]!;
        expect(Math.abs(g - fd), `${res.names[k]}: forward ${g} vs FD ${fd}`).toBeLessThan(
          1e-6 * Math.max(Math.abs(fd), 1e-3 * scale),
        );
      }
    });
});
