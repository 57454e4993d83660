import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { solveModel } from "../../src/index.js";
import { runCli } from "./run-cli.js";

// examples/neutral.yaml: y' = cos t + c (y'(t - tau) - cos(t - tau)) - (y - sin t), history a sin t. The equation is
// linear in y with the history a sin t and the exact solution sin t at a = 1, so y - sin t is proportional to a - 1 and
// the cost J is K (a - 1)^2: dJ/da = 2 J / (a - 1) exactly, for every c and tau. (The span ends at 5.5, off the
// breaking points k tau: a cost integral ending on one that moves with tau is only once differentiable in tau, and
// central differences of it are then biased by O(h).)
const file = join(import.meta.dirname, "../../examples/neutral.yaml");

interface GradientJson {
  cost: number;
  gradient: Record<string, number>;
  method: string;
}

/** Richardson-extrapolated central difference of the model's cost in one parameter, through the solver. */
function finiteDifference(set: Record<string, number>, name: string, h = 1e-3): number {
  const J = (d: number) => solveModel(file, { set: { ...set, [name]: set[name]! + d }, rtol: 1e-12 }).cost!;
  const D = (s: number) => (J(s) - J(-s)) / (2 * s);
  return (4 * D(h / 2) - D(h)) / 3;
}

describe("gradopt gradient / fit on a neutral model (examples/neutral.yaml)", () => {
  it("gradient: forward sensitivities through the neutral term, exact in a, FD-checked in c and the delay tau", async () => {
    const set = { a: 0.8, c: 0.5, tau: 1 };
    const r = await runCli("gradient", file, "--set", "a=0.8", "--rtol", "1e-10", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<GradientJson>();
    expect(j.method).toBe("forward");
    expect(j.cost).toBeGreaterThan(1e-3);
    expect(Math.abs(j.gradient.a! - (2 * j.cost) / (0.8 - 1))).toBeLessThan(1e-7 * Math.abs(j.gradient.a!));
    for (const name of ["c", "tau"]) {
      const fd = finiteDifference(set, name);
      expect(Math.abs(j.gradient[name]! - fd), `${name}: ${j.gradient[name]} vs FD ${fd}`).toBeLessThan(
        1e-6 * Math.abs(fd),
      );
    }
  });

  it("--method adjoint (the neutral adjoint) agrees with forward sensitivities", async () => {
    const fwd = await runCli("gradient", file, "--set", "a=0.8", "--rtol", "1e-10", "--json");
    const adj = await runCli(
      "gradient",
      file,
      "--set",
      "a=0.8",
      "--rtol",
      "1e-10",
      "--method",
      "adjoint",
      "--json",
    );
    expect(adj.code, adj.stderr).toBe(0);
    const f = fwd.json<GradientJson>();
    const a = adj.json<GradientJson>();
    expect(a.method).toBe("adjoint");
    for (const name of ["c", "tau", "a"])
      expect(Math.abs(a.gradient[name]! - f.gradient[name]!), name).toBeLessThan(
        1e-7 * Math.abs(f.gradient[name]!),
      );
  });

  it("fit recovers the history amplitude a = 1 (cost 0) from a = 0.6", async () => {
    const r = await runCli("fit", file, "--wrt", "a", "--set", "a=0.6", "--rtol", "1e-10", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ params: Record<string, number>; cost: number; converged: boolean }>();
    expect(j.converged).toBe(true);
    expect(Math.abs(j.params.a! - 1)).toBeLessThan(1e-6);
    expect(j.cost).toBeLessThan(1e-12);
  });
});

describe("gradopt gradient --method adjoint on time- and state-dependent lags (model file)", () => {
  const model = (lag: string) =>
    [
      "name: lags",
      "states: [x, v]",
      "params: {a: 0.9, b: 0.8, c: 0.3, k: 0.5}",
      "equations:",
      `  x: -a * x(${lag}) + v`,
      `  v: -x - 0.3 * v + k * v(${lag}) * x(${lag})`,
      "history: {x: 0.5, v: -0.2}",
      "initial: {x: 0.9, v: 0.1}",
      "tspan: [0, 5]",
      "cost:",
      '  - {sum: "x^2 + v", at: [1.3, 2.7, 4.1]}',
      '  - {integral: "v^2"}',
    ].join("\n");
  for (const [kind, lag] of [
    ["time-dependent", "t - b - c * sin(t)"],
    ["state-dependent", "t - b - c * x^2"],
  ] as const)
    it(`${kind} lag: --method adjoint = forward, every target incl. history and initial values`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "gradopt-lags-"));
      const path = join(dir, "lags.yaml");
      writeFileSync(path, model(lag));
      const wrt = "a,b,c,k,history.x,history.v,initial.x,initial.v";
      const args = ["gradient", path, "--wrt", wrt, "--rtol", "1e-10", "--json"];
      const fwd = (await runCli(...args, "--method", "forward")).json<GradientJson>();
      const adj = await runCli(...args, "--method", "adjoint");
      expect(adj.code, adj.stderr).toBe(0);
      const a = adj.json<GradientJson>();
      expect(a.method).toBe("adjoint");
      const scale = Math.max(...Object.values(fwd.gradient).map(Math.abs));
      for (const name of wrt.split(","))
        expect(Math.abs(a.gradient[name]! - fwd.gradient[name]!), name).toBeLessThan(
          1e-7 * Math.max(Math.abs(fwd.gradient[name]!), 1e-3 * scale),
        );
    });
});
