/**
 * The function table: what users may call, with its arity and numeric meaning (constant folding, and the semantics the
 * generated code must reproduce). Derivative rules live in derivative.ts, JavaScript spellings in codegen.ts.
 */
import type { FnName } from "./ast.js";

export interface FunctionSpec {
  /** Fewest and most arguments (Infinity: variadic). */
  minArgs: number;
  maxArgs: number;
  evaluate(args: number[]): number;
  /** One-line description for `unknown function` messages and docs. */
  doc?: string;
}

const b = (x: boolean) => (x ? 1 : 0);
const unary = (fn: (x: number) => number, doc?: string): FunctionSpec => ({
  minArgs: 1,
  maxArgs: 1,
  evaluate: (a) => fn(a[0]!),
  doc,
});
const binary = (fn: (x: number, y: number) => number): FunctionSpec => ({
  minArgs: 2,
  maxArgs: 2,
  evaluate: (a) => fn(a[0]!, a[1]!),
});

export const heaviside = (x: number): number => (x >= 0 ? 1 : 0);
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const FUNCTIONS: Record<FnName, FunctionSpec> = {
  add: binary((x, y) => x + y),
  sub: binary((x, y) => x - y),
  mul: binary((x, y) => x * y),
  div: binary((x, y) => x / y),
  neg: unary((x) => -x),
  pow: binary((x, y) => x ** y),
  lt: binary((x, y) => b(x < y)),
  le: binary((x, y) => b(x <= y)),
  gt: binary((x, y) => b(x > y)),
  ge: binary((x, y) => b(x >= y)),
  eq: binary((x, y) => b(x === y)),
  ne: binary((x, y) => b(x !== y)),
  and: binary((x, y) => b(x !== 0 && y !== 0)),
  or: binary((x, y) => b(x !== 0 || y !== 0)),
  not: unary((x) => b(x === 0)),
  cond: { minArgs: 3, maxArgs: 3, evaluate: (a) => (a[0] !== 0 ? a[1]! : a[2]!) },
  exp: unary(Math.exp),
  log: unary(Math.log),
  log10: unary(Math.log10),
  log2: unary(Math.log2),
  log1p: unary(Math.log1p),
  expm1: unary(Math.expm1),
  sqrt: unary(Math.sqrt),
  cbrt: unary(Math.cbrt),
  sin: unary(Math.sin),
  cos: unary(Math.cos),
  tan: unary(Math.tan),
  asin: unary(Math.asin),
  acos: unary(Math.acos),
  atan: unary(Math.atan),
  atan2: binary(Math.atan2),
  sinh: unary(Math.sinh),
  cosh: unary(Math.cosh),
  tanh: unary(Math.tanh),
  asinh: unary(Math.asinh),
  acosh: unary(Math.acosh),
  atanh: unary(Math.atanh),
  abs: unary(Math.abs),
  sign: unary(Math.sign),
  heaviside: unary(heaviside),
  min: { minArgs: 2, maxArgs: Infinity, evaluate: (a) => Math.min(...a) },
  max: { minArgs: 2, maxArgs: Infinity, evaluate: (a) => Math.max(...a) },
  floor: unary(Math.floor),
  ceil: unary(Math.ceil),
  round: unary(Math.round),
  sigmoid: unary(sigmoid),
  hypot: binary(Math.hypot),
};

/** User functions that are JavaScript `Math` functions of the same name: code generation calls them directly. */
export const MATH_FUNCTIONS = [
  "exp",
  "log",
  "log10",
  "log2",
  "log1p",
  "expm1",
  "sqrt",
  "cbrt",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "atan2",
  "sinh",
  "cosh",
  "tanh",
  "asinh",
  "acosh",
  "atanh",
  "abs",
  "sign",
  "min",
  "max",
  "floor",
  "ceil",
  "round",
  "hypot",
  "pow",
] as const;

/** Names users write, mapped to the resolved function (a few aliases included). */
export const USER_FUNCTIONS: ReadonlyMap<string, FnName> = new Map<string, FnName>([
  ...[...MATH_FUNCTIONS, "heaviside" as const, "sigmoid" as const].map((n): [string, FnName] => [n, n]),
  ["ln", "log"],
  ["step", "heaviside"],
  ["logistic", "sigmoid"],
  ["arcsin", "asin"],
  ["arccos", "acos"],
  ["arctan", "atan"],
  ["if", "cond"],
]);

/** Named constants (a state or parameter of the same name shadows them). */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ["pi", Math.PI],
  ["e", Math.E],
  ["inf", Infinity],
  ["Inf", Infinity],
]);
