/**
 * `gradopt solve MODEL`: solves a model file and prints the trajectory (human table, --json, or --csv FILE).
 * A solver failure prints what was reached, says why on stderr and exits non-zero.
 */
import type { Command } from "commander";
import { GradoptError } from "../../errors.js";
import { prepareModel, solveModel, type SolveModelResult } from "../../model/index.js";
import { writeFileAtomic } from "../../report/atomic.js";
import { writeSolveReport } from "../../report/commands/index.js";
import { emit, withGlobalFlags, type GlobalOptions } from "../common.js";
import { fmt, modelFlags, parseTimes, table } from "./model-output.js";

interface SolveFlags extends GlobalOptions {
  rtol?: string;
  atol?: string;
  at?: string;
  set?: string;
  method?: string;
  csv?: string;
  report?: string;
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("solve")
      .description("solve a delay-differential model file and print its trajectory")
      .argument("<model>", "model file (YAML)")
      .option("--rtol <r>", "relative tolerance (default 1e-6)")
      .option("--atol <a>", "absolute tolerance (default min(1e-8, rtol))")
      .option("--at <times>", "output times: t1,t2,... or from:to:step (default: every accepted step)")
      .option(
        "--set <assignments>",
        "override parameters: name=value,... (also history.<state>, initial.<state>)",
      )
      .option("--method <name>", "integration method: dp5 (default), bs3, dop853")
      .option("--csv <file>", "also write the trajectory as CSV (t and one column per state)")
      .option("--report <file>", "also write an HTML report (trajectories, solver statistics)"),
  ).action((file: string, flags: SolveFlags) => runSolve(file, flags));
}

async function runSolve(file: string, flags: SolveFlags): Promise<void> {
  const options = modelFlags(flags);
  const model = prepareModel(file, options.set, "--set");
  const at = flags.at !== undefined ? parseTimes("--at", flags.at) : undefined;
  const [t0, t1] = model.problem.tspan;
  const outside = at?.find((t) => !(t >= t0 && t <= t1));
  if (outside !== undefined)
    throw new GradoptError("E_FLAG", `--at: time ${outside} is outside the model's tspan [${t0}, ${t1}]`);
  const r = solveModel(model, { ...options, set: undefined, at });
  const { solution } = r;
  if (flags.csv) writeFileAtomic(flags.csv, toCsv(r));
  const states: Record<string, Float64Array> = {};
  model.stateNames.forEach((name, i) => (states[name] = solution.y[i]!));
  const json: Record<string, unknown> = {
    t: solution.t,
    states,
    stats: { ...solution.stats },
    status: solution.status,
    ok: solution.ok,
    message: solution.message,
    params: model.params(),
    breakpoints: solution.breakpoints,
  };
  if (r.cost !== undefined) json.cost = r.cost;
  emit(flags, json, () => human(r, flags.csv));
  if (flags.report) await writeSolveReport(flags.report, r);
  if (!solution.ok) {
    process.stderr.write(
      `gradopt: ${model.file}: the solve stopped early (${solution.status}): ${solution.message}\n`,
    );
    process.exitCode = 1;
  }
}

function toCsv({ model, solution }: SolveModelResult): string {
  const lines = [["t", ...model.stateNames].join(",")];
  for (let k = 0; k < solution.t.length; k++) {
    lines.push([solution.t[k]!, ...solution.y.map((row) => row[k]!)].map(String).join(","));
  }
  return lines.join("\n") + "\n";
}

function human(r: SolveModelResult, csv: string | undefined): string {
  const { model, solution } = r;
  const s = solution.stats;
  const lines = [
    `${model.name}: ${solution.status} on [${solution.t0}, ${solution.tEnd}] (${s.steps} steps, ${s.rejected} rejected, ${s.rhsEvals} RHS evaluations)`,
  ];
  if (!solution.ok) lines.push(`  ${solution.message}`);
  if (model.delays.length > 0)
    lines.push(
      `lags: ${model.delays.map((d) => `${d.label} (${d.kind}${d.neutral ? ", neutral" : ""})`).join(", ")}`,
    );
  if (r.cost !== undefined) lines.push(`cost J = ${fmt(r.cost)}`);
  const rows = solution.t.length;
  const maxRows = 25;
  const pick: number[] = [];
  if (rows <= maxRows) for (let k = 0; k < rows; k++) pick.push(k);
  else for (let i = 0; i < maxRows; i++) pick.push(Math.round((i * (rows - 1)) / (maxRows - 1)));
  lines.push(
    table(
      ["t", ...model.stateNames],
      pick.map((k) => [solution.t[k]!, ...solution.y.map((row) => row[k]!)]),
    ),
  );
  if (rows > maxRows)
    lines.push(
      `(${maxRows} of ${rows} rows shown${csv ? "" : "; --csv FILE writes all of them, --at picks the times"})`,
    );
  if (csv) lines.push(`wrote ${rows} rows to ${csv}`);
  return lines.join("\n");
}
