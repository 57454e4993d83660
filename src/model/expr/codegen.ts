/**
 * Turns resolved expressions into plain JavaScript functions (via `new Function`): no interpreter in the hot loop.
 * Variables are read once into locals, subexpressions that occur more than once (across all outputs of the function)
 * are computed once into a `const`, and small integer powers become multiplications.
 */
import { exprKey, type Expr, type FnName } from "./ast.js";
import { heaviside, MATH_FUNCTIONS, sigmoid } from "./functions.js";

/** One assignment of the generated function: `lhs = expr;` (lhs like "dy[0]"), or the return value. */
export interface Assignment {
  lhs: string;
  expr: Expr;
}

export interface FunctionSource {
  /** Parameter names, e.g. ["t", "y", "z", "p", "dy", "zd"]. Arrays must be named y, z, zd, p as the variables are. */
  params: readonly string[];
  assignments: readonly Assignment[];
  /** Statements before the assignments (e.g. `out.fill(0);`). */
  prelude?: string;
  /** When set, the function returns this expression. */
  returns?: Expr;
  /** A name for stack traces and debugging. */
  name?: string;
}

const HELPERS = { ...Object.fromEntries(MATH_FUNCTIONS.map((n) => [n, Math[n]])), heaviside, sigmoid };

const INFIX: Partial<Record<FnName, string>> = { add: "+", sub: "-", mul: "*", div: "/" };
const COMPARE: Partial<Record<FnName, string>> = {
  lt: "<",
  le: "<=",
  gt: ">",
  ge: ">=",
  eq: "===",
  ne: "!==",
};

/** Generates the JavaScript text of the function (exposed for tests and `--debug` dumps). */
export function generateSource(spec: FunctionSource): string {
  const all = spec.assignments.map((a) => a.expr);
  if (spec.returns) all.push(spec.returns);

  // Count occurrences of each compound subtree; a repeated subtree's children are counted once.
  const count = new Map<string, number>();
  const visit = (e: Expr, weight: number): void => {
    if (e.k !== "fn") return;
    const key = exprKey(e);
    const seen = count.get(key) ?? 0;
    count.set(key, seen + weight);
    if (seen > 0) return;
    e.a.forEach((child, i) => visit(child, i === 0 && e.f === "pow" && isSmallPower(e.a[1]!) ? 2 : 1));
  };
  for (const e of all) visit(e, 1);

  const loads = new Map<string, string>(); // "y3" -> "const y3 = y[3];"
  const temps = new Map<string, string>(); // subtree key -> temp name
  const body: string[] = [];

  const emit = (e: Expr): string => {
    if (e.k === "num") return literal(e.v);
    if (e.k === "var") {
      if (e.space === "t") return "t";
      const local = `${e.space}_${e.i}`;
      if (!loads.has(local)) loads.set(local, `const ${local} = ${e.space}[${e.i}];`);
      return local;
    }
    const key = exprKey(e);
    const existing = temps.get(key);
    if (existing) return existing;
    const code = emitCall(e.f, e.a, emit);
    if ((count.get(key) ?? 0) < 2) return code;
    const name = `c${temps.size}`;
    temps.set(key, name);
    body.push(`const ${name} = ${code};`);
    return name;
  };

  for (const a of spec.assignments) {
    const code = emit(a.expr);
    body.push(`${a.lhs} = ${code};`);
  }
  if (spec.returns) body.push(`return ${emit(spec.returns)};`);

  const lines = [...loads.values(), ...(spec.prelude ? [spec.prelude] : []), ...body];
  return `function ${spec.name ?? "generated"}(${spec.params.join(", ")}) {\n  ${lines.join("\n  ")}\n}`;
}

/** Compiles the function; `T` is the caller's signature (the generated parameters must match it). */
export function buildFunction<T>(spec: FunctionSource): T {
  return compileSource<T>(generateSource(spec));
}

/** Compiles source text made by generateSource. */
export function compileSource<T>(source: string): T {
  const factory = new Function(
    "H",
    `const { ${Object.keys(HELPERS).join(", ")} } = H;\nreturn ${source};`,
  ) as (h: typeof HELPERS) => T;
  return factory(HELPERS);
}

const isSmallPower = (e: Expr) => e.k === "num" && (e.v === 2 || e.v === 3 || e.v === -2);

function emitCall(f: FnName, args: readonly Expr[], emit: (e: Expr) => string): string {
  const infix = INFIX[f];
  if (infix) return `(${emit(args[0]!)} ${infix} ${emit(args[1]!)})`;
  const cmp = COMPARE[f];
  if (cmp) return `(${emit(args[0]!)} ${cmp} ${emit(args[1]!)} ? 1 : 0)`;
  switch (f) {
    case "neg":
      return `(-${emit(args[0]!)})`;
    case "pow":
      return emitPow(args[0]!, args[1]!, emit);
    case "and":
      return `(${emit(args[0]!)} !== 0 && ${emit(args[1]!)} !== 0 ? 1 : 0)`;
    case "or":
      return `(${emit(args[0]!)} !== 0 || ${emit(args[1]!)} !== 0 ? 1 : 0)`;
    case "not":
      return `(${emit(args[0]!)} === 0 ? 1 : 0)`;
    case "cond":
      return `(${emitTest(args[0]!, emit)} ? ${emit(args[1]!)} : ${emit(args[2]!)})`;
    case "heaviside":
      return `(${emit(args[0]!)} >= 0 ? 1 : 0)`;
    default:
      return `${f}(${args.map(emit).join(", ")})`;
  }
}

/** A condition as a JavaScript boolean, without the `? 1 : 0` round trip for comparisons. */
function emitTest(c: Expr, emit: (e: Expr) => string): string {
  if (c.k === "fn") {
    const cmp = COMPARE[c.f];
    if (cmp) return `${emit(c.a[0]!)} ${cmp} ${emit(c.a[1]!)}`;
    if (c.f === "and") return `(${emitTest(c.a[0]!, emit)} && ${emitTest(c.a[1]!, emit)})`;
    if (c.f === "or") return `(${emitTest(c.a[0]!, emit)} || ${emitTest(c.a[1]!, emit)})`;
    if (c.f === "not") return `!(${emitTest(c.a[0]!, emit)})`;
  }
  return `${emit(c)} !== 0`;
}

function emitPow(base: Expr, exponent: Expr, emit: (e: Expr) => string): string {
  const x = emit(base);
  if (exponent.k === "num") {
    switch (exponent.v) {
      case 2:
        return `(${x} * ${x})`;
      case 3:
        return `(${x} * ${x} * ${x})`;
      case -1:
        return `(1 / ${x})`;
      case -2:
        return `(1 / (${x} * ${x}))`;
      case 0.5:
        return `sqrt(${x})`;
    }
  }
  return `pow(${x}, ${emit(exponent)})`;
}

function literal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  return v < 0 || Object.is(v, -0) ? `(${String(v)})` : String(v);
}
