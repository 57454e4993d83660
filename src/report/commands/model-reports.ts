/**
 * `--report FILE` for the model commands (solve, gradient, fit): one call each, taking what the command already has.
 * Trajectories are drawn from the solution's dense output on a fine grid, so the curves are smooth whatever the
 * output times were.
 */
import type { DDESolution } from "../../dde/types.js";
import {
  solveModel,
  type CompiledModel,
  type FitModelFileResult,
  type ModelGradientResult,
  type SolveModelResult,
} from "../../model/index.js";
import { lineChart } from "../chart.js";
import { costHistoryChart, trajectoryChart } from "../sections.js";
import { Report, badge, type Cell } from "../report.js";
import { formatNumber } from "../format.js";

const GRID = 400;

/** y_i(t) on an even grid over what the solve reached (dense output), per state. */
function denseStates(
  model: CompiledModel,
  solution: DDESolution,
): { t: Float64Array; states: Record<string, Float64Array> } {
  const t0 = solution.t0;
  const t1 = solution.tEnd;
  const n = t1 > t0 ? GRID + 1 : 1;
  const t = Float64Array.from({ length: n }, (_, k) => (n === 1 ? t0 : t0 + ((t1 - t0) * k) / GRID));
  const states: Record<string, Float64Array> = {};
  model.stateNames.forEach((s) => (states[s] = new Float64Array(n)));
  const y = new Float64Array(model.stateNames.length);
  for (let k = 0; k < n; k++) {
    solution.eval(t[k]!, y);
    model.stateNames.forEach((s, i) => (states[s]![k] = y[i]!));
  }
  return { t, states };
}

function modelHeader(r: Report, model: CompiledModel, what: string): void {
  r.text(`${what} of \`${model.file}\` (${model.stateNames.length} states: ${model.stateNames.join(", ")}).`);
}

function solutionBlock(r: Report, model: CompiledModel, solution: DDESolution, title = "Trajectories"): void {
  const s = solution.stats;
  r.keyValues([
    ["solver status", solution.ok ? badge(solution.status, "ok") : badge(solution.status, "bad")],
    ...(solution.ok ? [] : ([["why", solution.message]] as [string, Cell][])),
    ["reached", `[${formatNumber(solution.t0)}, ${formatNumber(solution.tEnd)}]`],
    ["steps", `${s.steps} accepted, ${s.rejected} rejected, ${s.rhsEvals} right-hand-side evaluations`],
  ]);
  const { t, states } = denseStates(model, solution);
  r.chart(trajectoryChart(t, states, { title }));
}

function paramsTable(model: CompiledModel): { columns: string[]; rows: Cell[][] } {
  const p = model.params();
  return { columns: ["parameter", "value"], rows: model.modelParams.map((k) => [{ code: k }, p[k]!]) };
}

/** The report of `gradopt solve`. */
export async function writeSolveReport(file: string, res: SolveModelResult): Promise<string> {
  const { model, solution } = res;
  const r = new Report({ title: `Solve: ${model.name}` });
  modelHeader(r, model, "Solution");
  r.heading("Solution");
  solutionBlock(r, model, solution);
  if (res.cost !== undefined) r.keyValues([["cost J", res.cost]]);
  r.heading("Parameters");
  r.table(paramsTable(model));
  return r.writeHtml(file);
}

/** The report of `gradopt gradient` (with the check table when --check was given). */
export async function writeGradientReport(file: string, res: ModelGradientResult): Promise<string> {
  const { model } = res;
  const r = new Report({ title: `Gradient: ${model.name}` });
  modelHeader(r, model, "The exact gradient of the cost");
  r.heading("Gradient");
  r.keyValues([
    ["cost J", res.cost],
    ["method", res.method === "forward" ? "forward sensitivities" : "adjoint"],
  ]);
  r.table({
    columns: ["target", "dJ/dtarget"],
    rows: Object.entries(res.gradient).map(([k, v]): Cell[] => {
      const side = res.oneSided?.[k];
      return [
        { code: k },
        side ? `left ${formatNumber(side.left, 8)}, right ${formatNumber(side.right, 8)} (kink)` : v,
      ];
    }),
  });
  if (res.check) {
    r.heading("Check of the model's gradient formulas");
    const failed = Object.values(res.check).filter((c) => !c.ok).length;
    r.note(
      failed === 0
        ? "Every formula agrees with the exact gradient."
        : `${failed} formula(s) disagree with the exact gradient.`,
      failed === 0 ? "success" : "warning",
    );
    r.table({
      columns: ["target", "formula", "exact", "relative error", "check"],
      rows: Object.entries(res.check).map(([k, c]): Cell[] => [
        { code: k },
        c.user,
        c.exact,
        c.relError,
        c.ok ? badge("agrees", "ok") : badge("MISMATCH", "bad"),
      ]),
    });
  }
  r.heading("Solution");
  solutionBlock(r, model, res.solution);
  return r.writeHtml(file);
}

/** The report of `gradopt fit`: cost against iteration, start vs fitted values, trajectories before and after. */
export async function writeFitReport(file: string, res: FitModelFileResult): Promise<string> {
  const r = new Report({ title: `Fit: ${res.model.name}` });
  modelHeader(r, res.model, `Fit (${res.optimizer}) of the parameters`);
  r.heading("Result");
  r.keyValues([
    ["status", res.converged ? badge(`converged (${res.status})`, "ok") : badge(res.status, "warn")],
    ["message", res.message],
    ["cost J", `${formatNumber(res.initialCost)} → ${formatNumber(res.cost)}`],
    ["iterations", res.iterations],
    ["evaluations (solves)", res.evaluations],
  ]);
  const start = res.model.params();
  r.table({
    columns: ["target", "start", "fitted"],
    rows: res.names.map((k): Cell[] => [{ code: k }, start[k]!, res.params[k]!]),
  });
  const starts = [...new Set(res.trace.map((p) => p.start))];
  r.chart(
    costHistoryChart(
      starts.map((s) => ({
        label: s === 0 ? "from the model's values" : `random start ${s}`,
        costs: [
          ...(s === 0 ? [res.initialCost] : []),
          ...res.trace.filter((p) => p.start === s).map((p) => p.cost),
        ],
      })),
    ),
  );
  const before = solveModel(res.model);
  const after = solveModel(res.fitted);
  if (before.solution.ok && after.solution.ok) {
    r.heading("Trajectories before and after");
    const a = denseStates(res.model, before.solution);
    const b = denseStates(res.fitted, after.solution);
    for (const s of res.model.stateNames) {
      r.chart(
        lineChart({
          title: s,
          xTitle: "t",
          yTitle: s,
          height: 180,
          series: [
            { name: "start", x: a.t, y: a.states[s]! },
            { name: "fitted", x: b.t, y: b.states[s]! },
          ],
        }),
      );
    }
  }
  return r.writeHtml(file);
}
