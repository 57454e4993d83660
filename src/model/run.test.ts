import { describe, expect, it } from "vitest";
import { loadModel } from "./compile.js";
import { fitModelFile, modelGradient, solveModel } from "./run.js";

// A jump at t0 (initial != history), a parametrised expression history, and every kind of target.
const TEXT = `
name: targets
states: [y, v]
params: {r: 1.1, tau: 0.7, a: 0.3}
equations:
  y: r * y * (1 - y(t - tau)) + 0.2 * v
  v: -v + a * y(t - tau)^2
history: {y: "0.5 + a * t", v: 0.2}
initial: {y: 0.8}
tspan: [0, 4]
cost:
  - {integral: "(y - 1)^2 + v^2"}
  - {terminal: "y * v"}
`;

describe("convenience wrappers", () => {
  const model = loadModel({ text: TEXT, file: "targets.yaml" });
  const cost = (name: string, value: number) =>
    solveModel(model.withParams({ [name]: value }), { rtol: 1e-11, atol: 1e-13 }).cost!;

  it("modelGradient matches central differences of solveModel's cost for parameters, a delay, history and initial values", () => {
    const wrt = ["r", "tau", "a", "history.v", "initial.y"];
    expect(model.paramNames).toEqual(["r", "tau", "a", "history.v", "initial.y"]);
    for (const method of ["forward", "adjoint"] as const) {
      const g = modelGradient(model, { wrt, gradientMethod: method, rtol: 1e-10 });
      for (const name of wrt) {
        const x = model.params()[name]!;
        const h = 1e-4 * Math.max(1, Math.abs(x));
        const fd = (cost(name, x + h) - cost(name, x - h)) / (2 * h);
        expect(g.gradient[name], `${method} d/d${name}`).toBeCloseTo(fd, 5);
      }
    }
  });

  it("fitModelFile moves the cost down and returns the fitted model", () => {
    const r = fitModelFile(model, { wrt: ["a", "initial.y"], maxIter: 20 });
    expect(r.cost).toBeLessThan(r.initialCost);
    expect(r.fitted.params().a).toBe(r.params.a);
    expect(solveModel(r.fitted, { rtol: 1e-8 }).cost).toBeCloseTo(r.cost, 5);
  });
});
