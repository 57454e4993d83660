/**
 * Compiles a ModelSpec into the shared DDE vocabulary: a DDEProblem (f, delays classified by what their lag reads,
 * history, initial value, symbolic Jacobians), a Cost, and the user's gradient formulas. Every expression is parsed,
 * resolved, differentiated symbolically and turned into a plain JavaScript function.
 *
 * Parameters: the model's own, in file order, then hidden ones that make every gradient target a parameter:
 * `history.<state>` for each constant numeric history value and `initial.<state>` for each numeric initial value.
 */
import type { Cost } from "../dde/gradient/cost-types.js";
import type { DDEProblem, Delay, DelayKind, History, InitialValue, RhsJacobians } from "../dde/types.js";
import { GradoptError, type SourceLocation } from "../errors.js";
import { CostCompiler } from "./cost.js";
import {
  dependsOn,
  exprKey,
  forEachVar,
  varIndices,
  type Expr,
  type Span,
  type VarSpace,
} from "./expr/ast.js";
import {
  buildFunction,
  compileSource,
  generateSource,
  type Assignment,
  type FunctionSource,
} from "./expr/codegen.js";
import { derivative } from "./expr/derivative.js";
import { USER_FUNCTIONS } from "./expr/functions.js";
import { parseExpression } from "./expr/parser.js";
import { resolve, suggest, type DelayRegistry, type Scope } from "./expr/resolve.js";
import { readModelSpec, type ExprSource, type ModelInput, type ModelSpec } from "./load.js";
import { makeModel, type CompiledModel, type DelayInfo } from "./model.js";

export type { CompiledModel, DelayInfo } from "./model.js";

/** Reads and compiles a model file: `loadModel("model.yaml")` or `loadModel({ text, file })`. */
export function loadModel(input: ModelInput): CompiledModel {
  return compileModel(readModelSpec(input));
}

export function compileModel(spec: ModelSpec | ModelInput): CompiledModel {
  const s = isSpec(spec) ? spec : readModelSpec(spec);
  return new ModelCompiler(s).compile();
}

const isSpec = (x: ModelSpec | ModelInput): x is ModelSpec =>
  typeof x === "object" && "states" in x && "equations" in x;

type ParsedExpr = { expr: Expr; source: ExprSource };
type Build = <T>(key: string, fs: FunctionSource) => T;

/**
 * Makes target[prop] a getter that computes its value on the first read and then stands in as a plain data property
 * (compiled code that a plain solve never needs is never built).
 */
function defineOnFirstRead(target: object, prop: string, compute: () => unknown): void {
  Object.defineProperty(target, prop, {
    configurable: true,
    enumerable: true,
    get: () => {
      const value = compute();
      Object.defineProperty(target, prop, { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
  });
}

type Lazy = <O extends object>(
  target: O,
  prop: keyof O & string,
  key: string,
  fs: () => FunctionSource,
) => void;

class ModelCompiler {
  private readonly n: number;
  private readonly states: string[];
  private readonly paramIndex = new Map<string, number>();
  private readonly paramNames: string[] = [];
  private readonly values: number[] = [];
  private readonly delayIndex = new Map<string, number>();
  private readonly delays: (DelayInfo & { source: ExprSource; span: Span })[] = [];

  constructor(private readonly spec: ModelSpec) {
    this.states = spec.states.map((st) => st.name);
    this.n = this.states.length;
  }

  fail(loc: SourceLocation, message: string): never {
    throw new GradoptError("E_MODEL", message, loc);
  }

  compile(): CompiledModel {
    const { spec, n } = this;
    for (const st of spec.states) {
      if (USER_FUNCTIONS.has(st.name) || st.name === "d")
        this.fail(st.loc, `state name '${st.name}' is also a function name; choose another`);
    }
    for (const p of spec.params) {
      if (this.states.includes(p.name)) this.fail(p.loc, `'${p.name}' is both a state and a parameter`);
      this.addParam(p.name, p.value);
    }
    const modelParams = this.paramNames.slice();

    // history and initial values: numbers become hidden parameters (so they are targets)
    const historyOf = this.perState(spec.history, "history");
    const initialOf = this.perState(spec.initial, "initial");
    const history: Expr[] = [];
    const initial: (Expr | undefined)[] = [];
    const historyScope = (what: string, source: ExprSource): Scope => ({
      ...this.scope(`${what}`, source),
      allowStates: false,
      delays: undefined,
    });
    const hidden = (prefix: string, st: string, e: Expr): Expr =>
      e.k === "num" ? this.param(`${prefix}.${st}`, e.v) : e;
    const parsedHistory = this.states.map((st) => {
      const src = historyOf.get(st);
      return src ? this.parse(src, historyScope(`the history of '${st}'`, src)) : undefined;
    });
    const parsedInitial = this.states.map((st) => {
      const src = initialOf.get(st);
      return src ? this.parse(src, historyScope(`the initial value of '${st}'`, src)) : undefined;
    });
    // equations (they register delays)
    const eqOf = new Map<string, ExprSource>();
    for (const eq of spec.equations) {
      if (!this.states.includes(eq.name))
        this.fail(eq.loc, `equation for '${eq.name}', which is not a state${suggest(eq.name, this.states)}`);
      eqOf.set(eq.name, eq.value);
    }
    const rhs = this.states.map((st) => {
      const src = eqOf.get(st);
      if (!src) this.fail(spec.sections["equations"] ?? spec.root, `no equation for state '${st}'`);
      this.currentSource = src;
      return this.parse(src, { ...this.scope(`the equation of '${st}'`, src), delays: this.registry() }).expr;
    });
    const delayed = new Set<number>();
    for (const e of rhs) forEachVar(e, (space, i) => (space === "z" || space === "zd") && delayed.add(i % n));
    // all history.<state> parameters first, then initial.<state>, each in state order
    this.states.forEach((st, i) => {
      const h = parsedHistory[i];
      if (h) history.push(hidden("history", st, h.expr));
      else if (parsedInitial[i] && !delayed.has(i))
        history.push(hidden("initial", st, parsedInitial[i].expr));
      else
        this.fail(
          spec.sections["history"] ?? spec.sections["states"] ?? spec.root,
          `missing history for state '${st}'${delayed.has(i) ? " (its past is read through a delay)" : ""}`,
        );
    });
    this.states.forEach((st, i) => {
      const init = parsedInitial[i];
      initial.push(init && parsedHistory[i] ? hidden("initial", st, init.expr) : undefined);
    });
    this.checkDelays(history);

    const p = Float64Array.from(this.values);
    const np = p.length;
    const sources: Record<string, string> = {};
    const build = <T>(key: string, fs: FunctionSource): T => {
      sources[key] = generateSource(fs);
      return compileSource<T>(sources[key]);
    };
    // Derivatives are compiled on first use: a plain solve never pays for them (large models load much faster).
    const lazy = <O extends object>(
      target: O,
      prop: keyof O & string,
      key: string,
      fs: () => FunctionSource,
    ): void => {
      defineOnFirstRead(target, prop, () => build(key, fs()));
    };

    const f = build<DDEProblem["f"]>("f", {
      name: "rhs",
      params: ["t", "y", "z", "p", "dy", "zd"],
      assignments: rhs.map((e, i) => ({ lhs: `dy[${i}]`, expr: e })),
    });
    const jac = this.jacobians(rhs, np, lazy, build);
    const delays: Delay[] = this.delays.map((d, j) => this.delay(d, j, build, lazy));
    const hist: History = {
      value: build("history", {
        name: "history",
        params: ["t", "p", "out"],
        assignments: history.map((e, i) => ({ lhs: `out[${i}]`, expr: e })),
      }),
      constant: !history.some((e) => dependsOn(e, ["t"])),
    };
    lazy(hist, "derivative", "historyDerivative", () => ({
      name: "historyDerivative",
      params: ["t", "p", "out"],
      assignments: history.map((e, i) => ({ lhs: `out[${i}]`, expr: derivative(e, "t") })),
    }));
    lazy(hist, "dp", "historyDp", () => ({
      name: "historyDp",
      params: ["t", "p", "out"],
      prelude: "out.fill(0);",
      assignments: this.gradientRows(history, np, "out"),
    }));
    let init: InitialValue | undefined;
    if (initial.some((e) => e !== undefined)) {
      const t0 = spec.tspan[0];
      const y0 = initial.map((e, i) => e ?? history[i]!);
      const prelude = `const t = ${t0};`;
      init = {
        value: build("initial", {
          name: "initial",
          params: ["p", "out"],
          prelude,
          assignments: y0.map((e, i) => ({ lhs: `out[${i}]`, expr: e })),
        }),
      };
      lazy(init, "dp", "initialDp", () => ({
        name: "initialDp",
        params: ["p", "out"],
        prelude: `${prelude} out.fill(0);`,
        assignments: this.gradientRows(y0, np, "out"),
      }));
    }
    const problem: DDEProblem = {
      n,
      f,
      delays,
      history: hist,
      initial: init,
      tspan: spec.tspan,
      p,
      jac,
      jumps: spec.jumps.length ? spec.jumps.slice() : undefined,
      stateNames: this.states.slice(),
      paramNames: this.paramNames.slice(),
    };
    const costs = new CostCompiler(spec, (context, source) => this.scope(context, source));
    const cost = spec.cost.flatMap((term) => costs.costTerm(term, true));
    const userGradient: Record<string, Cost> = {};
    for (const g of spec.gradient) {
      if (!this.paramIndex.has(g.name)) {
        this.fail(
          g.loc,
          `unknown gradient target '${g.name}' (targets: ${this.paramNames.join(", ")})${suggest(g.name, this.paramNames)}`,
        );
      }
      userGradient[g.name] = g.value.flatMap((term) => costs.costTerm(term, false));
    }
    return makeModel({
      name: spec.name ?? spec.file.replace(/^.*[\\/]/, "").replace(/\.(ya?ml)$/i, ""),
      file: spec.file,
      problem,
      cost,
      userGradient,
      stateNames: this.states.slice(),
      paramNames: this.paramNames.slice(),
      modelParams,
      delays: this.delays.map(({ lag, kind, neutral, label }) => ({ lag, kind, neutral, label })),
      sources,
    });
  }

  addParam(name: string, value: number): number {
    const i = this.paramNames.length;
    this.paramIndex.set(name, i);
    this.paramNames.push(name);
    this.values.push(value);
    return i;
  }

  param(name: string, value: number): Expr {
    const i = this.paramIndex.get(name) ?? this.addParam(name, value);
    return { k: "var", space: "p", i };
  }

  perState(entries: ModelSpec["history"], section: string): Map<string, ExprSource> {
    const out = new Map<string, ExprSource>();
    for (const e of entries) {
      if (!this.states.includes(e.name))
        this.fail(e.loc, `${section} for '${e.name}', which is not a state${suggest(e.name, this.states)}`);
      out.set(e.name, e.value);
    }
    return out;
  }

  scope(context: string, source: ExprSource): Scope {
    return {
      states: this.states,
      params: this.paramIndex,
      allowStates: true,
      allowT: true,
      context,
      locate: source.locate,
      text: source.text,
    };
  }

  parse(source: ExprSource, scope: Scope): ParsedExpr {
    return { expr: resolve(parseExpression(source.text, source.locate), scope), source };
  }

  registry(): DelayRegistry {
    return {
      register: (lag: Expr, neutral: boolean, span: Span, text: string): number => {
        const key = exprKey(lag);
        let j = this.delayIndex.get(key);
        if (j === undefined) {
          j = this.delays.length;
          this.delayIndex.set(key, j);
          const kind: DelayKind = dependsOn(lag, ["y"])
            ? "state"
            : dependsOn(lag, ["t"])
              ? "time"
              : "constant";
          this.delays.push({ lag, kind, neutral, label: text, source: this.currentSource!, span });
        } else if (neutral) this.delays[j]!.neutral = true;
        return j;
      },
    };
  }

  /** Set by parse() callers of equations; lets delay errors point into the right expression. */
  currentSource: ExprSource | undefined;

  /** A delay must be finite and non-negative; checked where it can be: at t0 and tend with the default parameters. */
  checkDelays(history: Expr[]): void {
    const p = Float64Array.from(this.values);
    const [t0, t1] = this.spec.tspan;
    for (const d of this.delays) {
      const loc = d.source.locate(d.span.start);
      const lag = buildFunction<(t: number, y: Float64Array, p: Float64Array) => number>({
        params: ["t", "y", "p"],
        assignments: [],
        returns: d.lag,
      });
      const histFn = buildFunction<(t: number, p: Float64Array, out: Float64Array) => void>({
        params: ["t", "p", "out"],
        assignments: history.map((e, i) => ({ lhs: `out[${i}]`, expr: e })),
      });
      const y = new Float64Array(this.n);
      histFn(t0, p, y);
      for (const t of d.kind === "constant" ? [t0] : d.kind === "time" ? [t0, t1] : [t0]) {
        const v = lag(t, y, p);
        const where = d.kind === "constant" ? "with the model's parameter values" : `at t = ${t}`;
        if (!Number.isFinite(v))
          throw new GradoptError("E_MODEL", `the delay '${d.label}' is not finite (${v}) ${where}`, loc);
        if (v < 0)
          throw new GradoptError(
            "E_MODEL",
            `the delay '${d.label}' is negative (${v}) ${where}: a delayed value must look into the past`,
            loc,
          );
      }
    }
  }

  /** Rows of d(exprs)/dp as assignments into an n x np matrix. */
  gradientRows(exprs: Expr[], np: number, out: string): Assignment[] {
    const rows: Assignment[] = [];
    exprs.forEach((e, i) => {
      for (const k of varIndices(e, "p")) {
        const d = derivative(e, "p", k);
        if (!(d.k === "num" && d.v === 0)) rows.push({ lhs: `${out}[${i * np + k}]`, expr: d });
      }
    });
    return rows;
  }

  jacobians(rhs: Expr[], np: number, lazy: Lazy, build: Build): RhsJacobians {
    const n = this.n;
    const sig = ["t", "y", "z", "p", "out", "zd"];
    const block = (space: VarSpace, index: (i: number, q: number) => number): Assignment[] => {
      const out: Assignment[] = [];
      rhs.forEach((e, i) => {
        for (const q of varIndices(e, space)) {
          const d = derivative(e, space, q);
          if (!(d.k === "num" && d.v === 0)) out.push({ lhs: `out[${index(i, q)}]`, expr: d });
        }
      });
      return out;
    };
    const dzIndex = (i: number, q: number) => Math.floor(q / n) * n * n + i * n + (q % n);
    const jac: RhsJacobians = {};
    const make = (prop: keyof RhsJacobians, key: string, assignments: () => Assignment[]) =>
      lazy(jac, prop, key, () => ({
        name: key,
        params: sig,
        prelude: "out.fill(0);",
        assignments: assignments(),
      }));
    make("dy", "jacDy", () => block("y", (i, k) => i * n + k));
    make("dz", "jacDz", () => block("z", dzIndex));
    make("dp", "jacDp", () => block("p", (i, k) => i * np + k));
    if (this.delays.some((d) => d.neutral)) make("dzd", "jacDzd", () => block("zd", dzIndex));
    this.products(jac, rhs, np, build);
    return jac;
  }

  /**
   * Matrix-free products jac.jvp / jac.vjp (compiled on first use) from the non-zero partial derivatives only: one
   * generated function evaluates them (common subexpressions once) into a flat list, and index tables apply the list to
   * any number of directions. The f_y and f_z entries come first, so the products that need no parameter column call a
   * second generated function that skips the f_p entries. Neutral terms (f_zd) are not part of the products. The fused
   * jac.fjvp (f and jvp together, forward sensitivities on the solver's stages) evaluates f in the same generated
   * function as the entries (compiled on its first call).
   */
  products(jac: RhsJacobians, rhs: Expr[], np: number, build: Build): void {
    const { n } = this;
    const m = this.delays.length;
    type Entry = { row: number; col: number; expr: Expr };
    const entries = (space: VarSpace): Entry[] => {
      const out: Entry[] = [];
      rhs.forEach((e, i) => {
        for (const q of varIndices(e, space)) {
          const d = derivative(e, space, q);
          if (!(d.k === "num" && d.v === 0)) out.push({ row: i, col: q, expr: d });
        }
      });
      return out;
    };
    let made: SparseProducts | undefined;
    const make = (): SparseProducts => {
      if (made) return made;
      const ey = entries("y");
      const ez = entries("z");
      // f_p by column (compressed sparse columns), so that one parameter's column is a contiguous range.
      const ep = entries("p").sort((a, b) => a.col - b.col || a.row - b.row);
      const all = [...ey, ...ez, ...ep];
      const sig = ["t", "y", "z", "p", "out", "zd"];
      const assign = (list: Entry[]): Assignment[] =>
        list.map((e, k) => ({ lhs: `out[${k}]`, expr: e.expr }));
      const pStart = new Int32Array(np + 1);
      for (const e of ep) pStart[e.col + 1]!++;
      for (let q = 0; q < np; q++) pStart[q + 1] = pStart[q + 1]! + pStart[q]!;
      // f with the entries in one function (fjvp): the subexpressions f and its derivatives share are computed once.
      const withF = (list: Entry[]): Assignment[] => [
        ...rhs.map((e, i) => ({ lhs: `dy[${i}]`, expr: e })),
        ...assign(list),
      ];
      const fused = (key: string, list: Entry[]) => () =>
        build<FusedEntries>(key, { name: key, params: [...sig, "dy"], assignments: withF(list) });
      made = new SparseProducts(
        n,
        m,
        build<Entries>("jacEntriesYZ", {
          name: "jacEntriesYZ",
          params: sig,
          assignments: assign([...ey, ...ez]),
        }),
        build<Entries>("jacEntries", { name: "jacEntries", params: sig, assignments: assign(all) }),
        fused("rhsJacEntriesYZ", [...ey, ...ez]),
        fused("rhsJacEntries", all),
        Int32Array.from(all, (e) => e.row),
        Int32Array.from(all, (e) => e.col),
        ey.length,
        ey.length + ez.length,
        pStart,
      );
      return made;
    };
    const define = (prop: "jvp" | "vjp" | "fjvp") =>
      defineOnFirstRead(jac, prop, () => {
        const sp = make();
        return prop === "jvp" ? sp.jvp : prop === "vjp" ? sp.vjp : sp.fjvp;
      });
    define("jvp");
    define("vjp");
    define("fjvp");
  }

  delay(d: DelayInfo, j: number, build: Build, lazy: Lazy): Delay {
    const sig = ["t", "y", "p", "out"];
    const row = (space: VarSpace) =>
      varIndices(d.lag, space)
        .map((k) => ({ lhs: `out[${k}]`, expr: derivative(d.lag, space, k) }))
        .filter((a) => !(a.expr.k === "num" && a.expr.v === 0));
    const delay: Delay = {
      lag: build(`lag${j}`, { name: `lag${j}`, params: ["t", "y", "p"], assignments: [], returns: d.lag }),
      kind: d.kind,
      label: d.label,
    };
    if (d.neutral) delay.neutral = true;
    lazy(delay, "dLagDy", `lag${j}Dy`, () => ({
      name: `lag${j}Dy`,
      params: sig,
      prelude: "out.fill(0);",
      assignments: row("y"),
    }));
    lazy(delay, "dLagDp", `lag${j}Dp`, () => ({
      name: `lag${j}Dp`,
      params: sig,
      prelude: "out.fill(0);",
      assignments: row("p"),
    }));
    return delay;
  }
}

/** The Jacobian entries of a compiled model into out, in the order of its entry list. */
type Entries = (
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  out: Float64Array,
  zd: Float64Array,
) => void;

/** Entries and f itself (into dy) in one compiled function. */
type FusedEntries = (
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  out: Float64Array,
  zd: Float64Array,
  dy: Float64Array,
) => void;

/**
 * Sparse Jacobian products over a flat list of entries: [0, yEnd) are f_y (row i, column k), [yEnd, zEnd) f_z (column
 * j*n + k), [zEnd, ...) f_p sorted by parameter, parameter q's entries at [zEnd + pStart[q], zEnd + pStart[q + 1]).
 */
class SparseProducts {
  readonly jvp: NonNullable<RhsJacobians["jvp"]>;
  readonly vjp: NonNullable<RhsJacobians["vjp"]>;
  readonly fjvp: NonNullable<RhsJacobians["fjvp"]>;

  constructor(
    n: number,
    m: number,
    entriesYZ: Entries,
    entries: Entries,
    fusedYZ: () => FusedEntries,
    fused: () => FusedEntries,
    row: Int32Array,
    col: Int32Array,
    yEnd: number,
    zEnd: number,
    pStart: Int32Array,
  ) {
    const vals = new Float64Array(Math.max(1, row.length));
    const np = pStart.length - 1;
    const mn = m * n;
    const anyParam = (cols: Int32Array) => {
      for (let d = 0; d < cols.length; d++) if (cols[d]! >= 0 && cols[d]! < np) return true;
      return false;
    };
    const apply = (vy: Float64Array, vz: Float64Array, cols: Int32Array, out: Float64Array) => {
      for (let d = 0; d < cols.length; d++) {
        const oy = d * n;
        const oz = d * mn;
        for (let i = 0; i < n; i++) out[oy + i] = 0;
        for (let e = 0; e < yEnd; e++) out[oy + row[e]!] += vals[e]! * vy[oy + col[e]!]!;
        for (let e = yEnd; e < zEnd; e++) out[oy + row[e]!] += vals[e]! * vz[oz + col[e]!]!;
        const q = cols[d]!;
        if (q < 0 || q >= np) continue;
        for (let e = zEnd + pStart[q]!; e < zEnd + pStart[q + 1]!; e++) out[oy + row[e]!] += vals[e]!;
      }
    };
    this.jvp = (t, y, z, p, zd, vy, vz, cols, out) => {
      (anyParam(cols) ? entries : entriesYZ)(t, y, z, p, vals, zd);
      apply(vy, vz, cols, out);
    };
    let fYZ: FusedEntries | null = null;
    let fAll: FusedEntries | null = null;
    this.fjvp = (t, y, z, p, zd, vy, vz, cols, out, dy) => {
      if (anyParam(cols)) (fAll ??= fused())(t, y, z, p, vals, zd, dy);
      else (fYZ ??= fusedYZ())(t, y, z, p, vals, zd, dy);
      apply(vy, vz, cols, out);
    };
    this.vjp = (t, y, z, p, zd, v, outY, outZ, cols, outP) => {
      (outP && cols.length > 0 ? entries : entriesYZ)(t, y, z, p, vals, zd);
      if (outY) for (let e = 0; e < yEnd; e++) outY[col[e]!] += v[row[e]!]! * vals[e]!;
      if (outZ) for (let e = yEnd; e < zEnd; e++) outZ[col[e]!] += v[row[e]!]! * vals[e]!;
      if (outP)
        for (let d = 0; d < cols.length; d++) {
          const q = cols[d]!;
          if (q < 0 || q >= np) continue;
          let acc = 0;
          for (let e = zEnd + pStart[q]!; e < zEnd + pStart[q + 1]!; e++) acc += v[row[e]!]! * vals[e]!;
          outP[d] += acc;
        }
    };
  }
}
