import { describe, expect, it } from "vitest";
import { integrateLinearDDE, propagateBreakpoints } from "./integrator.js";

describe("integrateLinearDDE (DOPRI5 with dense output, breaking points, state jumps)", () => {
  it("solves x' = -x with dense output accurate between steps", () => {
    const tr = integrateLinearDDE({
      N: 1,
      t0: 0,
      t1: 3,
      x0: Float64Array.of(1),
      m: 0,
      lag: () => 0,
      constantLags: true,
      history: (_t, o) => o.fill(1),
      rhs: (_t, x, _z, _s, o) => {
        o[0] = -x[0]!;
      },
      breakpoints: [],
      rtol: 1e-10,
      atol: 1e-12,
    });
    expect(tr.ok).toBe(true);
    const o = new Float64Array(1);
    for (const t of [0.123, 1.5, 2.71, 3])
      expect(Math.abs(tr.eval(t, o)[0]! - Math.exp(-t))).toBeLessThan(1e-10);
  });

  it("solves y' = -y(t-1), phi = 1: y(10) = 10493/518400 (exact method of steps)", () => {
    const tr = integrateLinearDDE({
      N: 1,
      t0: 0,
      t1: 10,
      x0: Float64Array.of(1),
      m: 1,
      lag: () => 1,
      constantLags: true,
      history: (_t, o) => o.fill(1),
      rhs: (_t, _x, z, _s, o) => {
        o[0] = -z[0]!;
      },
      breakpoints: [],
      rtol: 1e-10,
      atol: 1e-12,
    });
    const o = new Float64Array(1);
    expect(Math.abs(tr.eval(10, o)[0]! - 10493 / 518400)).toBeLessThan(1e-10);
    expect(Math.abs(tr.eval(5, o)[0]! - 19 / 120)).toBeLessThan(1e-10);
  });

  it("applies state jumps and reads lagged values on the correct side of them", () => {
    // u' = -u(t-1), phi = 0, u(0) = 1 given as a jump at t0 via x0; a further jump +1 at t = 2.
    const tr = integrateLinearDDE({
      N: 1,
      t0: 0,
      t1: 4,
      x0: Float64Array.of(1),
      m: 1,
      lag: () => 1,
      constantLags: true,
      history: (_t, o) => o.fill(0),
      rhs: (_t, _x, z, _s, o) => {
        o[0] = -z[0]!;
      },
      breakpoints: [],
      stateJumps: [
        {
          t: 2,
          apply: (x) => {
            x[0] = x[0]! + 1;
          },
        },
      ],
      rtol: 1e-11,
      atol: 1e-13,
    });
    const o = new Float64Array(1);
    // Without the jump u(2) = 1 - 1 = 0 ... u on [1,2] = 1 - (t-1), u(2) = 0; jump -> 1. On [2,3]: u' = -(1-(t-2)) => u = 1 - (t-2) + (t-2)^2/2
    expect(tr.eval(2, o, "left")[0]!).toBeCloseTo(0, 10);
    expect(tr.eval(2, o, "right")[0]!).toBeCloseTo(1, 10);
    expect(tr.eval(3, o)[0]!).toBeCloseTo(0.5, 10);
  });

  it("propagates breaking points along lags", () => {
    expect(propagateBreakpoints([0], [1 / 3, 1 / 5], 0, 1, 5).length).toBeGreaterThanOrEqual(8);
  });

  it("keeps a given breaking point over a propagated copy a rounding away (0.1 + 0.7 = 0.7999999999999999 vs 0.8)", () => {
    const stops = propagateBreakpoints([0.1, 0.8], [0.7], 0, 2, 2);
    expect(stops).toContain(0.8);
    expect(stops).not.toContain(0.1 + 0.7);
  });

  it("integrates quadrature states on the other states' steps (x' = -x, q' = x^2: q(2) = (1 - e^-4) / 2)", () => {
    const tr = integrateLinearDDE({
      N: 2,
      t0: 0,
      t1: 2,
      x0: Float64Array.of(1, 0),
      m: 1,
      lag: () => 0.5,
      constantLags: true,
      history: (_t, o) => o.fill(1),
      rhs: (_t, x, xlag, _s, o, quad) => {
        // A quadrature never feeds back: the lagged buffer holds only the D = 1 dynamic state.
        expect(xlag).toHaveLength(1);
        o[0] = -x[0]!;
        o[1] = quad ? x[0]! * x[0]! : NaN;
      },
      breakpoints: [],
      quadratures: 1,
      rtol: 1e-11,
      atol: 1e-13,
    });
    expect(tr.ok).toBe(true);
    expect(tr.final[1]!).toBeCloseTo((1 - Math.exp(-4)) / 2, 10);
    const o = Float64Array.of(NaN, 7);
    tr.eval(1, o);
    expect(o[0]!).toBeCloseTo(Math.exp(-1), 10);
    expect(o[1]).toBe(7); // no dense output of quadratures
  });

  describe("errorWeights (norm-wise control, the adjoints)", () => {
    // x1' = -x1 + 0.1 x2 (scale 1000), x2' = -3 x2 + cos(t) (scale 1, crossing zero): exact by variation of constants.
    const exact = (t: number): [number, number] => {
      // x2 = a e^-3t + (3 cos t + sin t) / 10, x2(0) = 0
      const x2 = -0.3 * Math.exp(-3 * t) + (3 * Math.cos(t) + Math.sin(t)) / 10;
      // x1 = e^-t (1000 + 0.1 int_0^t e^s x2(s) ds)
      const I =
        -0.3 * ((1 - Math.exp(-2 * t)) / 2) +
        (3 * ((Math.exp(t) * (Math.cos(t) + Math.sin(t)) - 1) / 2) +
          (Math.exp(t) * (Math.sin(t) - Math.cos(t)) + 1) / 2) /
          10;
      return [Math.exp(-t) * (1000 + 0.1 * I), x2];
    };
    const solveWith = (errorWeights?: Float64Array) =>
      integrateLinearDDE({
        N: 2,
        t0: 0,
        t1: 6,
        x0: Float64Array.of(1000, 0),
        m: 0,
        lag: () => 0,
        constantLags: true,
        history: (_t, o) => o.fill(0),
        rhs: (t, x, _z, _s, o) => {
          o[0] = -x[0]! + 0.1 * x[1]!;
          o[1] = -3 * x[1]! + Math.cos(t);
        },
        breakpoints: [],
        rtol: 1e-8,
        atol: 1e-12,
        errorWeights,
      });

    it("controls each state against the weighted largest one: fewer steps, errors within rtol of the scale", () => {
      const comp = solveWith();
      const norm = solveWith(Float64Array.of(1, 1));
      expect(comp.ok && norm.ok).toBe(true);
      expect(norm.steps).toBeLessThan(comp.steps);
      const o = new Float64Array(2);
      for (const t of [0.5, 2, 4.5, 6]) {
        const [a, b] = exact(t);
        norm.eval(t, o);
        const scale = Math.max(Math.abs(a), Math.abs(b));
        expect(Math.abs(o[0]! - a)).toBeLessThan(1e-7 * scale);
        expect(Math.abs(o[1]! - b)).toBeLessThan(1e-7 * scale);
      }
      // Weighting x2 like a 1000x larger quantity makes its own accuracy count again.
      const heavy = solveWith(Float64Array.of(1, 1000));
      expect(heavy.steps).toBeGreaterThan(norm.steps);
    });

    // x' = -x with quadratures q1' = a sin(40 t) (variation about 1.9 a) and q2' = b x (variation b (1 - e^-3)).
    const withQuadratures = (a: number, b: number, sine = true) =>
      integrateLinearDDE({
        N: sine ? 3 : 2,
        t0: 0,
        t1: 3,
        x0: new Float64Array(sine ? 3 : 2).fill(0).fill(1, 0, 1),
        m: 0,
        lag: () => 0,
        constantLags: true,
        history: (_t, o) => o.fill(0),
        rhs: (t, x, _z, _s, o) => {
          o[0] = -x[0]!;
          o[1] = sine ? a * Math.sin(40 * t) : b * x[0]!;
          if (sine) o[2] = b * x[0]!;
        },
        breakpoints: [],
        quadratures: sine ? 2 : 1,
        rtol: 1e-9,
        atol: 1e-12,
        errorWeights: Float64Array.of(1),
      });
    const q1 = (a: number) => (a * (1 - Math.cos(120))) / 40;

    it("keeps a quadrature the states do not resolve accurate (q' = sin 40t next to x' = -x), also through zero crossings", () => {
      const tr = withQuadratures(1, 10);
      expect(tr.ok).toBe(true);
      // The partial integral (1 - cos 40t) / 40 touches zero every 2 pi / 40: its variation (1.9, a fifth of the other
      // quadrature's) sets its error scale, not its value.
      expect(Math.abs(tr.final[1]! - q1(1))).toBeLessThan(1e-9);
      expect(Math.abs(tr.final[2]! - 10 * (1 - Math.exp(-3)))).toBeLessThan(1e-8);
    });

    it("holds a quadrature far below the largest to rtol / 10 of the largest, without extra steps", () => {
      const alone = withQuadratures(0, 100, false);
      const tiny = withQuadratures(1e-4, 100);
      expect(tiny.ok && alone.ok).toBe(true);
      expect(tiny.steps).toBeLessThanOrEqual(alone.steps + 1);
      expect(Math.abs(tiny.final[1]! - q1(1e-4))).toBeLessThan(1e-9 * 0.1 * 95);
      // Within a factor 10 of the largest it keeps its own control and sets the steps (the test above).
      expect(withQuadratures(1, 10).steps).toBeGreaterThan(3 * alone.steps);
    });
  });

  describe("laggedOutputs (lagged Jacobian products, the constant-lag adjoint)", () => {
    it("a quartic output is reproduced exactly: x' = a(t - 1), a(t) = t^4 - 3 t^2 + 1", () => {
      const a = (t: number) => t ** 4 - 3 * t ** 2 + 1;
      const P = (t: number) => t ** 5 / 5 - t ** 3 + t; // P' = a
      let interior = 0;
      const tr = integrateLinearDDE({
        N: 1,
        t0: 0,
        t1: 3.5,
        x0: Float64Array.of(0),
        m: 1,
        lag: () => 1,
        constantLags: true,
        history: (_t, o) => o.fill(0),
        rhs: (t, _x, alag, _s, o, _q, _d, outputs) => {
          o[0] = alag[0]!;
          if (outputs) outputs[0] = a(t);
        },
        breakpoints: [],
        rtol: 1e-6,
        atol: 1e-8,
        laggedOutputs: {
          size: 1,
          eval: (t, _x, out) => {
            interior++;
            out[0] = a(t);
          },
          history: (t, _j, out) => void (out[0] = a(t)),
        },
      });
      expect(tr.ok).toBe(true);
      expect(interior).toBe(3 * tr.steps);
      expect(tr.outputEvals).toBe(interior);
      // DOPRI5 integrates x' = quartic exactly at the step points (its dense output between them is only quartic).
      const o = new Float64Array(1);
      for (const t of tr.times) expect(tr.eval(t, o)[0]!).toBeCloseTo(P(t - 1) - P(-1), 11);
    });

    it("matches the state-lag form: x' = -c(t - 1) x(t - 1), c = 1 + sin(3t) / 2, as the output a = c x", () => {
      const c = (t: number) => 1 + 0.5 * Math.sin(3 * t);
      const base = {
        N: 2,
        t0: 0,
        t1: 8,
        x0: Float64Array.of(1, 0.5),
        m: 1,
        lag: () => 1,
        constantLags: true,
        breakpoints: [],
        rtol: 1e-10,
        atol: 1e-12,
      };
      // x2' = -x1 couples a second state that the outputs do not see.
      const lagged = integrateLinearDDE({
        ...base,
        history: (_t, o) => o.fill(1),
        rhs: (t, x, z, _s, o) => {
          o[0] = -c(t - 1) * z[0]!;
          o[1] = -x[0]!;
        },
      });
      const viaOutputs = integrateLinearDDE({
        ...base,
        history: () => {
          throw new Error("the outputs' history is used instead");
        },
        rhs: (t, x, alag, _s, o, _q, _d, outputs) => {
          o[0] = -alag[0]!;
          o[1] = -x[0]!;
          if (outputs) outputs[0] = c(t) * x[0]!;
        },
        laggedOutputs: {
          size: 1,
          eval: (t, x, out) => void (out[0] = c(t) * x[0]!),
          history: (t, _j, out) => void (out[0] = c(t)),
        },
      });
      expect(lagged.ok && viaOutputs.ok).toBe(true);
      const o1 = new Float64Array(2);
      const o2 = new Float64Array(2);
      for (const t of [1.5, 3, 5.25, 8]) {
        lagged.eval(t, o1);
        viaOutputs.eval(t, o2);
        expect(Math.abs(o1[0]! - o2[0]!)).toBeLessThan(1e-9);
        expect(Math.abs(o1[1]! - o2[1]!)).toBeLessThan(1e-9);
      }
    });
  });
});
