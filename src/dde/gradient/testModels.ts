/**
 * Test models with analytic Jacobians (parameter-count agnostic: extra parameters may be appended to p), shared by the gradient and fit tests and the benchmark. Every model's delays,
 * constant history values and initial values are parameters, so every kind of gradient target can be exercised.
 */
import type { DDEProblem, Delay, History, InitialValue } from "../types.js";

/** A constant delay that reads parameter `index`. */
export function paramDelay(index: number): Delay {
  return {
    kind: "constant",
    lag: (_t, _y, p) => p[index]!,
    dLagDp: (_t, _y, p, out) => {
      out.fill(0, 0, p.length);
      out[index] = 1;
    },
    label: `p[${index}]`,
  };
}

/** A constant history whose state i reads parameter idx[i]. */
export function paramHistory(idx: number[]): History {
  return {
    constant: true,
    value: (_t, p, out) => idx.forEach((q, i) => (out[i] = p[q]!)),
    derivative: (_t, _p, out) => out.fill(0),
    dp: (_t, p, out) => {
      const np = p.length;
      out.fill(0, 0, idx.length * np);
      idx.forEach((q, i) => (out[i * np + q] = 1));
    },
  };
}

/** An initial value whose state i reads parameter idx[i] (a jump at t0 when it differs from the history). */
export function paramInitial(idx: number[]): InitialValue {
  return {
    value: (p, out) => idx.forEach((q, i) => (out[i] = p[q]!)),
    dp: (p, out) => {
      const np = p.length;
      out.fill(0, 0, idx.length * np);
      idx.forEach((q, i) => (out[i * np + q] = 1));
    },
  };
}

/** Hutchinson's delayed logistic y' = r y (1 - y(t - tau)/K); params [r, K, tau, h, y0]; jump: y(0) = y0 != h. */
export function hutchinson(opts: { jump?: boolean; jac?: boolean; T?: number } = {}): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, p, dy) => {
      dy[0] = p[0]! * y[0]! * (1 - z[0]! / p[1]!);
    },
    delays: [paramDelay(2)],
    history: paramHistory([3]),
    ...(opts.jump ? { initial: paramInitial([4]) } : {}),
    tspan: [0, opts.T ?? 8],
    p: Float64Array.of(1.4, 1.2, 1.0, 0.3, 0.6),
    paramNames: ["r", "K", "tau", "history.y", "initial.y"],
    stateNames: ["y"],
    ...(opts.jac === false
      ? {}
      : {
          jac: {
            dy: (_t, _y, z, p, out) => {
              out[0] = p[0]! * (1 - z[0]! / p[1]!);
            },
            dz: (_t, y, _z, p, out) => {
              out[0] = (-p[0]! * y[0]!) / p[1]!;
            },
            dp: (_t, y, z, p, out) => {
              out.fill(0, 0, p.length);
              out[0] = y[0]! * (1 - z[0]! / p[1]!);
              out[1] = (p[0]! * y[0]! * z[0]!) / (p[1]! * p[1]!);
            },
          },
        }),
  };
}

/**
 * Three states, two delays (a delayed negative-feedback loop, Goodwin-like):
 *   x1' = a / (1 + x3(t - tau1)^2) - d x1,  x2' = b x1(t - tau2) - d x2,  x3' = c x2 - d x3.
 * params [a, b, c, d, tau1, tau2, h1, h2, h3, y01, y02, y03].
 */
export function goodwin(opts: { jump?: boolean; jac?: boolean; T?: number } = {}): DDEProblem {
  return {
    n: 3,
    f: (_t, y, z, p, dy) => {
      const x3l = z[2]!; // delay 0 block, state 3
      const x1l = z[3]!; // delay 1 block, state 1
      dy[0] = p[0]! / (1 + x3l * x3l) - p[3]! * y[0]!;
      dy[1] = p[1]! * x1l - p[3]! * y[1]!;
      dy[2] = p[2]! * y[1]! - p[3]! * y[2]!;
    },
    delays: [paramDelay(4), paramDelay(5)],
    history: paramHistory([6, 7, 8]),
    ...(opts.jump ? { initial: paramInitial([9, 10, 11]) } : {}),
    tspan: [0, opts.T ?? 10],
    p: Float64Array.of(2.0, 1.0, 1.5, 0.6, 1.3, 0.7, 0.5, 0.2, 0.1, 0.9, 0.4, 0.3),
    paramNames: [
      "a",
      "b",
      "c",
      "d",
      "tau1",
      "tau2",
      "history.x1",
      "history.x2",
      "history.x3",
      "initial.x1",
      "initial.x2",
      "initial.x3",
    ],
    stateNames: ["x1", "x2", "x3"],
    ...(opts.jac === false
      ? {}
      : {
          jac: {
            dy: (_t, _y, _z, p, out) => {
              out.fill(0, 0, 9);
              out[0] = -p[3]!;
              out[4] = -p[3]!;
              out[7] = p[2]!;
              out[8] = -p[3]!;
            },
            dz: (_t, _y, z, p, out) => {
              out.fill(0, 0, 18);
              const x3l = z[2]!;
              const den = 1 + x3l * x3l;
              out[0 * 3 + 2] = (-p[0]! * 2 * x3l) / (den * den); // d f1 / d z_{0,3}
              out[9 + 1 * 3 + 0] = p[1]!; // d f2 / d z_{1,1}
            },
            dp: (_t, y, z, p, out) => {
              const np = p.length;
              out.fill(0, 0, 3 * np);
              const x3l = z[2]!;
              out[0 * np + 0] = 1 / (1 + x3l * x3l);
              out[0 * np + 3] = -y[0]!;
              out[1 * np + 1] = z[3]!;
              out[1 * np + 3] = -y[1]!;
              out[2 * np + 2] = y[1]!;
              out[2 * np + 3] = -y[2]!;
            },
          },
        }),
  };
}

/**
 * Delayed Lotka-Volterra: prey x' = a x - b x y, predator y' = d x(t - tau) y(t - tau) - c y.
 * params [a, b, c, d, tau, hx, hy].
 */
export function lotkaVolterra(opts: { jac?: boolean; T?: number } = {}): DDEProblem {
  return {
    n: 2,
    f: (_t, y, z, p, dy) => {
      dy[0] = p[0]! * y[0]! - p[1]! * y[0]! * y[1]!;
      dy[1] = p[3]! * z[0]! * z[1]! - p[2]! * y[1]!;
    },
    delays: [paramDelay(4)],
    history: paramHistory([5, 6]),
    tspan: [0, opts.T ?? 15],
    p: Float64Array.of(1.0, 0.8, 1.0, 0.7, 0.5, 1.2, 0.6),
    paramNames: ["a", "b", "c", "d", "tau", "history.x", "history.y"],
    stateNames: ["x", "y"],
    ...(opts.jac === false
      ? {}
      : {
          jac: {
            dy: (_t, y, _z, p, out) => {
              out[0] = p[0]! - p[1]! * y[1]!;
              out[1] = -p[1]! * y[0]!;
              out[2] = 0;
              out[3] = -p[2]!;
            },
            dz: (_t, _y, z, p, out) => {
              out[0] = 0;
              out[1] = 0;
              out[2] = p[3]! * z[1]!;
              out[3] = p[3]! * z[0]!;
            },
            dp: (_t, y, z, p, out) => {
              const np = p.length;
              out.fill(0, 0, 2 * np);
              out[0] = y[0]!;
              out[1] = -y[0]! * y[1]!;
              out[np + 2] = -y[1]!;
              out[np + 3] = z[0]! * z[1]!;
            },
          },
        }),
  };
}

/**
 * Linear scalar DDE with a time-varying history: y' = a y + b y(t - tau), phi(t) = c + e t, no Jacobians given (the
 * finite-difference fallback). params [a, b, tau, c, e].
 */
export function linearScalar(opts: { T?: number } = {}): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, p, dy) => {
      dy[0] = p[0]! * y[0]! + p[1]! * z[0]!;
    },
    delays: [{ kind: "constant", lag: (_t, _y, p) => p[2]! }],
    history: {
      value: (t, p, out) => {
        out[0] = p[3]! + p[4]! * t;
      },
      derivative: (_t, p, out) => {
        out[0] = p[4]!;
      },
      dp: (t, _p, out) => {
        out.fill(0, 0, 5);
        out[3] = 1;
        out[4] = t;
      },
    },
    tspan: [0, opts.T ?? 5],
    p: Float64Array.of(-0.5, -1.2, 0.8, 1.0, 0.4),
    paramNames: ["a", "b", "tau", "c", "e"],
    stateNames: ["y"],
  };
}

/** A copy of the problem with parameter values `p`. */
export function withParams(problem: DDEProblem, p: ArrayLike<number>): DDEProblem {
  return { ...problem, p: Float64Array.from(p) };
}
