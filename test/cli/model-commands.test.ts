import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel, modelGradient, solveModel } from "../../src/index.js";
import { runCli } from "./run-cli.js";

const ex = (name: string) => join(import.meta.dirname, "../../examples", name);
const EXAMPLES = [
  "seed-3state.yaml",
  "mackey-glass.yaml",
  "infection.yaml",
  "hutchinson.yaml",
  "logistic-fit.yaml",
  "ddetst-b2.yaml",
  "ddetst-d1.yaml",
  "neutral.yaml",
];

interface SolveJson {
  t: number[];
  states: Record<string, number[]>;
  stats: { steps: number; rejected: number; rhsEvals: number };
  status: string;
  cost?: number;
}

describe("gradopt solve", () => {
  it.each(EXAMPLES)("%s: --json equals the library's solution", async (file) => {
    const r = await runCli("solve", ex(file), "--json", "--rtol", "1e-7");
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<SolveJson>();
    expect(Object.keys(j)).toEqual(expect.arrayContaining(["t", "states", "stats"]));
    expect(Object.keys(j.stats)).toEqual(["steps", "rejected", "rhsEvals"]);
    const lib = solveModel(ex(file), { rtol: 1e-7 });
    expect(j.status).toBe("success");
    expect(j.t).toEqual(Array.from(lib.solution.t));
    lib.model.stateNames.forEach((s, i) => expect(j.states[s]).toEqual(Array.from(lib.solution.y[i]!)));
    expect(j.stats.steps).toBe(lib.solution.stats.steps);
    if (lib.cost !== undefined) expect(j.cost).toBe(lib.cost);
  });

  it("Mackey-Glass through the model file matches the published reference values", async () => {
    const r = await runCli(
      "solve",
      ex("mackey-glass.yaml"),
      "--at",
      "50,100",
      "--rtol",
      "1e-10",
      "--atol",
      "1e-12",
      "--json",
    );
    const j = r.json<SolveJson>();
    expect(j.t).toEqual([50, 100]);
    expect(j.states.y![0]).toBeCloseTo(0.644119709571859, 6);
    expect(j.states.y![1]).toBeCloseTo(1.05002050705248, 6);
  });

  it("DDETST B2 (discontinuous RHS, time-dependent lag) and D1 (state-dependent lag) match their exact solutions", async () => {
    const b2 = (
      await runCli("solve", ex("ddetst-b2.yaml"), "--rtol", "1e-9", "--atol", "1e-11", "--json")
    ).json<SolveJson>();
    expect(b2.t.at(-1)).toBeCloseTo(2 * Math.log(66), 14);
    expect(b2.states.u!.at(-1)).toBeCloseTo(-65 / 66, 7);
    const d1 = (
      await runCli(
        "solve",
        ex("ddetst-d1.yaml"),
        "--at",
        "1,2,5",
        "--rtol",
        "1e-9",
        "--atol",
        "1e-11",
        "--json",
      )
    ).json<SolveJson>();
    [1, 2, 5].forEach((t, k) => {
      expect(d1.states.y1![k]).toBeCloseTo(Math.log(t), 7);
      expect(d1.states.y2![k]).toBeCloseTo(1 / t, 7);
    });
  });

  it("a neutral model (a delayed derivative) matches its exact solution sin t", async () => {
    const j = (
      await runCli(
        "solve",
        ex("neutral.yaml"),
        "--at",
        "0:5:0.5",
        "--rtol",
        "1e-9",
        "--atol",
        "1e-11",
        "--json",
      )
    ).json<SolveJson>();
    j.t.forEach((t, k) => expect(j.states.y![k]).toBeCloseTo(Math.sin(t), 7));
  });

  it("--at ranges, --set, --method and --csv (written whole, no temporary file left)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-cli-"));
    const csv = join(dir, "out.csv");
    const r = await runCli(
      "solve",
      ex("hutchinson.yaml"),
      "--at",
      "0:10:0.5",
      "--set",
      "tau=1.2,history.y=0.3",
      "--method",
      "dop853",
      "--csv",
      csv,
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<SolveJson>();
    expect(j.t).toHaveLength(21);
    const lib = solveModel(loadModel(ex("hutchinson.yaml")).withParams({ tau: 1.2, "history.y": 0.3 }), {
      at: j.t,
      method: "dop853",
    });
    expect(j.states.y).toEqual(Array.from(lib.solution.y[0]!));
    expect(j.states.y![0]).toBe(0.3);
    // the cost does not depend on the output times
    const all = (
      await runCli(
        "solve",
        ex("hutchinson.yaml"),
        "--set",
        "tau=1.2,history.y=0.3",
        "--method",
        "dop853",
        "--json",
      )
    ).json<SolveJson>();
    expect(j.cost).toBe(all.cost);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[0]).toBe("t,y");
    expect(lines.slice(1).map((l) => l.split(",").map(Number))).toEqual(
      j.t.map((t, k) => [t, j.states.y![k]]),
    );
    expect(readdirSync(dir)).toEqual(["out.csv"]);
  });

  it("prints a readable table by default", async () => {
    const r = await runCli("solve", ex("infection.yaml"), "--at", "0,10,20,40");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^infectious-disease: success on \[0, 40\]/);
    expect(r.stdout).toMatch(/\n\s+t\s+y1\s+y2\s+y3\n/);
    expect(r.stdout).toContain("\nlags: tau1 (constant), tau2 (constant)\n");
    expect(r.stdout.trim().split("\n")).toHaveLength(8);
  });
});

describe("gradopt gradient", () => {
  it("--json equals the library's gradient", async () => {
    const r = await runCli(
      "gradient",
      ex("hutchinson.yaml"),
      "--wrt",
      "r,tau,history.y",
      "--method",
      "forward",
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ cost: number; gradient: Record<string, number> }>();
    const lib = modelGradient(ex("hutchinson.yaml"), {
      wrt: ["r", "tau", "history.y"],
      gradientMethod: "forward",
    });
    expect(j.cost).toBe(lib.cost);
    expect(j.gradient).toEqual(lib.gradient);
    expect(Object.keys(j.gradient)).toEqual(["r", "tau", "history.y"]);
  });

  it.each(["seed-3state.yaml", "hutchinson.yaml"])(
    "%s: --check passes for the user's formula",
    async (file) => {
      const r = await runCli("gradient", ex(file), "--check", "--json");
      expect(r.code, r.stderr).toBe(0);
      const j = r.json<{
        check: Record<string, { user: number; exact: number; relError: number; ok: boolean }>;
      }>();
      const entries = Object.values(j.check);
      expect(entries.length).toBeGreaterThan(0);
      for (const c of entries) {
        expect(c.ok).toBe(true);
        expect(Object.keys(c)).toEqual(["user", "exact", "relError", "ok"]);
      }
    },
  );

  it("--check fails (exit 1, names the target) for a wrong formula", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-cli-"));
    const file = join(dir, "wrong.yaml");
    writeFileSync(
      file,
      readFileSync(ex("hutchinson.yaml"), "utf8").replace(
        'c: {integral: "-2 * (y - c)"}',
        'c: {integral: "-1.9 * (y - c)"}',
      ),
    );
    const r = await runCli("gradient", file, "--check", "--json");
    expect(r.code).toBe(1);
    expect(r.json<{ check: Record<string, { ok: boolean }> }>().check.c!.ok).toBe(false);
    expect(r.stderr).toContain("does not match the exact gradient for c");
  });
});

describe("gradopt fit", () => {
  it("recovers the parameters that generated the data (--json shape)", async () => {
    const r = await runCli("fit", ex("logistic-fit.yaml"), "--wrt", "r,K,tau", "--optimizer", "lm", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{
      params: Record<string, number>;
      cost: number;
      status: string;
      converged: boolean;
      iterations: number;
      evaluations: number;
    }>();
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(["params", "cost", "status", "converged", "iterations", "evaluations"]),
    );
    expect(j.converged).toBe(true);
    expect(j.params.r).toBeCloseTo(0.8, 1);
    expect(j.params.K).toBeCloseTo(2, 1);
    expect(j.params.tau).toBeCloseTo(1.6, 1);
    // 40 observations with sigma = the noise level: chi-square near 40
    expect(j.cost).toBeGreaterThan(15);
    expect(j.cost).toBeLessThan(70);
  });

  it("--save writes the model with the fitted values; its data path still resolves", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-cli-"));
    const saved = join(dir, "fitted.yaml");
    const r = await runCli(
      "fit",
      ex("logistic-fit.yaml"),
      "--wrt",
      "r,K,tau,history.N",
      "--optimizer",
      "lm",
      "--save",
      saved,
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ params: Record<string, number>; cost: number }>();
    const text = readFileSync(saved, "utf8");
    expect(text).toContain("# Fitting a delayed logistic growth model");
    const m = loadModel(saved);
    expect(m.params()).toMatchObject(j.params);
    expect(solveModel(m, { rtol: 1e-10, atol: 1e-12 }).cost).toBeCloseTo(j.cost, 4);
    expect(readdirSync(dir)).toEqual(["fitted.yaml"]);
  });

  it("fits with the user's own gradient formula", async () => {
    const r = await runCli("fit", ex("seed-3state.yaml"), "--gradient", "user", "--wrt", "c", "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = r.json<{ params: Record<string, number>; cost: number }>();
    // dJ/dc = 0 at c = mean of x1 over the span
    const { solution } = solveModel(ex("seed-3state.yaml"), {
      rtol: 1e-10,
      atol: 1e-12,
      at: Array.from({ length: 2001 }, (_, k) => k * 0.005),
    });
    const x1 = solution.y[0]!;
    let mean = 0;
    for (let k = 0; k < 2000; k++) mean += (x1[k]! + x1[k + 1]!) / 2 / 2000;
    expect(j.params.c).toBeCloseTo(mean, 4);
  });
});

describe("bad input: one line naming the file/flag, no stack unless --debug", () => {
  const bad = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-cli-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, text);
    return file;
  };

  it("an unknown flag", async () => {
    const r = await runCli("solve", ex("hutchinson.yaml"), "--bogus");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("gradopt: unknown option '--bogus'\n");
    expect(r.stdout).toBe("");
  });

  it("a model error: file:line:column, one line", async () => {
    const file = bad(
      "states: [y]\nparams: {r: 1}\nequations:\n  y: r * y * (1 - y(t - 1)) + sinh(y, 2)\nhistory: {y: 0.5}\ntspan: [0, 1]\n",
    );
    const r = await runCli("solve", file, "--json");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`gradopt: ${file}:4:31: sinh() takes 1 argument, got 2\n`);
    const d = await runCli("solve", file, "--debug");
    expect(d.stderr.split("\n").length).toBeGreaterThan(3);
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it.each([
    [["solve", "EX", "--set", "nope=1"], "--set: unknown parameter 'nope'"],
    [["solve", "EX", "--at", "1,x"], "--at: 'x' is not a finite number"],
    [["solve", "EX", "--at", "0,50"], "--at: time 50 is outside the model's tspan [0, 10]"],
    [["solve", "EX", "--rtol", "-1"], "--rtol: must be positive"],
    [["solve", "EX", "--method", "rk4"], "--method: unknown integration method 'rk4'"],
    [["gradient", "EX", "--wrt", "r,zz"], "--wrt: unknown parameter 'zz'"],
    [["gradient", "EX", "--method", "magic"], "--method: expected forward, adjoint or auto"],
    [["fit", "EX", "--optimizer", "newton"], "--optimizer: unknown optimizer 'newton'"],
    [["fit", "EX", "--bounds", "r=2:1"], "--bounds r: lower bound 2 > upper bound 1"],
    [["fit", "EX", "--gradient", "fd"], "--gradient: expected exact or user"],
  ])("%j", async (args, message) => {
    const r = await runCli(...args.map((a) => (a === "EX" ? ex("hutchinson.yaml") : a)));
    expect(r.code).not.toBe(0);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(r.stderr).toContain(message);
  });

  it("a missing model file and a data file with a bad cell", async () => {
    const r = await runCli("solve", "/nonexistent/m.yaml");
    expect(r.stderr).toBe("gradopt: /nonexistent/m.yaml: cannot read model file: no such file\n");
    const dir = mkdtempSync(join(tmpdir(), "gradopt-cli-"));
    writeFileSync(join(dir, "obs.csv"), "t,y\n0.5,1\n1,x1\n");
    writeFileSync(
      join(dir, "m.yaml"),
      "states: [y]\nequations: {y: -y(t - 1)}\nhistory: {y: 1}\ntspan: [0, 2]\ncost: [{data: obs.csv}]\n",
    );
    const c = await runCli("fit", join(dir, "m.yaml"), "--json");
    expect(c.stderr).toBe(`gradopt: ${join(dir, "obs.csv")}:3:3: 'x1' in column 'y' is not a number\n`);
    expect(existsSync(join(dir, "m.yaml"))).toBe(true);
  });
});
