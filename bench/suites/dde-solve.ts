/**
 * `npm run bench -- dde-solve`: gradopt's DDE solver side by side with the npm package `dopri` (DOPRI5 with a
 * user-side history lookup) and R deSolve::dede (lsoda, R and compiled C right-hand sides), on Mackey-Glass
 * (tau = 17, [0, 500]) and Hairer's 3-state infectious-disease model ([0, 40], lags 1 and 10), at tol 1e-6 and 1e-9.
 * Error: max |y - ref| over the output grid (every state), ref = gradopt DOP853 at rtol = atol = 1e-13 (its spread
 * against DP5 at 1e-12 is printed). Times are best-of-N wall times per solve in the same run.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrateDDE } from "dopri";
import { bs3, dop853, dp5, solve, tsit5, type DDEMethod, type DDEProblem } from "../../src/dde/index.js";
import { hairerInfection, mackeyGlass } from "../../src/dde/test/problems.js";
import { benchDir, printTable, runPeer, writeResult } from "../util.js";

type Grid = number[];
interface Case {
  name: string;
  key: "mg" | "hairer";
  problem: DDEProblem;
  grid: Grid;
  dopriRhs: (t: number, y: number[], dy: number[], sol: (t: number) => number[]) => void;
  y0: number[];
}

const mgGrid = Array.from({ length: 501 }, (_, k) => k);
const hairerGrid = Array.from({ length: 81 }, (_, k) => k / 2);
const cases: Case[] = [
  {
    name: "Mackey-Glass",
    key: "mg",
    problem: mackeyGlass(500),
    grid: mgGrid,
    y0: [0.5],
    dopriRhs: (t, y, dy, sol) => {
      const z = t > 17 ? sol(t - 17)[0]! : 0.5;
      dy[0] = (0.2 * z) / (1 + z ** 10) - 0.1 * y[0]!;
    },
  },
  {
    name: "Hairer 3-state",
    key: "hairer",
    problem: hairerInfection(),
    grid: hairerGrid,
    y0: [5, 0.1, 1],
    dopriRhs: (t, y, dy, sol) => {
      const z1 = t > 1 ? sol(t - 1)[1]! : 0.1;
      const z10 = t > 10 ? sol(t - 10)[1]! : 0.1;
      dy[0] = -y[0]! * z1 + z10;
      dy[1] = y[0]! * z1 - y[1]!;
      dy[2] = y[1]! - z10;
    },
  },
];

const maxErr = (y: ArrayLike<number>[], ref: Float64Array[]): number => {
  let e = 0;
  ref.forEach((r, i) => r.forEach((v, k) => (e = Math.max(e, Math.abs((y[i]![k] ?? NaN) - v)))));
  return Number.isNaN(e) ? Infinity : e;
};

function compilePeer(): { so: string } | { why: string } {
  const dir = mkdtempSync(join(tmpdir(), "gradopt-dede-"));
  copyFileSync(join(benchDir, "peers", "desolve_dde.c"), join(dir, "desolve_dde.c"));
  const r = spawnSync("R", ["CMD", "SHLIB", "desolve_dde.c"], { cwd: dir, encoding: "utf8" });
  if (r.error || r.status !== 0)
    return { why: `R CMD SHLIB failed: ${r.error?.message ?? r.stderr.trim().split("\n").pop()}` };
  return { so: join(dir, "desolve_dde.so") };
}

export default async function run(): Promise<void> {
  const compiled = compilePeer();
  const rows: Record<string, string | number>[] = [];
  const results: unknown[] = [];
  const ladder: Record<string, string | number>[] = [];
  for (const c of cases) {
    const refSol = solve(c.problem, { method: dop853(), rtol: 1e-13, atol: 1e-13, saveat: c.grid });
    const ref = refSol.y;
    const spread = maxErr(
      solve(c.problem, { method: dp5(), rtol: 1e-12, atol: 1e-12, saveat: c.grid, maxSteps: 1e7 }).y,
      ref,
    );
    console.log(
      `${c.name}: reference DOP853 1e-13 (${refSol.stats.steps} steps), spread vs DP5 1e-12: ${spread.toExponential(1)}`,
    );

    const oursFn = (method: DDEMethod, tol: number) => () =>
      solve(c.problem, { method, rtol: tol, atol: tol, saveat: c.grid });
    const dopriFn = (tol: number) => () => {
      const out = integrateDDE(c.dopriRhs, c.y0, 0, c.problem.tspan[1], {
        atol: tol,
        rtol: tol,
        maxSteps: 1e7,
      })(c.grid);
      return { y: c.y0.map((_, i) => out.map((row) => row[i]!)), stats: undefined };
    };

    for (const tol of [1e-6, 1e-9]) {
      const contenders: [string, () => { y: ArrayLike<number>[]; stats?: { steps: number } }][] = [];
      if (tol === 1e-6) contenders.push(["gradopt bs3", oursFn(bs3(), tol)]);
      contenders.push(
        ["gradopt dp5", oursFn(dp5(), tol)],
        ["gradopt tsit5", oursFn(tsit5(), tol)],
        ["gradopt dop853", oursFn(dop853(), tol)],
        ["dopri (npm)", dopriFn(tol)],
      );
      const timed = race(
        contenders.map(([, fn]) => fn),
        ROUNDS,
      );
      const base = timed[contenders.findIndex(([n]) => n === "gradopt dp5")]!.ms;
      const add = (solver: string, r: { ms: number; err: number; note?: string } | { why: string }) => {
        const row =
          "why" in r
            ? { problem: c.name, tol, solver, "ms/solve": "-", maxErr: "-", "time vs dp5": "-", note: r.why }
            : {
                problem: c.name,
                tol,
                solver,
                "ms/solve": r.ms,
                maxErr: r.err,
                "time vs dp5": r.ms / base,
                note: r.note ?? "",
              };
        rows.push(row);
        results.push(row);
      };
      contenders.forEach(([name], i) => {
        const { ms, result } = timed[i]!;
        add(name, {
          ms,
          err: maxErr(result.y, ref),
          note: result.stats ? `${result.stats.steps} steps` : "",
        });
      });
      const peer = (mode: "R" | "C", reps: number) => {
        if (mode === "C" && "why" in compiled) return { why: compiled.why };
        const args = [join(benchDir, "peers", "desolve_dde.R"), c.key, String(tol), String(reps), mode];
        if (mode === "C" && "so" in compiled) args.push(compiled.so);
        const r = runPeer("Rscript", args);
        if (!r.ok) return { why: r.why };
        const j = r.json as { ms: number; y: number[][] };
        return { ms: j.ms, err: maxErr(j.y, ref), note: "lsoda (default)" };
      };
      add("deSolve dede, C rhs", peer("C", c.key === "mg" ? 20 : 50));
      add("deSolve dede, R rhs", peer("R", c.key === "mg" ? 1 : 3));
    }

    // equal-error comparison with dopri: our DP5 tolerance ladder, raced together with dopri, interpolated (log-log)
    const tols = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];
    const fns: (() => { y: ArrayLike<number>[] })[] = [
      ...tols.map((tol) => oursFn(dp5(), tol)),
      dopriFn(1e-6),
      dopriFn(1e-9),
    ];
    const timed = race(fns, ROUNDS);
    const curve = tols.map((_, i) => ({ ms: timed[i]!.ms, err: maxErr(timed[i]!.result.y, ref) }));
    [1e-6, 1e-9].forEach((tol, k) => {
      const d = timed[tols.length + k]!;
      const err = maxErr(d.result.y, ref);
      const ms = timeAtError(curve, err);
      ladder.push({
        problem: c.name,
        "dopri tol": tol,
        "dopri err": err,
        "dopri ms": d.ms,
        "gradopt dp5 ms at same err": ms,
        speedup: d.ms / ms,
      });
    });
  }
  console.log(
    `\nWork-precision (best of ${ROUNDS} interleaved rounds, wall time per solve; error = max abs over the output grid):`,
  );
  printTable(rows);
  console.log("\nAt equal error (gradopt DP5 tolerance ladder 1e-4..1e-10 interpolated at dopri's error):");
  printTable(ladder);
  writeResult("dde-solve", { rows: results, equalError: ladder });
}

const ROUNDS = 40;

/**
 * Best-of-`rounds` wall time of each function, measured interleaved (one call of each per round) so that load from
 * other processes hits every contender alike.
 */
function race<T>(fns: (() => T)[], rounds: number): { ms: number; result: T }[] {
  const out = fns.map((fn) => ({ ms: Infinity, result: fn() }));
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      const result = fn();
      const ms = performance.now() - t0;
      if (ms < out[i]!.ms) out[i] = { ms, result };
    });
  }
  return out;
}

/** Time our curve needs for error `err` (log-log interpolation; the cheapest point at or below it outside the range). */
function timeAtError(curve: { ms: number; err: number }[], err: number): number {
  const pts = [...curve].sort((a, b) => b.err - a.err);
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[i + 1]!;
    if (err <= a.err && err >= b.err) {
      const w = (Math.log(err) - Math.log(a.err)) / (Math.log(b.err) - Math.log(a.err));
      return Math.exp(Math.log(a.ms) + w * (Math.log(b.ms) - Math.log(a.ms)));
    }
  }
  const ok = pts.filter((p) => p.err <= err);
  return ok.length > 0 ? Math.min(...ok.map((p) => p.ms)) : Infinity;
}
