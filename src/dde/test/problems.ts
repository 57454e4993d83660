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
