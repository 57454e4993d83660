/**
 * Cost terms and user-gradient terms of a model file compiled into the shared cost vocabulary: point functions with
 * symbolic dy/dp, integrals over a sub-span, and data terms read from CSV (relative to the model file).
 */
import { readFileSync } from "node:fs";
import type { CostTerm, PointFunction } from "../dde/gradient/cost-types.js";
import { GradoptError, type SourceLocation } from "../errors.js";
import { parseObservations } from "./csv.js";
import { varIndices, type VarSpace } from "./expr/ast.js";
import { buildFunction } from "./expr/codegen.js";
import { derivative } from "./expr/derivative.js";
import { parseExpression } from "./expr/parser.js";
import { resolve, type Scope } from "./expr/resolve.js";
import type { CostTermSpec, ExprSource, ModelSpec } from "./load.js";

export class CostCompiler {
  private readonly states: string[];
  constructor(
    private readonly spec: ModelSpec,
    /** The scope of cost expressions (states, t, parameters; no delays). */
    private readonly scope: (context: string, source: ExprSource) => Scope,
  ) {
    this.states = spec.states.map((s) => s.name);
  }

  fail(loc: SourceLocation, message: string): never {
    throw new GradoptError("E_MODEL", message, loc);
  }

  pointFunction(source: ExprSource, context: string): PointFunction {
    const expr = resolve(parseExpression(source.text, source.locate), {
      ...this.scope(context, source),
      delays: undefined,
    });
    const sig = ["t", "y", "p", "out"];
    const row = (space: VarSpace) =>
      varIndices(expr, space)
        .map((k) => ({ lhs: `out[${k}]`, expr: derivative(expr, space, k) }))
        .filter((a) => !(a.expr.k === "num" && a.expr.v === 0));
    return {
      value: buildFunction({ name: "g", params: ["t", "y", "p"], assignments: [], returns: expr }),
      dy: buildFunction({ name: "gDy", params: sig, prelude: "out.fill(0);", assignments: row("y") }),
      dp: buildFunction({ name: "gDp", params: sig, prelude: "out.fill(0);", assignments: row("p") }),
      label: source.text,
    };
  }

  costTerm(term: CostTermSpec, isCost: boolean): CostTerm[] {
    const [t0, t1] = this.spec.tspan;
    const inSpan = (t: number) =>
      t >= t0 - 1e-12 * Math.max(1, Math.abs(t0)) && t <= t1 + 1e-12 * Math.max(1, Math.abs(t1));
    const what = isCost ? "a cost term" : "a gradient term";
    switch (term.kind) {
      case "sum": {
        const bad = term.at.find((t) => !inSpan(t));
        if (bad !== undefined) this.fail(term.loc, `sum time ${bad} is outside tspan [${t0}, ${t1}]`);
        return [{ kind: "sum", times: term.at.slice(), g: this.pointFunction(term.expr, what) }];
      }
      case "integral": {
        const out: CostTerm = { kind: "integral", q: this.pointFunction(term.expr, what) };
        if (term.over) {
          if (!inSpan(term.over[0]) || !inSpan(term.over[1]))
            this.fail(term.loc, `integral over [${term.over.join(", ")}] is outside tspan [${t0}, ${t1}]`);
          out.from = term.over[0];
          out.to = term.over[1];
        }
        return [out];
      }
      case "terminal":
        return [{ kind: "terminal", g: this.pointFunction(term.expr, what) }];
      case "data":
        return [this.dataTerm(term)];
    }
  }

  dataTerm(term: Extract<CostTermSpec, { kind: "data" }>): CostTerm {
    let text: string;
    try {
      text = readFileSync(term.path, "utf8");
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      throw new GradoptError("E_IO", `cannot read data file '${term.file}': ${why}`, term.loc, {
        cause: err,
      });
    }
    const obs = parseObservations(text, term.path, this.states);
    const [t0, t1] = this.spec.tspan;
    const bad = obs.times.findIndex((t) => t < t0 || t > t1);
    if (bad >= 0)
      this.fail(term.loc, `data time ${obs.times[bad]} in '${term.file}' is outside tspan [${t0}, ${t1}]`);
    let sigma: number | Float64Array;
    if (typeof term.sigma === "number") sigma = term.sigma;
    else {
      const record = term.sigma;
      for (const key of Object.keys(record)) {
        if (!obs.columns.includes(key))
          this.fail(
            term.sigmaLoc ?? term.loc,
            `sigma for '${key}', which is not a column of '${term.file}' (columns: ${obs.columns.join(", ")})`,
          );
      }
      sigma = Float64Array.from(
        obs.columns.map((c) => {
          const v = record[c];
          if (v === undefined)
            this.fail(term.sigmaLoc ?? term.loc, `sigma gives no value for column '${c}' of '${term.file}'`);
          return v;
        }),
      );
    }
    return {
      kind: "data",
      times: obs.times,
      states: obs.columns.map((c) => this.states.indexOf(c)),
      values: obs.values,
      sigma,
      label: term.file,
    };
  }
}
