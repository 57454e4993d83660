import { describe, expect, it } from "vitest";
import { costGradient } from "../dde/gradient/index.js";
import { solve } from "../dde/solve.js";
import { GradoptError } from "../errors.js";
import { loadModel, type CompiledModel } from "./compile.js";

const TEXT = `
name: mixed
states: [x, y]
params: {a: 1.3, b: 0.7, tau: 0.4}
equations:
  x: -a * x(t - tau) * y + sin(y(t - tau)) - b * d(y)(t - tau)
  y: x * y(t - (0.1 + 0.05 * x^2)) - y / (1 + t) + b * x(t/2)
history: {x: "cos(b * t)", y: 0.5}
initial: {x: 2}
tspan: [0, 3]
cost:
  - {sum: "x^2 * b", at: {from: 0, to: 3, step: 0.5}}
  - {integral: "(y - a)^2", over: [1, 2]}
  - {terminal: "x * y + a"}
gradient:
  a: {integral: "-2 * (y - a)", over: [1, 2]}
`;

const model = loadModel({ text: TEXT, file: "mixed.yaml" });
const { problem } = model;
const n = problem.n;
const m = problem.delays.length;
const np = problem.p.length;

/** Central difference of `g` in component k of `arr`. */
function fd(arr: Float64Array, k: number, g: () => number): number {
  const x0 = arr[k]!;
  const h = 1e-6 * Math.max(1, Math.abs(x0));
  arr[k] = x0 + h;
  const a = g();
  arr[k] = x0 - h;
  const b = g();
  arr[k] = x0;
  return (a - b) / (2 * h);
}

describe("compiling a model", () => {
  it("classifies delays by what their lag reads and marks neutral ones", () => {
    expect(model.delays.map((d) => [d.label, d.kind, d.neutral])).toEqual([
      ["tau", "constant", true],
      ["(0.1 + 0.05 * x^2)", "state", false],
      ["t - (t/2)", "time", false],
    ]);
    expect(problem.delays[0]!.lag(0, new Float64Array(2), problem.p)).toBeCloseTo(0.4, 15);
    expect(problem.delays[2]!.lag(3, new Float64Array(2), problem.p)).toBeCloseTo(1.5, 15);
  });

  it("adds hidden parameters for numeric history and initial values", () => {
    expect(model.paramNames).toEqual(["a", "b", "tau", "history.y", "initial.x"]);
    expect(model.modelParams).toEqual(["a", "b", "tau"]);
    const out = new Float64Array(2);
    problem.initial!.value(problem.p, out);
    expect(Array.from(out)).toEqual([2, 0.5]);
    problem.history.value(1, problem.p, out);
    expect(out[0]).toBeCloseTo(Math.cos(0.7), 15);
    expect(problem.history.constant).toBe(false);
  });

  it("has Jacobians dy, dz, dzd, dp that match finite differences of f", () => {
    const t = 0.8;
    const y = Float64Array.of(0.9, 1.1);
    const z = Float64Array.from({ length: m * n }, (_, i) => 0.6 + 0.1 * i);
    const zd = Float64Array.from({ length: m * n }, (_, i) => -0.3 + 0.2 * i);
    const p = Float64Array.from(problem.p);
    const dy = new Float64Array(n);
    const fi = (i: number) => () => (problem.f(t, y, z, p, dy, zd), dy[i]!);
    const jy = new Float64Array(n * n);
    const jz = new Float64Array(m * n * n);
    const jzd = new Float64Array(m * n * n);
    const jp = new Float64Array(n * np);
    problem.jac!.dy!(t, y, z, p, jy, zd);
    problem.jac!.dz!(t, y, z, p, jz, zd);
    problem.jac!.dzd!(t, y, z, p, jzd, zd);
    problem.jac!.dp!(t, y, z, p, jp, zd);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) expect(jy[i * n + k]).toBeCloseTo(fd(y, k, fi(i)), 6);
      for (let j = 0; j < m; j++)
        for (let k = 0; k < n; k++) {
          expect(jz[j * n * n + i * n + k]).toBeCloseTo(fd(z, j * n + k, fi(i)), 6);
          expect(jzd[j * n * n + i * n + k]).toBeCloseTo(fd(zd, j * n + k, fi(i)), 6);
        }
      for (let k = 0; k < np; k++) expect(jp[i * np + k]).toBeCloseTo(fd(p, k, fi(i)), 6);
    }
  });

  it("has matrix-free products jvp and vjp equal to the dense Jacobians multiplied out", () => {
    const t = 0.8;
    const y = Float64Array.of(0.9, 1.1);
    const z = Float64Array.from({ length: m * n }, (_, i) => 0.6 + 0.1 * i);
    const zd = Float64Array.from({ length: m * n }, (_, i) => -0.3 + 0.2 * i);
    const p = Float64Array.from(problem.p);
    const jy = new Float64Array(n * n);
    const jz = new Float64Array(m * n * n);
    const jp = new Float64Array(n * np);
    problem.jac!.dy!(t, y, z, p, jy, zd);
    problem.jac!.dz!(t, y, z, p, jz, zd);
    problem.jac!.dp!(t, y, z, p, jp, zd);
    // Four directions: parameter columns 2 and 0, none, and a hidden parameter f does not read.
    const cols = Int32Array.of(2, 0, -1, 4);
    const nd = cols.length;
    const vy = Float64Array.from({ length: nd * n }, (_, i) => Math.sin(1 + i));
    const vz = Float64Array.from({ length: nd * m * n }, (_, i) => Math.cos(2 + 3 * i));
    const out = new Float64Array(nd * n).fill(NaN);
    problem.jac!.jvp!(t, y, z, p, zd, vy, vz, cols, out);
    for (let d = 0; d < nd; d++)
      for (let i = 0; i < n; i++) {
        let ref = cols[d]! >= 0 ? jp[i * np + cols[d]!]! : 0;
        for (let k = 0; k < n; k++) ref += jy[i * n + k]! * vy[d * n + k]!;
        for (let j = 0; j < m; j++)
          for (let k = 0; k < n; k++) ref += jz[j * n * n + i * n + k]! * vz[d * m * n + j * n + k]!;
        expect(out[d * n + i]).toBeCloseTo(ref, 13);
      }
    const v = Float64Array.of(0.7, -1.3);
    const gy = Float64Array.of(1, 2); // vjp adds into its outputs
    const gz = new Float64Array(m * n).fill(0.5);
    const gp = new Float64Array(nd).fill(-1);
    problem.jac!.vjp!(t, y, z, p, zd, v, gy, gz, cols, gp);
    for (let k = 0; k < n; k++) expect(gy[k]).toBeCloseTo(1 + k + v[0]! * jy[k]! + v[1]! * jy[n + k]!, 13);
    for (let j = 0; j < m; j++)
      for (let k = 0; k < n; k++)
        expect(gz[j * n + k]).toBeCloseTo(
          0.5 + v[0]! * jz[j * n * n + k]! + v[1]! * jz[j * n * n + n + k]!,
          13,
        );
    for (let d = 0; d < nd; d++) {
      const q = cols[d]!;
      expect(gp[d]).toBeCloseTo(q < 0 ? -1 : -1 + v[0]! * jp[q]! + v[1]! * jp[np + q]!, 13);
    }
    // Null outputs are skipped.
    problem.jac!.vjp!(t, y, z, p, zd, v, null, null, cols, null);
  });

  it("has a fused fjvp: f and the products from one generated function", () => {
    const t = 0.8;
    const y = Float64Array.of(0.9, 1.1);
    const z = Float64Array.from({ length: m * n }, (_, i) => 0.6 + 0.1 * i);
    const zd = Float64Array.from({ length: m * n }, (_, i) => -0.3 + 0.2 * i);
    const p = Float64Array.from(problem.p);
    for (const cols of [Int32Array.of(2, 0, -1, 4), Int32Array.of(-1, -1)]) {
      const nd = cols.length;
      const vy = Float64Array.from({ length: nd * n }, (_, i) => Math.sin(1 + i));
      const vz = Float64Array.from({ length: nd * m * n }, (_, i) => Math.cos(2 + 3 * i));
      const out = new Float64Array(nd * n).fill(NaN);
      const dy = new Float64Array(n).fill(NaN);
      problem.jac!.fjvp!(t, y, z, p, zd, vy, vz, cols, out, dy);
      const refOut = new Float64Array(nd * n);
      const refDy = new Float64Array(n);
      problem.jac!.jvp!(t, y, z, p, zd, vy, vz, cols, refOut);
      problem.f(t, y, z, p, refDy, zd);
      for (let i = 0; i < n; i++) expect(dy[i]).toBeCloseTo(refDy[i]!, 14);
      for (let k = 0; k < nd * n; k++) expect(out[k]).toBeCloseTo(refOut[k]!, 14);
    }
    expect(model.sources["rhsJacEntries"]).toMatch(/dy\[0\] = /);
  });

  it("differentiates lags, the history and the initial value", () => {
    const y = Float64Array.of(0.9, 1.1);
    const p = Float64Array.from(problem.p);
    for (const d of problem.delays) {
      const gy = new Float64Array(n);
      const gp = new Float64Array(np);
      d.dLagDy!(0.7, y, p, gy);
      d.dLagDp!(0.7, y, p, gp);
      for (let k = 0; k < n; k++)
        expect(gy[k]).toBeCloseTo(
          fd(y, k, () => d.lag(0.7, y, p)),
          7,
        );
      for (let k = 0; k < np; k++)
        expect(gp[k]).toBeCloseTo(
          fd(p, k, () => d.lag(0.7, y, p)),
          7,
        );
    }
    const out = new Float64Array(n);
    const hdp = new Float64Array(n * np);
    problem.history.dp!(-0.3, p, hdp);
    problem.history.derivative!(-0.3, p, out);
    const tt = Float64Array.of(-0.3);
    for (let i = 0; i < n; i++) {
      const hi = () => (problem.history.value(tt[0]!, p, out), out[i]!);
      for (let k = 0; k < np; k++) expect(hdp[i * np + k]).toBeCloseTo(fd(p, k, hi), 7);
    }
    problem.history.derivative!(-0.3, p, out);
    const d0 = out[0]!;
    expect(d0).toBeCloseTo(
      fd(tt, 0, () => (problem.history.value(tt[0]!, p, out), out[0]!)),
      7,
    );
    const idp = new Float64Array(n * np);
    problem.initial!.dp!(p, idp);
    expect(Array.from(idp)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
  });

  it("compiles cost terms and user gradients into point functions with derivatives", () => {
    expect(model.cost.map((c) => c.kind)).toEqual(["sum", "integral", "terminal"]);
    const sum = model.cost[0]!;
    expect(sum.kind === "sum" && sum.times).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3]);
    const integral = model.cost[1]!;
    expect(integral.kind === "integral" && [integral.from, integral.to]).toEqual([1, 2]);
    const y = Float64Array.of(0.9, 1.1);
    const p = Float64Array.from(problem.p);
    for (const term of model.cost) {
      const g = term.kind === "integral" ? term.q : term.kind === "data" ? null : term.g;
      if (!g) continue;
      const gy = new Float64Array(n);
      const gp = new Float64Array(np);
      g.dy!(1, y, p, gy);
      g.dp!(1, y, p, gp);
      for (let k = 0; k < n; k++)
        expect(gy[k]).toBeCloseTo(
          fd(y, k, () => g.value(1, y, p)),
          7,
        );
      for (let k = 0; k < np; k++)
        expect(gp[k]).toBeCloseTo(
          fd(p, k, () => g.value(1, y, p)),
          7,
        );
    }
    expect(Object.keys(model.userGradient)).toEqual(["a"]);
  });

  it("sets parameters by name and rejects unknown ones with a suggestion", () => {
    const m2: CompiledModel = model.withParams({ tau: 0.9, "history.y": 2 }, "--set");
    expect(m2.params()).toMatchObject({ tau: 0.9, "history.y": 2, a: 1.3 });
    expect(model.params().tau).toBe(0.4);
    expect(() => model.withParams({ taus: 1 }, "--set")).toThrow(
      /--set: unknown parameter 'taus'.*did you mean 'tau'/,
    );
    expect(() => model.paramIndex("zz", "--wrt")).toThrow(GradoptError);
    expect(() => model.paramIndex("initial.y", "--wrt")).toThrow(
      /no numeric initial value for 'y': add initial: \{y: value\}/,
    );
    expect(() => model.paramIndex("history.x", "--wrt")).toThrow(/the history of 'x' is an expression/);
  });

  it("compiles a right-hand side equal to the hand-written one", () => {
    const mg = loadModel({
      text: "states: [y]\nparams: {beta: 0.2, gamma: 0.1, n: 10, tau: 17}\nequations: {y: beta * y(t - tau) / (1 + y(t - tau)^n) - gamma * y}\nhistory: {y: 0.5}\ntspan: [0, 10]\n",
    });
    const out = new Float64Array(1);
    for (const [y, z] of [
      [0.5, 0.7],
      [1.2, 0.3],
      [0.01, 2],
    ] as const) {
      mg.problem.f(0, Float64Array.of(y), Float64Array.of(z), mg.problem.p, out, new Float64Array(1));
      expect(out[0]).toBe((0.2 * z) / (1 + Math.pow(z, 10)) - 0.1 * y);
    }
  });

  it("compiles a 100-state network with one shared delay", () => {
    const N = 100;
    const states = Array.from({ length: N }, (_, i) => `u${i}`);
    const eqs = states.map(
      (s, i) =>
        `  ${s}: -k * ${s} + w * tanh(${states[(i + N - 1) % N]}(t - tau)) + 0.1 * ${states[(i + 1) % N]}`,
    );
    const text = `states: [${states.join(", ")}]\nparams: {k: 1, w: 0.8, tau: 2}\nequations:\n${eqs.join("\n")}\nhistory: 0.1\ntspan: [0, 10]\n`;
    const net = loadModel({ text });
    expect(net.problem.n).toBe(N);
    expect(net.delays).toHaveLength(1);
    const jz = new Float64Array(N * N);
    const z = new Float64Array(N).fill(0.3);
    net.problem.jac!.dz!(0, new Float64Array(N), z, net.problem.p, jz, new Float64Array(N));
    expect(jz[5 * N + 4]).toBeCloseTo(0.8 * (1 - Math.tanh(0.3) ** 2), 14);
    expect(jz[5 * N + 6]).toBe(0);
  });
});

describe("gradients of a compiled model through its matrix-free products", () => {
  const text = `
states: [x, y]
params: {a: 1.1, b: 0.6, tau: 0.9, c: 0.4}
equations:
  x: a * x * (1 - y(t - tau)) - c * x
  y: b * x(t - 0.5) * y / (1 + y^2) - 0.3 * y
history: {x: 0.5, y: 0.4}
tspan: [0, 6]
cost:
  - {sum: "(x - 0.7)^2 + y^2", at: {from: 1, to: 6, step: 1}}
  - {integral: "c * y^2", over: [0, 6]}
`;
  it("forward and adjoint with only jvp/vjp agree with the dense Jacobians and with each other", () => {
    const full = loadModel({ text });
    const free = loadModel({ text });
    const jac = free.problem.jac!;
    // Keep only the products (they compile from the same symbolic derivatives).
    free.problem.jac = { jvp: jac.jvp, vjp: jac.vjp };
    const ref = costGradient(full.problem, full.cost, { method: "forward", rtol: 1e-10 });
    for (const method of ["forward", "adjoint"] as const) {
      const g = costGradient(free.problem, free.cost, { method, rtol: 1e-10 }).gradient;
      ref.gradient.forEach((r, k) =>
        expect(Math.abs(g[k]! - r), `${method} ${ref.names[k]}`).toBeLessThan(
          1e-7 * Math.max(1, Math.abs(r)),
        ),
      );
    }
  });

  it("forward sensitivities on the solver's stages (fused fjvp) agree with the separate sensitivity solve", () => {
    const mdl = loadModel({ text });
    const sol = solve(mdl.problem, { rtol: 1e-10, atol: 1e-12 });
    // every target but the delay tau (a delay target takes the separate solve)
    const wrt = ["a", "b", "c", "history.x", "history.y"];
    const opts = { wrt, method: "forward" as const, rtol: 1e-10, atol: 1e-12 };
    const staged = costGradient(mdl.problem, mdl.cost, opts);
    // the staged path: one integration, as many stage evaluations as the solve's f evaluations
    expect(staged.stats.gradientRhsEvals).toBe(staged.solution.stats.rhsEvals);
    const separate = costGradient(mdl.problem, mdl.cost, { ...opts, solution: sol });
    expect(separate.stats.gradientRhsEvals).not.toBe(sol.stats.rhsEvals);
    staged.gradient.forEach((g, k) =>
      expect(Math.abs(g - separate.gradient[k]!), staged.names[k]).toBeLessThan(
        1e-8 * Math.max(1, Math.abs(g)),
      ),
    );
  });
});
