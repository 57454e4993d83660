import { describe, expect, it } from "vitest";
import { solve } from "../solve.js";
import type { DDEProblem } from "../types.js";
import type { Cost } from "../gradient/cost-types.js";
import { goodwin, lotkaVolterra, withParams } from "../gradient/testModels.js";
import { fitModel, gradientFlow } from "./index.js";
import { mulberry32 } from "./fit.js";

/** Synthetic observations of every state at `times` from the true parameters, plus seeded Gaussian noise. */
function synthetic(truth: DDEProblem, times: number[], noise: number, seed: number, missingEvery = 0): Cost {
  const sol = solve(truth, { rtol: 1e-11, atol: 1e-13 });
  const n = truth.n;
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const values = new Float64Array(times.length * n);
  times.forEach((t, k) => {
    const y = sol.eval(t);
    for (let i = 0; i < n; i++)
      values[k * n + i] = missingEvery && (k * n + i) % missingEvery === 0 ? NaN : y[i]! + noise * gauss();
  });
  return [
    {
      kind: "data",
      times,
      states: Array.from({ length: n }, (_, i) => i),
      values,
      sigma: noise > 0 ? noise : 0.05,
    },
  ];
}

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);

describe("fitModel: parameter recovery", () => {
  const truth = lotkaVolterra({ T: 10 });
  const wrt = ["a", "b", "c", "d", "tau"];
  const perturbed = withParams(
    truth,
    truth.p.map((v, i) => (i < 5 ? v * (i % 2 ? 1.15 : 0.88) : v)),
  );

  it("delayed Lotka-Volterra, exact data, Levenberg-Marquardt: recovers parameters and the delay to 1e-5", () => {
    const cost = synthetic(truth, range(0.5, 10, 0.5), 0, 1);
    const fit = fitModel(perturbed, cost, { wrt, optimizer: "lm", rtol: 1e-9 });
    expect(fit.converged).toBe(true);
    wrt.forEach((name, k) => expect(Math.abs(fit.params[name]! - truth.p[k]!), name).toBeLessThan(1e-5));
    expect(fit.cost).toBeLessThan(1e-8);
  });

  it("delayed Lotka-Volterra, exact data, L-BFGS on the exact gradient: recovers the delay and rates", () => {
    const cost = synthetic(truth, range(0.5, 10, 0.5), 0, 1);
    const fit = fitModel(
      withParams(
        truth,
        truth.p.map((v, i) => (i === 3 ? 0.8 : i === 4 ? 0.6 : v)),
      ),
      cost,
      {
        wrt: ["d", "tau"],
        optimizer: "lbfgs",
        rtol: 1e-9,
      },
    );
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params.d! - 0.7)).toBeLessThan(1e-5);
    expect(Math.abs(fit.params.tau! - 0.5)).toBeLessThan(1e-5);
  });

  it("delayed Lotka-Volterra, noisy data (seeded): estimates within a few standard errors, chi^2 ~ number of observations", () => {
    const times = range(0.5, 10, 0.5);
    const cost = synthetic(truth, times, 0.02, 7);
    const fit = fitModel(perturbed, cost, { wrt, optimizer: "lm", rtol: 1e-8 });
    expect(fit.converged).toBe(true);
    wrt.forEach((name, k) => expect(Math.abs(fit.params[name]! / truth.p[k]! - 1), name).toBeLessThan(0.03));
    const M = times.length * 2;
    expect(fit.cost).toBeGreaterThan(0.4 * (M - wrt.length));
    expect(fit.cost).toBeLessThan(2 * M);
  });

  it("3-state, two delays, noisy data with missing values: recovers rates and a delay", () => {
    const truth3 = goodwin({ T: 12 });
    const cost = synthetic(truth3, range(0.5, 12, 0.5), 0.01, 3, 7);
    const names = ["a", "b", "d", "tau1"];
    const start = withParams(
      truth3,
      truth3.p.map((v, i) => (i === 0 ? 2.3 : i === 1 ? 0.85 : i === 3 ? 0.7 : i === 4 ? 1.1 : v)),
    );
    const fit = fitModel(start, cost, { wrt: names, optimizer: "lm", rtol: 1e-8 });
    expect(fit.converged).toBe(true);
    for (const [name, idx] of [
      ["a", 0],
      ["b", 1],
      ["d", 3],
      ["tau1", 4],
    ] as const)
      expect(Math.abs(fit.params[name]! / truth3.p[idx]! - 1), name).toBeLessThan(0.03);
  });
});

describe("fitModel: robustness and reporting", () => {
  // y' = -k y(t - 1) with a right-hand side that fails (NaN) for k > 2: the optimiser must back off, not crash.
  const fragile: DDEProblem = {
    n: 1,
    f: (_t, _y, z, p, dy) => {
      dy[0] = p[0]! > 2 ? NaN : -p[0]! * z[0]!;
    },
    delays: [{ kind: "constant", lag: () => 1 }],
    history: { constant: true, value: (_t, _p, o) => o.fill(1) },
    tspan: [0, 3],
    p: Float64Array.of(1.9),
    paramNames: ["k"],
  };
  // J = (y(3) + 1)^2 keeps pulling k upwards, into the failing region.
  const pull: Cost = [{ kind: "terminal", g: { value: (_t, y) => (y[0]! + 1) ** 2 } }];

  it("treats a trial point where the solver fails as infinitely bad (no crash, best point returned)", () => {
    const progress: number[] = [];
    const fit = fitModel(fragile, pull, {
      optimizer: "lbfgs",
      rtol: 1e-7,
      maxIter: 20,
      onProgress: (p) => void progress.push(p.cost),
    });
    expect(fit.params.k!).toBeLessThanOrEqual(2);
    expect(Number.isFinite(fit.cost)).toBe(true);
    const gd = fitModel(fragile, pull, { optimizer: "gd", learningRate: 0.5, rtol: 1e-7, maxIter: 10 });
    expect(gd.params.k!).toBeLessThanOrEqual(2);
    expect(Number.isFinite(gd.cost)).toBe(true);
  });

  it("reports progress per iteration (iteration, cost, gradient norm, params) and honours bounds with projected first-order methods", () => {
    const truth = lotkaVolterra({ T: 6 });
    const cost = synthetic(truth, range(0.5, 6, 0.5), 0, 2);
    const rows: { iteration: number; cost: number; gradNorm: number; params: Record<string, number> }[] = [];
    const fit = fitModel(
      withParams(
        truth,
        truth.p.map((v, i) => (i === 4 ? 0.7 : v)),
      ),
      cost,
      {
        wrt: ["tau"],
        optimizer: "adam",
        learningRate: 0.02,
        bounds: { tau: [0.55, 1] },
        maxIter: 15,
        rtol: 1e-7,
        onProgress: (p) => void rows.push(p),
      },
    );
    expect(rows.length).toBeGreaterThan(3);
    expect(rows[0]!.params.tau).toBeCloseTo(0.7, 12);
    for (const r of rows) {
      expect(Number.isFinite(r.cost) && Number.isFinite(r.gradNorm)).toBe(true);
      expect(r.params.tau!).toBeGreaterThanOrEqual(0.55);
    }
    expect(fit.params.tau!).toBeCloseTo(0.55, 6); // the optimum 0.5 lies outside: stops on the bound
    expect(fit.cost).toBeLessThan(rows[0]!.cost);
  });

  it("L-BFGS-B with bounds: recovers an interior optimum and stops on an active bound", () => {
    const truth = lotkaVolterra({ T: 6 });
    const cost = synthetic(truth, range(0.5, 6, 0.5), 0, 2);
    const start = withParams(
      truth,
      truth.p.map((v, i) => (i === 3 ? 0.9 : i === 4 ? 0.65 : v)),
    );
    const inside = fitModel(start, cost, {
      wrt: ["d", "tau"],
      optimizer: "lbfgsb",
      bounds: { d: [0.2, 2], tau: [0.1, 1] },
      rtol: 1e-9,
    });
    expect(inside.converged).toBe(true);
    expect(Math.abs(inside.params.d! - 0.7)).toBeLessThan(1e-5);
    expect(Math.abs(inside.params.tau! - 0.5)).toBeLessThan(1e-5);
    const active = fitModel(start, cost, {
      wrt: ["d", "tau"],
      optimizer: "lbfgsb",
      bounds: { d: [0.2, 2], tau: [0.6, 1] },
      rtol: 1e-9,
    });
    expect(active.params.tau).toBe(0.6);
    expect(active.cost).toBeGreaterThan(inside.cost);
  });

  it("multi-start is seeded and reproducible, and keeps the best start", () => {
    const truth = lotkaVolterra({ T: 6 });
    const cost = synthetic(truth, range(0.5, 6, 0.5), 0, 2);
    const opts = {
      wrt: ["d", "tau"],
      optimizer: "lm" as const,
      bounds: { d: [0.3, 1.2] as const, tau: [0.2, 0.9] as const },
      multiStart: 2,
      seed: 42,
      rtol: 1e-7,
    };
    const a = fitModel(truth, cost, opts);
    const b = fitModel(truth, cost, opts);
    expect(a.starts.length).toBe(3);
    expect(a.starts.map((s) => s.x0)).toEqual(b.starts.map((s) => s.x0));
    expect(a.cost).toBe(Math.min(...a.starts.map((s) => s.cost)));
    expect(Math.abs(a.params.tau! - 0.5)).toBeLessThan(1e-4);
  });

  it("fits with the user's gradient formula", () => {
    // J = integral (y - c)^2 over a fixed trajectory: dJ/dc = integral -2 (y - c); the optimum c is the mean of y.
    const truth = lotkaVolterra({ T: 6 });
    const pr: DDEProblem = {
      ...truth,
      p: Float64Array.of(...truth.p, 0),
      paramNames: [...truth.paramNames!, "level"],
    };
    const cost: Cost = [{ kind: "integral", q: { value: (_t, y, p) => (y[0]! - p[7]!) ** 2 } }];
    const fit = fitModel(pr, cost, {
      wrt: ["level"],
      optimizer: "lbfgs",
      gradient: "user",
      userGradient: { level: [{ kind: "integral", q: { value: (_t, y, p) => -2 * (y[0]! - p[7]!) } }] },
      rtol: 1e-9,
    });
    const exact = fitModel(pr, cost, { wrt: ["level"], optimizer: "lbfgs", rtol: 1e-9 });
    expect(fit.converged).toBe(true);
    expect(fit.params.level!).toBeCloseTo(exact.params.level!, 6);
    expect(fit.params.level!).toBeGreaterThan(0.5);
  });

  it("rejects bad options with messages that name them", () => {
    const truth = lotkaVolterra({ T: 3 });
    expect(() => fitModel(truth, [], { wrt: ["tau"], bounds: { nope: [0, 1] } })).toThrow(
      /"nope" is not a fitted parameter/,
    );
    expect(() =>
      fitModel(truth, [{ kind: "terminal", g: { value: (_t, y) => y[0]! } }], {
        wrt: ["tau"],
        optimizer: "lm",
      }),
    ).toThrow(/least-squares/);
    expect(() => fitModel(truth, [], { wrt: ["tau"], optimizer: "lbfgs", bounds: { tau: [0, 1] } })).toThrow(
      /lbfgsb/,
    );
    expect(() => fitModel(truth, [], { wrt: ["tau"], multiStart: 2 })).toThrow(/finite bounds/);
  });
});

describe("gradientFlow", () => {
  it("flows the parameters down the exact gradient, solved by the DDE solver", () => {
    const truth = lotkaVolterra({ T: 6 });
    const cost = synthetic(truth, range(0.5, 6, 0.5), 0, 2);
    const start = withParams(
      truth,
      truth.p.map((v, i) => (i === 4 ? 0.65 : v)),
    );
    // The cost's curvature in tau is ~1.7e5, so eta = 1e-5 makes the flow's time scale ~0.6 (non-stiff for the solver).
    const flow = gradientFlow(start, cost, { wrt: ["tau"], eta: 1e-5, duration: 6, rtol: 1e-7 });
    expect(flow.status).toBe("success");
    expect(Math.abs(flow.params.tau! - 0.5)).toBeLessThan(1e-3);
    expect(flow.path.length).toBeGreaterThan(2);
  });
});
