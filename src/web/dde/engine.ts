/**
 * The DDE panel's bridge to the library: compile the editor's YAML (src/model), solve (src/dde), and the bundled
 * examples. Companion files (a `data:` CSV) live in the in-memory file system of the fs shim, so the library's own
 * relative-path lookup finds them. Imports are static: one chunk keeps the library's module order exactly as in Node.
 */
import { setVirtualFiles, VIRTUAL_DIR } from "../shims/vfs.js";
import {
  MODEL_FILE,
  type CompiledModel,
  type DataSeries,
  type DdeEngine,
  type ModelView,
  type SolveView,
} from "./types.js";
import { compileModel, type CompiledModel as LibModel } from "../../model/compile.js";
import { solve } from "../../dde/solve.js";
import { modelGradient } from "../../model/run.js";

export { MODEL_FILE };

const exampleTexts = {
  ...import.meta.glob<string>("../../../examples/*.{yaml,yml,csv}", {
    query: "?raw",
    import: "default",
    eager: true,
  }),
  ...import.meta.glob<string>("../examples/*.{yaml,yml,csv}", {
    query: "?raw",
    import: "default",
    eager: true,
  }),
};

export interface Example {
  name: string;
  title: string;
  text: string;
}

/** Bundled example models (examples/*.yaml and the playground's own) and their CSV files by base name. */
export function bundledExamples(): { models: Example[]; files: Record<string, string> } {
  const models: Example[] = [];
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(exampleTexts)) {
    const base = path.split("/").pop()!;
    if (base.endsWith(".csv")) {
      files[base] = text;
      continue;
    }
    const name = base.replace(/\.ya?ml$/, "");
    const declared = /^name:\s*["']?([^"'\n#]+)/m.exec(text)?.[1]?.trim();
    // A description: key, else the file's first comment line, shortened.
    let described =
      /^description:\s*["']?([^"'\n#]+)/m.exec(text)?.[1]?.trim() ?? /^#\s*(.+)$/m.exec(text)?.[1]?.trim();
    if (described && described.length > 60)
      described = described.slice(0, 58).replace(/[\s,;:(]+\S*$/, "") + " …";
    models.push({ name, title: described ? `${declared ?? name}: ${described}` : (declared ?? name), text });
  }
  // Models with data first (they show the fit), then alphabetical.
  models.sort(
    (a, b) => Number(/\bdata:/.test(b.text)) - Number(/\bdata:/.test(a.text)) || a.name.localeCompare(b.name),
  );
  return { models, files };
}

function dataSeries(m: LibModel): DataSeries[] {
  const out: DataSeries[] = [];
  for (const term of m.cost) {
    if (term.kind !== "data") continue;
    const nc = term.states.length;
    term.states.forEach((s, c) => {
      const t: number[] = [];
      const y: number[] = [];
      term.times.forEach((tk, k) => {
        const v = term.values[k * nc + c]!;
        if (Number.isFinite(v)) {
          t.push(tk);
          y.push(v);
        }
      });
      const state = m.stateNames[s]!;
      out.push({ state, t, y, label: `${state} data` });
    });
  }
  return out;
}

/** Builds the panel's view of a compiled model and a re-solver bound to it. */
function wrap(m: LibModel): CompiledModel {
  const own = new Set(m.modelParams);
  const paramNames = m.paramNames.filter((n) => own.has(n));
  const defaults = m.params();
  const view: ModelView = {
    name: m.name || undefined,
    stateNames: m.stateNames,
    paramNames,
    paramValues: paramNames.map((n) => defaults[n]!),
    tspan: [m.problem.tspan[0], m.problem.tspan[1]],
    data: dataSeries(m),
    hasCost: m.cost.length > 0,
  };
  return {
    view,
    solve(params, opts = {}): SolveView {
      const model = m.withParams(params, "slider");
      const [t0, t1] = view.tspan;
      const points = opts.points ?? 400;
      // Output on an even grid (dense output, so the curve is smooth however large the steps are).
      const saveat = Float64Array.from({ length: points + 1 }, (_, k) => t0 + ((t1 - t0) * k) / points);
      const start = performance.now();
      const sol = solve(model.problem, { rtol: opts.rtol ?? 1e-6, atol: opts.atol ?? 1e-8, saveat });
      const ms = performance.now() - start;
      const out: SolveView = {
        ok: sol.ok,
        status: sol.status,
        message: sol.message,
        t: sol.t,
        y: sol.y,
        stats: sol.stats,
        ms,
      };
      if (sol.ok && m.cost.length > 0) {
        try {
          // J, the exact dJ/dp (forward sensitivities or adjoint: the library's choice) and, when the model has a
          // gradient: section, the user's formulas checked against it: the same call as `gradopt gradient --check`.
          const check = Object.keys(m.userGradient).length > 0;
          // At least the CLI's default accuracy (rtol 1e-8): a looser plot tolerance must not fail a correct formula.
          const rtol = Math.min(opts.rtol ?? 1e-6, 1e-8);
          const g = modelGradient(model, { rtol, atol: rtol / 100, check });
          out.cost = g.cost;
          out.gradient = Object.fromEntries(paramNames.map((name) => [name, g.gradient[name] ?? NaN]));
          if (g.check) out.check = g.check;
        } catch (err) {
          out.costError = err instanceof Error ? err.message : String(err);
        }
      }
      return out;
    },
  };
}

export type EngineLoad = { engine: DdeEngine; fitUnavailable?: string } | { unavailable: string };

/** The engine (async so that a build without the solver could say so; today every piece is bundled). */
export async function loadDdeEngine(): Promise<EngineLoad> {
  const engine: DdeEngine = {
    compile(text, files) {
      setVirtualFiles(files);
      return wrap(compileModel({ text, file: MODEL_FILE, dir: VIRTUAL_DIR }));
    },
  };
  return { engine };
}
