/** Reference problems shared by the solver tests (exact or published solutions noted per problem). */
import type { DDEProblem, Delay } from "../types.js";

const constant = (tau: number): Delay => ({ lag: () => tau, kind: "constant" });
const constHistory = (v: number[]) => ({
  value: (_t: number, _p: Float64Array, out: Float64Array) => out.set(v),
  constant: true,
});

/** y' = -y(t-1), phi = 1 on [0, tEnd]: y(2) = -1/2, y(3) = -1/6, y(5) = 19/120, y(10) = 10493/518400. */
export function lagOne(tEnd = 10): DDEProblem {
  return {
    n: 1,
    f: (_t, _y, z, _p, dy) => {
      dy[0] = -z[0]!;
    },
    delays: [constant(1)],
    history: constHistory([1]),
    tspan: [0, tEnd],
    p: new Float64Array(0),
  };
}

/** u' = -sum_j u(t - tau_j), phi = 0, u(0) = 1 (a jump at t0). */
export function jumpAtT0(lags: number[], tEnd: number): DDEProblem {
  return {
    n: 1,
    f: (_t, _y, z, _p, dy) => {
      let s = 0;
      for (let j = 0; j < lags.length; j++) s -= z[j]!;
      dy[0] = s;
    },
    delays: lags.map(constant),
    history: constHistory([0]),
    initial: { value: (_p, out) => out.fill(1) },
    tspan: [0, tEnd],
    p: new Float64Array(0),
  };
}

const P0 = new Float64Array(0);

/**
 * DDETST D1 (state-dependent, vanishing lag at t = 1): y1' = y2, y2' = -y2(exp(1 - y2)) y2^2 exp(1 - y2),
 * phi = (log t, 1/t) on [0.1, 5]. Exact y = (log t, 1/t): substituting, y2(e^(1-1/t)) = e^(1/t-1), so
 * y2' = -e^(1/t-1) t^-2 e^(1-1/t) = -1/t^2.
 */
export function ddetstD1(): DDEProblem {
  return {
    n: 2,
    f: (_t, y, z, _p, dy) => {
      const e = Math.exp(1 - y[1]!);
      dy[0] = y[1]!;
      dy[1] = -z[1]! * y[1]! ** 2 * e;
    },
    delays: [{ lag: (t, y) => t - Math.exp(1 - y[1]!), kind: "state" }],
    history: {
      value: (t, _p, out) => {
        out[0] = Math.log(t);
        out[1] = 1 / t;
      },
    },
    tspan: [0.1, 5],
    p: P0,
  };
}

/**
 * DDETST B2 (discontinuous right-hand side, vanishing lag t/2): u' = -1 - u + 2 [u(t/2) < 0], u = 1 for t <= 0,
 * on [0, 2 log 66]. Piecewise exact: u = 2e^-t - 1 up to 2 log 2, 1 - 6e^-t up to 2 log 6, -1 + 66e^-t after, so
 * u(2 log 66) = -65/66 (each piece checked by substitution).
 */
export function ddetstB2(): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, _p, dy) => {
      dy[0] = -1 - y[0]! + (z[0]! < 0 ? 2 : 0);
    },
    delays: [{ lag: (t) => t / 2, kind: "time" }],
    history: constHistory([1]),
    tspan: [0, 2 * Math.log(66)],
    p: P0,
  };
}

/**
 * DDETST H2 (neutral, state-dependent, lag t cos^2 t vanishing at 0 and pi/2), L3 = 0.1:
 * u' = cos t (1 + u(t u^2)) + L3 u u'(t u^2) + (1 - L3) sin t cos(t sin^2 t) - sin(t + t sin^2 t), u = sin t on
 * [0, pi]. Substituting u = sin t, a = t sin^2 t: cos t + cos t sin a + sin t cos a - sin(t + a) = cos t.
 */
export function ddetstH2(): DDEProblem {
  const L3 = 0.1;
  const lag = (t: number, y: Float64Array) => t - t * y[0]! ** 2;
  return {
    n: 1,
    f: (t, y, z, _p, dy, zd) => {
      const s2 = Math.sin(t) ** 2;
      dy[0] =
        Math.cos(t) * (1 + z[0]!) +
        L3 * y[0]! * zd[1]! +
        (1 - L3) * Math.sin(t) * Math.cos(t * s2) -
        Math.sin(t + t * s2);
    },
    delays: [
      { lag, kind: "state" },
      { lag, kind: "state", neutral: true },
    ],
    history: {
      value: (t, _p, out) => {
        out[0] = Math.sin(t);
      },
      derivative: (t, _p, out) => {
        out[0] = Math.cos(t);
      },
    },
    tspan: [0, Math.PI],
    p: P0,
  };
}

/** A nonlinear scalar test for convergence orders: y' = -2 y(t-1) sin y + cos t, phi = cos t, on [0, 5]. */
export function nonlinearScalar(): DDEProblem {
  return {
    n: 1,
    f: (t, y, z, _p, dy) => {
      dy[0] = -2 * z[0]! * Math.sin(y[0]!) + Math.cos(t);
    },
    delays: [constant(1)],
    history: { value: (t, _p, out) => (out[0] = Math.cos(t)) },
    tspan: [0, 5],
    p: P0,
  };
}

/** Mackey-Glass y' = beta z/(1 + z^n) - gamma y, tau = 17, phi = 0.5 (beta 0.2, gamma 0.1, n 10), p = [beta, gamma, tau]. */
export function mackeyGlass(tEnd = 500): DDEProblem {
  return {
    n: 1,
    f: (_t, y, z, p, dy) => {
      const zz = z[0]!;
      dy[0] = (p[0]! * zz) / (1 + zz ** 10) - p[1]! * y[0]!;
    },
    delays: [{ lag: (_t, _y, p) => p[2]!, kind: "constant" }],
    history: constHistory([0.5]),
    tspan: [0, tEnd],
    p: Float64Array.from([0.2, 0.1, 17]),
  };
}

/**
 * Hairer, Norsett, Wanner vol. I (Sec. II.17) infectious disease model: y1' = -y1 y2(t-1) + y2(t-10),
 * y2' = y1 y2(t-1) - y2, y3' = y2 - y2(t-10); phi = (5, 0.1, 1) on [0, 40].
 */
export function hairerInfection(): DDEProblem {
  return {
    n: 3,
    f: (_t, y, z, _p, dy) => {
      const y2lag1 = z[1]!;
      const y2lag10 = z[3 + 1]!;
      dy[0] = -y[0]! * y2lag1 + y2lag10;
      dy[1] = y[0]! * y2lag1 - y[1]!;
      dy[2] = y[1]! - y2lag10;
    },
    delays: [constant(1), constant(10)],
    history: constHistory([5, 0.1, 1]),
    tspan: [0, 40],
    p: P0,
  };
}

/**
 * Okamoto & Hayashi enzyme kinetics (Hairer-Norsett-Wanner vol. I Sec. II.17; DiffEqProblemLibrary's history):
 * z = 1 / (1 + 0.0005 y4(t-4)^3), y1' = I - z y1, y2' = z y1 - y2, y3' = y2 - y3, y4' = y3 - 0.5 y4, I = 10.5,
 * phi = (60, 10, 10, 20) on [0, 160].
 */
export function enzymeKinetics(): DDEProblem {
  return {
    n: 4,
    f: (_t, y, z, _p, dy) => {
      const w = z[3]!;
      const zz = 1 / (1 + 0.0005 * w * w * w);
      dy[0] = 10.5 - zz * y[0]!;
      dy[1] = zz * y[0]! - y[1]!;
      dy[2] = y[1]! - y[2]!;
      dy[3] = y[2]! - 0.5 * y[3]!;
    },
    delays: [constant(4)],
    history: constHistory([60, 10, 10, 20]),
    tspan: [0, 160],
    p: P0,
  };
}

/**
 * dde23 tutorial exam5 (Oberle & Pesch 1981, Example 4.4; Hoppensteadt-Waltman infection model), r = 0.5,
 * c = 1/sqrt(2): the equation switches at the declared jumps 1 - c, 1, 2 - c; phi = 10 on [0, 10].
 * Published reference y(10) = 0.06302089869.
 */
export function hoppensteadtWaltman(): DDEProblem {
  const r = 0.5;
  const c = Math.SQRT1_2;
  const emu = Math.exp(r / 10);
  return {
    n: 1,
    f: (t, y, z, _p, dy) => {
      const u = y[0]!;
      if (t <= 1 - c) dy[0] = -r * u * 0.4 * (1 - t);
      else if (t <= 1) dy[0] = -r * u * (0.4 * (1 - t) + 10 - emu * u);
      else if (t <= 2 - c) dy[0] = -r * u * (10 - emu * u);
      else dy[0] = -r * emu * u * (z[0]! - u);
    },
    delays: [constant(1)],
    history: constHistory([10]),
    jumps: [1 - c, 1, 2 - c],
    tspan: [0, 10],
    p: P0,
  };
}
