/** What a compiled model file is: the DDE problem, cost and user gradient, with parameter access by name. */
import type { Cost } from "../dde/gradient/cost-types.js";
import type { DDEProblem, DelayKind } from "../dde/types.js";
import { GradoptError } from "../errors.js";
import type { Expr } from "./expr/ast.js";
import { suggest } from "./expr/resolve.js";

/** A compiled delay: the lag expression and where it was written. */
export interface DelayInfo {
  lag: Expr;
  kind: DelayKind;
  neutral: boolean;
  label: string;
}

export interface CompiledModel {
  name: string;
  file: string;
  problem: DDEProblem;
  /** The model's cost (empty when the file has none). */
  cost: Cost;
  /** The user's gradient formulas, per target: dJ/d(target) = the sum of these terms evaluated on the solution. */
  userGradient: Record<string, Cost>;
  stateNames: string[];
  /** Every parameter of the compiled problem (= every gradient/fit target), the model's own first. */
  paramNames: string[];
  /** The parameters the file declares under `params`. */
  modelParams: string[];
  delays: DelayInfo[];
  /** Index of a parameter/target; throws a GradoptError naming `where` (a flag, a section) when unknown. */
  paramIndex(name: string, where?: string): number;
  /** A copy with some parameters set (e.g. from --set); unknown names are errors naming `where`. */
  withParams(values: Record<string, number>, where?: string): CompiledModel;
  /** Current parameter values by name. */
  params(): Record<string, number>;
  /** Generated JavaScript by function name (f, history, jacDy, ...); derivatives appear once first used (compiled lazily). */
  sources: Record<string, string>;
}

/** Adds the parameter accessors to the compiled parts. */
export function makeModel(parts: Omit<CompiledModel, "paramIndex" | "withParams" | "params">): CompiledModel {
  const index = new Map(parts.paramNames.map((n, i) => [n, i]));
  const model: CompiledModel = {
    ...parts,
    paramIndex(name: string, where = "parameter"): number {
      const i = index.get(name);
      if (i === undefined) {
        const [section, state] = name.split(".", 2) as [string, string | undefined];
        let hint = suggest(name, parts.paramNames);
        if (state !== undefined && parts.stateNames.includes(state)) {
          if (section === "initial")
            hint = `; the model gives no numeric initial value for '${state}': add initial: {${state}: value} to make it a target`;
          if (section === "history")
            hint = `; the history of '${state}' is an expression, not a number: its parameters are the targets`;
        }
        throw new GradoptError(
          "E_ARG",
          `${where}: unknown parameter '${name}' (known: ${parts.paramNames.join(", ")})${hint}`,
        );
      }
      return i;
    },
    withParams(values: Record<string, number>, where = "parameter"): CompiledModel {
      const p = Float64Array.from(parts.problem.p);
      for (const [name, v] of Object.entries(values)) {
        const i = model.paramIndex(name, where);
        if (!Number.isFinite(v))
          throw new GradoptError("E_ARG", `${where}: ${name} must be finite, got ${v}`);
        p[i] = v;
      }
      return makeModel({ ...parts, problem: { ...parts.problem, p } });
    },
    params(): Record<string, number> {
      return Object.fromEntries(parts.paramNames.map((n, i) => [n, parts.problem.p[i]!]));
    },
  };
  return model;
}
