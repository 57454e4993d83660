import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { adam, minimize, projectLinfBall, type MethodName } from "./index.js";
import { extendedRosenbrock, MGH_PROBLEMS, mghObjective } from "./testing/mgh.js";

/** f = Σ a_i (x_i − b_i)² / 2, a convex quadratic with minimum 0 at b. */
const A = [1, 3, 0.5];
const B = [1, -2, 0.25];
function quadratic(x: Float64Array, g: Float64Array): number {
  let f = 0;
  for (let i = 0; i < 3; i++) {
    const d = x[i]! - B[i]!;
    f += 0.5 * A[i]! * d * d;
    g[i] = A[i]! * d;
  }
  return f;
}

describe("minimize: the contract's entry point", () => {
  it("defaults to L-BFGS and returns the contract's fields", () => {
    const r = minimize(quadratic, [0, 0, 0]);
    expect(r.method).toBe("lbfgs");
    expect(r.status).toBe("gradient_tolerance");
    expect(r.converged).toBe(true);
    expect(r.x).toBeInstanceOf(Float64Array);
    for (let i = 0; i < 3; i++) expect(r.x[i]).toBeCloseTo(B[i]!, 4);
    expect(r.f).toBeLessThan(1e-10);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.evaluations).toBeGreaterThanOrEqual(r.iterations);
    expect(r.gradNorm).toBeLessThanOrEqual(1e-5);
  });

  it.each<MethodName>(["lbfgs", "lbfgsb", "gd"])(
    "maximize with %s reports the un-negated value",
    (method) => {
      // maximise 5 − (x − 3)² − 2 (y + 1)²: maximum 5 at (3, −1)
      const r = minimize(
        (x, g) => {
          g[0] = -2 * (x[0]! - 3);
          g[1] = -4 * (x[1]! + 1);
          return 5 - (x[0]! - 3) ** 2 - 2 * (x[1]! + 1) ** 2;
        },
        [0, 0],
        { method, maximize: true },
      );
      expect(r.converged).toBe(true);
      expect(r.f).toBeCloseTo(5, 9);
      expect(r.x[0]).toBeCloseTo(3, 5);
      expect(r.x[1]).toBeCloseTo(-1, 5);
      expect(r.gradient![0]).toBeCloseTo(0, 4); // the user's gradient, not the negated one
    },
  );

  it.each<[MethodName, number]>([
    ["adam", 0.05],
    ["adamw", 0.05],
    ["sgd", 0.3],
    ["momentum", 0.05],
    ["nesterov", 0.05],
    ["rmsprop", 0.01],
  ])("first-order %s reaches the optimum of a convex quadratic", (method, learningRate) => {
    const r = minimize(quadratic, [0, 0, 0], {
      method,
      learningRate,
      maxIter: 5000,
      gtol: 1e-6,
      weightDecay: 0,
    });
    expect(r.status, r.message).toBe("gradient_tolerance");
    for (let i = 0; i < 3; i++) expect(r.x[i]).toBeCloseTo(B[i]!, 5);
  });

  it("accepts any Transform and projects first-order steps onto bounds and a ball", () => {
    const center = Float64Array.from([0.5, 0.5, 0.5]);
    const r = minimize(quadratic, center, {
      method: "sign",
      learningRate: 0.01,
      maximize: false,
      bounds: { lower: 0, upper: 1 },
      project: (x) => projectLinfBall(x, center, 0.2, x),
      maxIter: 200,
    });
    // the box ∩ ball is [0.3, 0.7]³; the minimiser of the quadratic over it is clamp(b) = (0.7, 0.3, 0.3)
    expect(r.x[0]).toBeCloseTo(0.7, 12);
    expect(r.x[1]).toBeCloseTo(0.3, 12);
    expect(Math.abs(r.x[2]! - 0.3)).toBeLessThan(0.011); // sign steps oscillate within one step of 0.25 clipped
    const t = minimize(quadratic, [0, 0, 0], { method: adam(0.05), maxIter: 3000, gtol: 1e-6 });
    expect(t.method).toBe("transform");
    expect(t.converged).toBe(true);
  });

  it("projected gradient descent with Armijo handles bounds", () => {
    const r = minimize(extendedRosenbrock, [-1.2, 1], {
      method: "gd",
      bounds: { upper: [0.5, 2] },
      maxIter: 20000,
    });
    expect(r.converged, r.message).toBe(true);
    expect(r.x[0]).toBe(0.5);
    expect(r.f).toBeCloseTo(0.25, 8);
  });

  it("ftol is opt-in: off by default, and when on it stops Wood early (SciPy's trap)", () => {
    const wood = MGH_PROBLEMS.find((p) => p.name.startsWith("Wood"))!;
    const full = minimize(mghObjective(wood), wood.x0);
    expect(full.status).toBe("gradient_tolerance");
    const early = minimize(mghObjective(wood), wood.x0, { ftol: 1e-2 });
    expect(early.status).toBe("function_tolerance");
    expect(early.iterations).toBeLessThan(full.iterations);
    expect(early.f).toBeGreaterThan(full.f);
  });

  it("maxIter, maxEval and the callback stop with their statuses", () => {
    expect(minimize(extendedRosenbrock, [-1.2, 1], { maxIter: 3 })).toMatchObject({
      status: "max_iterations",
      converged: false,
      iterations: 3,
    });
    const e = minimize(extendedRosenbrock, [-1.2, 1], { maxEval: 10 });
    expect(e.status).toBe("max_evaluations");
    expect(e.evaluations).toBeLessThanOrEqual(10);
    const seen: number[] = [];
    const c = minimize(extendedRosenbrock, [-1.2, 1], {
      callback: ({ iteration }) => {
        seen.push(iteration);
        return iteration === 4;
      },
    });
    expect(c.status).toBe("callback_stop");
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it.each<MethodName>(["lbfgs", "lbfgsb", "gd", "adam"])(
    "an AbortSignal stops %s with status aborted",
    (method) => {
      const ac = new AbortController();
      let calls = 0;
      const r = minimize(
        (x, g) => {
          if (++calls === 6) ac.abort();
          return extendedRosenbrock(x, g);
        },
        [-1.2, 1],
        { method, signal: ac.signal },
      );
      expect(r.status).toBe("aborted");
      expect(r.converged).toBe(false);
      expect(Number.isFinite(r.f)).toBe(true);
    },
  );
});

describe("bad input and failing objectives", () => {
  it("rejects a non-finite or empty x0, naming the component", () => {
    expect(() => minimize(quadratic, [0, NaN, 0])).toThrow(GradoptError);
    expect(() => minimize(quadratic, [0, NaN, 0])).toThrow(/x0\[1\] is NaN/);
    expect(() => minimize(quadratic, [Infinity, 0, 0])).toThrow(/x0\[0\] is Infinity/);
    expect(() => minimize(quadratic, [])).toThrow(/x0 is empty/);
    expect(() => minimize(quadratic, [0, 0, 0], { method: "newton" as MethodName })).toThrow(
      /unknown method "newton"/,
    );
  });

  it("rejects an objective that returns no number, or a gradient of the wrong length", () => {
    expect(() => minimize((() => undefined) as unknown as typeof quadratic, [1])).toThrow(/missing return/);
    expect(() => minimize((x) => [x[0]! ** 2, [1, 2]] as const, [1])).toThrow(
      /gradient has length 2, expected 1/,
    );
    const ok = minimize((x) => [(x[0]! - 2) ** 2, [2 * (x[0]! - 2)]] as const, [0]);
    expect(ok.x[0]).toBeCloseTo(2, 8);
  });

  it.each<MethodName>(["lbfgs", "lbfgsb", "gd", "adam"])(
    "%s: NaN or throwing at x0 is a status, never converged",
    (method) => {
      const nan = minimize(() => NaN, [1, 2], { method });
      expect(nan).toMatchObject({ status: "non_finite", converged: false });
      expect(nan.message).toMatch(/at x0, the objective returned NaN/);
      const thrower = minimize(
        () => {
          throw new Error("solver blew up");
        },
        [1, 2],
        { method },
      );
      expect(thrower).toMatchObject({ status: "objective_error", converged: false });
      expect(thrower.message).toMatch(/solver blew up/);
      const nanGrad = minimize(
        (_x, g) => {
          g[0] = NaN;
          return 1;
        },
        [1, 2],
        { method },
      );
      expect(nanGrad).toMatchObject({ status: "non_finite", converged: false });
    },
  );

  it.each<MethodName>(["lbfgs", "lbfgsb", "gd"])(
    "%s: trial points where fg throws or returns NaN are infinitely bad, and the search backs off",
    (method) => {
      // log(1 + (x − 1.9)²): flat far away, so quasi-Newton steps overshoot into x > 2, where "the solver fails"
      let failures = 0;
      const fg = (x: Float64Array, g: Float64Array) => {
        if (x[0]! > 2) {
          failures++;
          if (failures % 2) throw new Error("step size underflow");
          return NaN;
        }
        const d = x[0]! - 1.9;
        g[0] = (2 * d) / (1 + d * d);
        return Math.log1p(d * d);
      };
      const r = minimize(fg, [-5], { method, maxIter: 2000 });
      expect(r.converged, r.message).toBe(true);
      expect(r.x[0]).toBeCloseTo(1.9, 5);
      expect(failures).toBeGreaterThan(0);
    },
  );

  it("adam halves a step that lands where the objective fails, and still converges", () => {
    let failures = 0;
    const r = minimize(
      (x, g) => {
        if (x[0]! > 2) {
          failures++;
          throw new Error("solver failed");
        }
        g[0] = 2 * (x[0]! - 1.99);
        return (x[0]! - 1.99) ** 2;
      },
      [0],
      { method: "adam", learningRate: 0.1, maxIter: 3000, gtol: 1e-6 },
    );
    expect(failures).toBeGreaterThan(0);
    expect(r.status, r.message).toBe("gradient_tolerance");
    expect(r.x[0]).toBeCloseTo(1.99, 5);
  });

  it("maximize with bounds finds the corner maximum of Rosenbrock and reports it un-negated", () => {
    const r = minimize(extendedRosenbrock, [-1.2, 1], {
      bounds: { lower: [-2, -2], upper: [0.5, 2] },
      maximize: true,
    });
    expect(r.method).toBe("lbfgsb");
    expect(Array.from(r.x)).toEqual([-2, -2]);
    expect(r.f).toBe(3609); // (1 + 2)² + 100 (−2 − 4)²
  });

  it("an objective that fails everywhere beyond the start returns the best point with a clear status", () => {
    let calls = 0;
    const r = minimize(
      (x, g) => {
        if (calls++ > 0) throw new Error("integration failed at t = 3.2");
        return extendedRosenbrock(x, g);
      },
      [-1.2, 1],
    );
    expect(r.status).toBe("line_search_failed");
    expect(r.converged).toBe(false);
    expect(Array.from(r.x)).toEqual([-1.2, 1]);
    expect(r.f).toBeCloseTo(24.2, 10);
    expect(r.message).toMatch(/integration failed at t = 3.2/);
  });

  it("a wrong gradient ends as line_search_failed (not NaN, not converged)", () => {
    const r = minimize(
      (x, g) => {
        const f = extendedRosenbrock(x, g);
        g[0] = -g[0]!; // wrong sign
        return f;
      },
      [-1.2, 1],
    );
    expect(r.converged).toBe(false);
    expect(Number.isFinite(r.f)).toBe(true);
    expect(r.f).toBeLessThanOrEqual(24.2);
  });
});

describe("option validation", () => {
  it("names the bad option", () => {
    expect(() => minimize(quadratic, [0, 0, 0], { gtol: -1 })).toThrow(
      /options.gtol must be a finite number >= 0/,
    );
    expect(() => minimize(quadratic, [0, 0, 0], { maxIter: 2.5 })).toThrow(
      /options.maxIter must be an integer/,
    );
    expect(() => minimize(quadratic, [0, 0, 0], { memory: 0 })).toThrow(
      /options.memory must be an integer >= 1/,
    );
    expect(() => minimize(quadratic, [0, 0, 0], { method: "lbfgs", project: (x) => x })).toThrow(
      /'project' is for/,
    );
  });
});
