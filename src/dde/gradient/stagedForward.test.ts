import { describe, expect, it } from "vitest";
import { bs3, dop853, tsit5 } from "../methods.js";
import { solve } from "../solve.js";
import type { DDEProblem } from "../types.js";
import type { Cost } from "./cost-types.js";
import { costGradient, forwardSensitivities, type CostGradientResult } from "./index.js";
import { centralDifference, mixedCost, square } from "./testCosts.js";
import { goodwin, hutchinson, linearScalar, lotkaVolterra, paramDelay, withParams } from "./testModels.js";

/** Every kind of term, one sum on a breaking point t0 + 2 tau. */
const mixed = (pr: DDEProblem): Cost => mixedCost(pr, [0.37 * pr.tspan[1], 2]);

/** The staged path ran: one integration, its stage count is the solve's right-hand-side count. */
const staged = (r: CostGradientResult) =>
  r.stats.gradientSteps === r.solution.stats.steps && r.stats.gradientRhsEvals >= r.solution.stats.rhsEvals;

/** max |a - b| / max(|b|, floor) over the entries. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let d = 0;
  let s = floor;
  for (let k = 0; k < b.length; k++) {
    d = Math.max(d, Math.abs(a[k]! - b[k]!));
    s = Math.max(s, Math.abs(b[k]!));
  }
  return d / s;
}

/** A scalar problem whose steps are much longer than its lag (lags inside the step: fixed-point sweeps). */
function shortLag(): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, p, dy) => {
      dy[0] = -p[0]! * z[0]! + p[1]! * Math.sin(y[0]!);
    },
    delays: [{ kind: "constant", lag: () => 0.004 }],
    history: { constant: true, value: (_t, _p, o) => o.fill(0.8) },
    initial: { value: (p, o) => (o[0] = p[2]!), dp: (p, o) => (o.fill(0, 0, p.length), (o[2] = 1)) },
    tspan: [0, 6],
    p: Float64Array.of(0.7, 0.3, 1.1),
    paramNames: ["a", "b", "initial.y"],
  };
}

/** Hutchinson with a time-dependent lag tau(t) = p[2] (1 + 0.3 sin t) and its parameter derivatives. */
function timeLagged(jump: boolean): DDEProblem {
  const pr = hutchinson({ jump });
  return {
    ...pr,
    delays: [
      {
        kind: "time",
        lag: (t, _y, p) => p[2]! * (1 + 0.3 * Math.sin(t)),
        dLagDp: (t, _y, p, out) => {
          out.fill(0, 0, p.length);
          out[2] = 1 + 0.3 * Math.sin(t);
        },
      },
    ],
  };
}

/** shortLag() with its lag as a parameter (delay target), no jump at t0. */
function shortParamLag(): DDEProblem {
  const pr = shortLag();
  return {
    ...pr,
    delays: [paramDelay(2)],
    initial: undefined,
    p: Float64Array.of(0.7, 0.3, 0.004),
    paramNames: ["a", "b", "tau"],
  };
}

const cases: [string, DDEProblem, string[]][] = [
  ["delay target, Hutchinson, smooth start", hutchinson(), ["r", "K", "tau", "history.y"]],
  [
    "two delay targets, 3-state, smooth start",
    goodwin({ T: 6 }),
    ["a", "b", "c", "d", "tau1", "tau2", "history.x1", "history.x2", "history.x3"],
  ],
  [
    "delay target, Lotka-Volterra",
    lotkaVolterra({ T: 8 }),
    ["a", "b", "c", "d", "tau", "history.x", "history.y"],
  ],
  ["time-dependent lag (not a target), jump at t0", timeLagged(true), ["r", "K", "history.y", "initial.y"]],
  ["Hutchinson, smooth start", hutchinson(), ["r", "K", "history.y"]],
  ["Hutchinson, jump at t0", hutchinson({ jump: true }), ["r", "K", "history.y", "initial.y"]],
  [
    "3-state, two delays, jump at t0, no Jacobians (finite-difference tangents)",
    goodwin({ T: 6, jump: true, jac: false }),
    ["a", "b", "c", "d", "history.x1", "history.x3", "initial.x1", "initial.x2", "initial.x3"],
  ],
  ["linear, time-varying history with parameters", linearScalar(), ["a", "b", "c", "e"]],
  ["steps 50x longer than the lag (sweeps on the step's own extension)", shortLag(), ["a", "b", "initial.y"]],
];

describe("forward sensitivities on the solver's own stages", () => {
  it.each(cases)(
    "%s: agrees with the separate sensitivity solve, the adjoint and central differences",
    (_, pr, wrt) => {
      const cost = mixed(pr);
      const opts = { wrt, rtol: 1e-10, atol: 1e-12 };
      const fwd = costGradient(pr, cost, { ...opts, method: "forward" });
      expect(staged(fwd)).toBe(true);
      const sol = solve(pr, { rtol: 1e-10, atol: 1e-12 });
      const separate = costGradient(pr, cost, { ...opts, method: "forward", solution: sol });
      expect(staged(separate)).toBe(false);
      expect(fwd.cost).toBe(separate.cost); // the same solution, bit for bit
      const adj = costGradient(pr, cost, { ...opts, method: "adjoint" });
      const fd = wrt.map((w) => centralDifference(pr, cost, pr.paramNames!.indexOf(w)));
      expect(relDiff(fwd.gradient, separate.gradient)).toBeLessThan(1e-7);
      expect(relDiff(fwd.gradient, adj.gradient)).toBeLessThan(1e-7);
      expect(relDiff(fwd.gradient, fd)).toBeLessThan(1e-6);
    },
  );

  it.each([
    ["bs3", bs3()],
    ["tsit5", tsit5()],
    ["dop853 (extra dense-output stages)", dop853()],
  ])("every method: %s", (_, method) => {
    const pr = hutchinson({ jump: true });
    const cost = mixed(pr);
    const wrt = ["r", "K", "history.y", "initial.y"];
    const rtol = method.name === "BS3" ? 1e-9 : 1e-10;
    const fwd = costGradient(pr, cost, {
      wrt,
      rtol,
      atol: rtol / 100,
      method: "forward",
      solverOptions: { method },
    });
    expect(staged(fwd)).toBe(true);
    const fd = wrt.map((w) => centralDifference(pr, cost, pr.paramNames!.indexOf(w)));
    expect(relDiff(fwd.gradient, fd)).toBeLessThan(method.name === "BS3" ? 1e-5 : 1e-6);
    // Delay targets (forcing, fresh first stages, jump condition at t0 + tau) with every method, against a tight adjoint.
    const data: Cost = [
      { kind: "data", times: [1.7, 3.3, 4.9], states: [0], values: Float64Array.of(0.5, 1, 1.2), sigma: 0.1 },
    ];
    const all = pr.paramNames!;
    const ref = costGradient(pr, data, { wrt: all, method: "adjoint", rtol: 1e-12, atol: 1e-14 });
    const withDelay = costGradient(pr, data, {
      wrt: all,
      rtol,
      atol: rtol / 100,
      method: "forward",
      solverOptions: { method },
    });
    expect(staged(withDelay)).toBe(true);
    expect(relDiff(withDelay.gradient, ref.gradient)).toBeLessThan(1e-8);
  });

  it("sensitivityErrorControl: the sensitivities join the step-size control (more steps, a closer gradient)", () => {
    const pr = hutchinson({ jump: true });
    const cost: Cost = [
      {
        kind: "data",
        times: [1.5, 3, 4.5, 6, 7.5],
        states: [0],
        values: Float64Array.of(0.5, 1, 1.2, 1.1, 1),
        sigma: 0.1,
      },
    ];
    const wrt = ["r", "K", "history.y", "initial.y"];
    const ref = costGradient(pr, cost, { wrt, method: "adjoint", rtol: 1e-12, atol: 1e-14 }).gradient;
    const opts = { wrt, method: "forward" as const, rtol: 1e-8, atol: 1e-10 };
    const stateOnly = costGradient(pr, cost, opts);
    const both = costGradient(pr, cost, { ...opts, sensitivityErrorControl: true });
    expect(staged(both)).toBe(true);
    expect(both.solution.stats.steps).toBeGreaterThan(stateOnly.solution.stats.steps);
    // measured: 5.4e-8 with the state's control alone, 7e-9 with both
    expect(relDiff(both.gradient, ref)).toBeLessThan(2e-8);
    expect(relDiff(both.gradient, ref)).toBeLessThan(relDiff(stateOnly.gradient, ref));
  });

  it("s(t) is dense and matches finite differences of the solution at interior times and at the end", () => {
    const pr = goodwin({ T: 6, jump: true });
    const wrt = ["a", "d", "history.x3", "initial.x2"];
    const fs = forwardSensitivities(pr, { wrt, rtol: 1e-10, atol: 1e-12 });
    const n = pr.n;
    // before t0: d phi / d theta (the history target's 1, zero for the others)
    const before = fs.sensitivity(-0.5);
    wrt.forEach((w, k) => {
      for (let i = 0; i < n; i++) expect(before[k * n + i]).toBe(w === "history.x3" && i === 2 ? 1 : 0);
    });
    for (const t of [0, 0.5, 1.3, 2.6, 4.41, 6]) {
      const s = fs.sensitivity(t);
      wrt.forEach((w, k) => {
        const q = pr.paramNames!.indexOf(w);
        const y = (d: number) => {
          const p = Float64Array.from(pr.p);
          p[q] = p[q]! + d;
          return solve(withParams(pr, p), { rtol: 1e-12, atol: 1e-14 }).eval(t);
        };
        const h = 1e-4;
        const yp = y(h);
        const ym = y(-h);
        for (let i = 0; i < n; i++) {
          const fd = (yp[i]! - ym[i]!) / (2 * h);
          expect(Math.abs(s[k * n + i]! - fd)).toBeLessThan(1e-7 * Math.max(1, Math.abs(fd)));
        }
      });
    }
  });

  it("a problem with jac.fjvp: the fused product gives the same solution and sensitivities as f and jvp", () => {
    const pr = hutchinson({ jump: true });
    const jac = pr.jac!;
    // jvp from the dense Jacobians, and f with it in one call.
    const jvp: NonNullable<typeof jac.jvp> = (t, y, z, p, zd, vy, vz, cols, out) => {
      const a = new Float64Array(1);
      const b = new Float64Array(1);
      const dp = new Float64Array(p.length);
      jac.dy!(t, y, z, p, a, zd);
      jac.dz!(t, y, z, p, b, zd);
      jac.dp!(t, y, z, p, dp, zd);
      for (let d = 0; d < cols.length; d++)
        out[d] = a[0]! * vy[d]! + b[0]! * vz[d]! + (cols[d]! >= 0 ? dp[cols[d]!]! : 0);
    };
    let fused = 0;
    const withJvp: DDEProblem = { ...pr, jac: { ...jac, jvp } };
    const withFjvp: DDEProblem = {
      ...pr,
      jac: {
        ...jac,
        jvp,
        fjvp: (t, y, z, p, zd, vy, vz, cols, out, dy) => {
          fused++;
          pr.f(t, y, z, p, dy, zd);
          jvp(t, y, z, p, zd, vy, vz, cols, out);
        },
      },
    };
    const cost = mixed(pr);
    const opts = { wrt: ["r", "K", "initial.y"], rtol: 1e-9, atol: 1e-11, method: "forward" as const };
    const a = costGradient(withJvp, cost, opts);
    const b = costGradient(withFjvp, cost, opts);
    expect(fused).toBe(b.solution.stats.rhsEvals);
    expect(b.cost).toBe(a.cost);
    expect(Array.from(b.gradient)).toEqual(Array.from(a.gradient));
  });

  it("non-finite tangents are an E_SOLVER error naming the cause, not a NaN gradient", () => {
    const pr = hutchinson();
    const bad: DDEProblem = {
      ...pr,
      jac: {
        fjvp: (t, y, z, p, zd, _vy, _vz, cols, out, dy) => {
          pr.f(t, y, z, p, dy, zd);
          out.fill(t > 3 ? NaN : 0, 0, cols.length);
        },
      },
    };
    expect(() => costGradient(bad, mixed(pr), { wrt: ["r"], method: "forward" })).toThrow(/non-finite/);
  });

  it("jump at t0 with delay targets: the jump conditions at t0 + tau on the stages; one-sided derivatives on them", () => {
    for (const pr of [hutchinson({ jump: true }), goodwin({ T: 6, jump: true })]) {
      const T = pr.tspan[1];
      const times = [0.31 * T, 0.55 * T, 0.83 * T];
      const cost: Cost = [
        { kind: "data", times, states: [0], values: Float64Array.of(0.5, 1, 1.2), sigma: 0.1 },
        {
          kind: "integral",
          q: { value: (_t, y, p) => (y[pr.n - 1]! - 0.3 * p[0]!) ** 2 },
          from: 0.1 * T,
          to: 0.9 * T,
        },
      ];
      const wrt = pr.paramNames!;
      const opts = { wrt, rtol: 1e-10, atol: 1e-12 };
      const fwd = costGradient(pr, cost, { ...opts, method: "forward" });
      expect(staged(fwd)).toBe(true);
      const sol = solve(pr, { rtol: 1e-10, atol: 1e-12 });
      const separate = costGradient(pr, cost, { ...opts, method: "forward", solution: sol });
      const adj = costGradient(pr, cost, { ...opts, method: "adjoint" });
      const fd = wrt.map((_, k) => centralDifference(pr, cost, k));
      expect(relDiff(fwd.gradient, separate.gradient)).toBeLessThan(1e-7);
      expect(relDiff(fwd.gradient, adj.gradient)).toBeLessThan(1e-7);
      expect(relDiff(fwd.gradient, fd)).toBeLessThan(1e-6);
    }
    // An observation on the moving breaking point t0 + tau = 1: the cost has two one-sided derivatives in tau.
    const pr = hutchinson({ jump: true });
    const onPoint: Cost = [{ kind: "sum", times: [1], g: square(0) }];
    const opts = { wrt: ["r", "tau"], rtol: 1e-10, atol: 1e-12, method: "forward" as const };
    const a = costGradient(pr, onPoint, opts);
    expect(staged(a)).toBe(true);
    const b = costGradient(pr, onPoint, { ...opts, solution: solve(pr, { rtol: 1e-10, atol: 1e-12 }) });
    expect(a.oneSided?.["tau"]).toBeDefined();
    expect(Number.isNaN(a.gradient[1]!)).toBe(true);
    const [l, r] = [a.oneSided!["tau"]!, b.oneSided!["tau"]!];
    // (y(1) does not move with tau from the side where 1 < t0 + tau: that one-sided derivative is 0)
    expect(Math.abs(l.left - r.left)).toBeLessThan(1e-7 * Math.max(1, Math.abs(r.left)));
    expect(Math.abs(l.right - r.right)).toBeLessThan(1e-7 * Math.max(1, Math.abs(r.right)));
    expect(Math.abs(l.left - l.right)).toBeGreaterThan(0.1);
  });

  it("declared jumps with delay targets, steps longer than a moving lag, lags a target moves and events take the separate sensitivity solve (and stay right)", () => {
    const short = shortParamLag();
    const shortCost = mixed(short);
    const shortOpts = { wrt: ["a", "tau"], rtol: 1e-10, atol: 1e-12 };
    const sf = costGradient(short, shortCost, { ...shortOpts, method: "forward" });
    expect(staged(sf)).toBe(false);
    const sa = costGradient(short, shortCost, { ...shortOpts, method: "adjoint" });
    expect(relDiff(sf.gradient, sa.gradient)).toBeLessThan(1e-7);
    const pr = hutchinson({ jump: true });
    const cost = mixed(pr);
    const opts = { rtol: 1e-10, atol: 1e-12, method: "forward" as const };
    const declared: DDEProblem = { ...hutchinson(), jumps: [2.5] };
    const delay = costGradient(declared, cost, { ...opts, wrt: ["r", "tau"] });
    expect(staged(delay)).toBe(false);
    const adj = costGradient(declared, cost, { ...opts, wrt: ["r", "tau"], method: "adjoint" });
    expect(relDiff(delay.gradient, adj.gradient)).toBeLessThan(1e-8);
    // a time-dependent lag without dLagDp; one moved by the target r only after t0 (found at a stage)
    const timeLag: DDEProblem = {
      ...pr,
      delays: [{ kind: "time", lag: (t, _y, p) => p[2]! * (1 + 0.1 * Math.sin(t)) }],
    };
    expect(staged(costGradient(timeLag, cost, { ...opts, wrt: ["r"] }))).toBe(false);
    const movedLater: DDEProblem = {
      ...pr,
      delays: [
        {
          kind: "time",
          lag: (t, _y, p) => p[2]! + 0.05 * p[0]! * t * t,
          dLagDp: (t, _y, p, out) => {
            out.fill(0, 0, p.length);
            out[0] = 0.05 * t * t;
            out[2] = 1;
          },
        },
      ],
      tspan: [0, 4],
    };
    const moved = costGradient(movedLater, mixed(movedLater), { ...opts, wrt: ["r", "K"] });
    expect(staged(moved)).toBe(false);
    const movedAdj = costGradient(movedLater, mixed(movedLater), {
      ...opts,
      wrt: ["r", "K"],
      method: "adjoint",
    });
    expect(relDiff(moved.gradient, movedAdj.gradient)).toBeLessThan(1e-7);
    const events = costGradient(pr, cost, {
      ...opts,
      wrt: ["r"],
      solverOptions: { events: [{ g: (t) => t - 3 }] },
    });
    expect(staged(events)).toBe(false);
  });
});
