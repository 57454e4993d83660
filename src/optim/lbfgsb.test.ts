import { describe, expect, it } from "vitest";
import { lbfgsb, minimize, projectedGradientNorm } from "./index.js";
import { extendedRosenbrock, extendedRosenbrockStart } from "./testing/mgh.js";

/** Wood's function, f and exact gradient. */
function wood(x: Float64Array, g: Float64Array): number {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  g[0] = -400 * x1 * (x2 - x1 * x1) - 2 * (1 - x1);
  g[1] = 200 * (x2 - x1 * x1) + 20 * (x2 + x4 - 2) + 0.2 * (x2 - x4);
  g[2] = -360 * x3 * (x4 - x3 * x3) - 2 * (1 - x3);
  g[3] = 180 * (x4 - x3 * x3) + 20 * (x2 + x4 - 2) - 0.2 * (x2 - x4);
  return (
    100 * (x2 - x1 * x1) ** 2 +
    (1 - x1) ** 2 +
    90 * (x4 - x3 * x3) ** 2 +
    (1 - x3) ** 2 +
    10 * (x2 + x4 - 2) ** 2 +
    0.1 * (x2 - x4) ** 2
  );
}

/**
 * References computed on 2026-11-29 with Debian's SciPy 1.10.1 (Fortran L-BFGS-B 3.0):
 *   scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=b,
 *                           options=dict(gtol=1e-10, ftol=0, maxiter=10000))
 * with the same objective and analytic gradient; values are SciPy's r.fun, r.x (repr), r.nit, r.nfev.
 */
const CASES = [
  {
    name: "Rosenbrock, x1 <= 0.5 (excludes (1, 1))",
    fg: extendedRosenbrock,
    x0: [-1.2, 1],
    lower: [-2, -2],
    upper: [0.5, 2],
    scipy: { f: 0.25, x: [0.5, 0.25], nit: 20, nfev: 30 },
  },
  {
    name: "Rosenbrock, x2 >= 1.5",
    fg: extendedRosenbrock,
    x0: [-1.2, 2],
    lower: [-2, 1.5],
    upper: [2, 3],
    scipy: { f: 4.941229317989185, x: [-1.2210262421071016, 1.5], nit: 11, nfev: 15 },
  },
  {
    name: "Rosenbrock in [-1.5, 0.8] x [-0.5, 0.5]",
    fg: extendedRosenbrock,
    x0: [-1.2, 0.4],
    lower: [-1.5, -0.5],
    upper: [0.8, 0.5],
    scipy: { f: 0.08536051101672498, x: [0.7085595034414625, 0.5], nit: 10, nfev: 18 },
  },
  {
    name: "extended Rosenbrock n = 10 in [-0.5, 0.8]^10",
    fg: extendedRosenbrock,
    x0: [-0.4, 0.5, -0.4, 0.5, -0.4, 0.5, -0.4, 0.5, -0.4, 0.5],
    lower: new Array<number>(10).fill(-0.5),
    upper: new Array<number>(10).fill(0.8),
    scipy: { f: 0.2, x: [0.8, 0.64, 0.8, 0.64, 0.8, 0.64, 0.8, 0.64, 0.8, 0.64], nit: 19, nfev: 28 },
  },
  {
    name: "Wood in [-3, 0.9]^4",
    fg: wood,
    x0: [-3, -1, -3, -1],
    lower: [-3, -3, -3, -3],
    upper: [0.9, 0.9, 0.9, 0.9],
    scipy: { f: 1.2122947908083854, x: [0.9, 0.8413796576032225, 0.9, 0.8448585553419391], nit: 7, nfev: 9 },
  },
];

describe("L-BFGS-B on problems with active bounds", () => {
  it.each(CASES)("$name: reaches SciPy's constrained optimum and satisfies KKT", (c) => {
    const r = lbfgsb(c.fg, c.x0, { bounds: { lower: c.lower, upper: c.upper }, gtol: 1e-9 });
    expect(r.converged, r.message).toBe(true);
    expect(r.f).toBeCloseTo(c.scipy.f, 9);
    for (let i = 0; i < c.x0.length; i++) expect(r.x[i]).toBeCloseTo(c.scipy.x[i]!, 6);
    // feasibility, and KKT: the projected gradient vanishes; at active bounds the gradient points outwards
    const g = new Float64Array(c.x0.length);
    c.fg(r.x, g);
    const l = Float64Array.from(c.lower);
    const u = Float64Array.from(c.upper);
    expect(projectedGradientNorm(r.x, g, l, u)).toBeLessThan(1e-6); // ~1e-8 of the gradient scale at x0
    let active = 0;
    for (let i = 0; i < g.length; i++) {
      expect(r.x[i]).toBeGreaterThanOrEqual(l[i]!);
      expect(r.x[i]).toBeLessThanOrEqual(u[i]!);
      if (r.x[i] === u[i]) expect(g[i]).toBeLessThanOrEqual(0);
      if (r.x[i] === l[i]) expect(g[i]).toBeGreaterThanOrEqual(0);
      if (r.x[i] === u[i] || r.x[i] === l[i]) active++;
    }
    expect(active).toBeGreaterThan(0);
    // comparable effort: within a factor 2 of SciPy's iterations
    expect(r.iterations).toBeLessThanOrEqual(2 * c.scipy.nit);
  });

  it("never evaluates outside the box (steps are capped, not clipped afterwards)", () => {
    const lower = [-2, -2];
    const upper = [0.5, 2];
    let outside = 0;
    lbfgsb(
      (x, g) => {
        if (x[0]! < lower[0]! || x[0]! > upper[0]! || x[1]! < lower[1]! || x[1]! > upper[1]!) outside++;
        return extendedRosenbrock(x, g);
      },
      [5, 5], // infeasible start: projected first
      { bounds: { lower, upper } },
    );
    expect(outside).toBe(0);
  });

  it("with no finite bounds it is L-BFGS (same path on extended Rosenbrock n = 1e4)", () => {
    const r = lbfgsb(extendedRosenbrock, extendedRosenbrockStart(10000), { bounds: { lower: -Infinity } });
    expect([r.status, r.iterations, r.evaluations]).toEqual(["gradient_tolerance", 36, 49]);
  });

  it("minimize with method lbfgs and bounds switches to lbfgsb", () => {
    const r = minimize(extendedRosenbrock, [-1.2, 1], {
      method: "lbfgs",
      bounds: { upper: [0.5, Infinity] },
    });
    expect(r.method).toBe("lbfgsb");
    expect(r.x[0]).toBe(0.5);
    expect(r.f).toBeCloseTo(0.25, 10);
  });

  it("a large bounded problem: extended Rosenbrock n = 1e4 in [-0.5, 0.8]", () => {
    const n = 10000;
    const r = lbfgsb(extendedRosenbrock, extendedRosenbrockStart(n), { bounds: { lower: -0.5, upper: 0.8 } });
    expect(r.converged, r.message).toBe(true);
    expect(r.f).toBeCloseTo((n / 2) * 0.04, 6); // each pair at (0.8, 0.64): (1 − 0.8)² = 0.04
  });

  /**
   * Many bounds active: extended Rosenbrock in lower_i = −0.5 − 0.5 sin(i), upper_i = 0.3 + 0.6 |cos(1.7 i)| from the
   * standard start. SciPy 1.10.1 (Debian) reference, computed with the same bounds and gtol=1e-10, ftol=0:
   *   n = 100:  fun 8.31027340791922,  nit 79, nfev 88,  50 components at a bound
   *   n = 1000: fun 83.52459152515513, nit 97, nfev 101, 501 components at a bound
   */
  it.each([
    [100, 8.31027340791922, 79, 50],
    [1000, 83.52459152515513, 97, 501],
  ])("many active bounds, n = %i: SciPy's optimum and active set", (n, fScipy, nitScipy, activeScipy) => {
    const lower = Array.from({ length: n }, (_, i) => -0.5 - 0.5 * Math.sin(i));
    const upper = Array.from({ length: n }, (_, i) => 0.3 + 0.6 * Math.abs(Math.cos(1.7 * i)));
    const r = lbfgsb(extendedRosenbrock, extendedRosenbrockStart(n), {
      bounds: { lower, upper },
      gtol: 1e-10,
    });
    expect(r.converged, r.message).toBe(true);
    expect(Math.abs(r.f - fScipy) / fScipy).toBeLessThan(1e-12);
    let active = 0;
    for (let i = 0; i < n; i++) if (r.x[i]! <= lower[i]! || r.x[i]! >= upper[i]!) active++;
    expect(active).toBe(activeScipy);
    expect(r.gradNorm).toBeLessThan(1e-5);
    expect(Math.abs(r.iterations - nitScipy)).toBeLessThanOrEqual(0.2 * nitScipy);
  });

  it("random ill-conditioned convex QPs with bounds: KKT holds at the answer", () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 25; trial++) {
      const n = 5 + Math.floor(rand() * 30);
      const Bm = Array.from({ length: n * n }, () => rand() - 0.5);
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = i === j ? 10 ** (-3 * rand()) : 0;
          for (let k = 0; k < n; k++) s += Bm[k * n + i]! * Bm[k * n + j]!;
          A[i * n + j] = s;
        }
      const b = Array.from({ length: n }, () => 4 * (rand() - 0.5));
      const l = Float64Array.from({ length: n }, () => (rand() < 0.2 ? -Infinity : -rand()));
      const u = Float64Array.from({ length: n }, () => (rand() < 0.2 ? Infinity : rand()));
      const fg = (x: Float64Array, g: Float64Array) => {
        let f = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
          g[i] = s - b[i]!;
          f += 0.5 * x[i]! * s - b[i]! * x[i]!;
        }
        return f;
      };
      const x0 = Array.from({ length: n }, () => 2 * (rand() - 0.5));
      const r = lbfgsb(fg, x0, { bounds: { lower: l, upper: u }, gtol: 1e-9, maxIter: 5000 });
      expect(r.converged, `trial ${trial}: ${r.message}`).toBe(true);
      const g = new Float64Array(n);
      fg(r.x, g);
      expect(projectedGradientNorm(r.x, g, l, u)).toBeLessThan(1e-6);
    }
  });

  it("rejects inconsistent bounds with a clear error", () => {
    expect(() => lbfgsb(extendedRosenbrock, [0, 0], { bounds: { lower: [1, 0], upper: [0, 1] } })).toThrow(
      /lower bound 1 > upper bound 0 at index 0/,
    );
    expect(() => lbfgsb(extendedRosenbrock, [0, 0], { bounds: { lower: [1] } })).toThrow(
      /length 1, expected 2/,
    );
  });
});
