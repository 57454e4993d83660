/**
 * Two trees. `Ast` is what the parser produces: syntax with character offsets, used for messages. `Expr` is what the
 * compiler works on: resolved symbols (a state, a delayed state, a parameter, t), no positions, built only through the
 * smart constructors in simplify.ts so that every tree is already simplified.
 */

/** Offsets are 0-based character indices into the expression text; `end` is exclusive. */
export interface Span {
  start: number;
  end: number;
}

export type BinaryOp = "+" | "-" | "*" | "/" | "^" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "&&" | "||";
export type UnaryOp = "-" | "+" | "!";

export type Ast =
  | ({ type: "num"; value: number } & Span)
  | ({ type: "ident"; name: string } & Span)
  | ({ type: "unary"; op: UnaryOp; arg: Ast } & Span)
  | ({ type: "binary"; op: BinaryOp; left: Ast; right: Ast; opStart: number } & Span)
  | ({ type: "cond"; test: Ast; then: Ast; else: Ast } & Span)
  /** f(args) — also y(t - tau) (callee a state) and d(y)(t - tau) (callee itself a call). */
  | ({ type: "call"; callee: Ast; args: Ast[] } & Span);

/** Where a variable lives in the compiled function's arguments. */
export type VarSpace = "t" | "y" | "z" | "zd" | "p";

/** Operators and functions of the resolved tree; comparisons and logic give 1 or 0, `cond` tests `!= 0`. */
export type FnName =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "neg"
  | "pow"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "eq"
  | "ne"
  | "and"
  | "or"
  | "not"
  | "cond"
  | "exp"
  | "log"
  | "log10"
  | "log2"
  | "log1p"
  | "expm1"
  | "sqrt"
  | "cbrt"
  | "sin"
  | "cos"
  | "tan"
  | "asin"
  | "acos"
  | "atan"
  | "atan2"
  | "sinh"
  | "cosh"
  | "tanh"
  | "asinh"
  | "acosh"
  | "atanh"
  | "abs"
  | "sign"
  | "heaviside"
  | "min"
  | "max"
  | "floor"
  | "ceil"
  | "round"
  | "sigmoid"
  | "hypot";

export type Expr =
  | { readonly k: "num"; readonly v: number }
  | { readonly k: "var"; readonly space: VarSpace; readonly i: number }
  | { readonly k: "fn"; readonly f: FnName; readonly a: readonly Expr[] };

export const isNum = (e: Expr, v?: number): e is { k: "num"; v: number } =>
  e.k === "num" && (v === undefined || e.v === v);

const keys = new WeakMap<Expr, string>();

/** A structural key: equal keys mean equal expressions (used to share subexpressions and deduplicate delays). */
export function exprKey(e: Expr): string {
  let key = keys.get(e);
  if (key !== undefined) return key;
  if (e.k === "num") key = Object.is(e.v, -0) ? "0" : String(e.v);
  else if (e.k === "var") key = e.space === "t" ? "t" : `${e.space}${e.i}`;
  else key = `${e.f}(${e.a.map(exprKey).join(",")})`;
  keys.set(e, key);
  return key;
}

/** Structural equality without building keys (fails fast on the first difference). */
export function exprEqual(a: Expr, b: Expr): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  if (a.k === "num")
    return a.v === (b as typeof a).v || (Number.isNaN(a.v) && Number.isNaN((b as typeof a).v));
  if (a.k === "var") return a.space === (b as typeof a).space && a.i === (b as typeof a).i;
  const fb = b as typeof a;
  if (a.f !== fb.f || a.a.length !== fb.a.length) return false;
  for (let i = 0; i < a.a.length; i++) if (!exprEqual(a.a[i]!, fb.a[i]!)) return false;
  return true;
}

/** Calls `visit` on every variable in `e`. */
export function forEachVar(e: Expr, visit: (space: VarSpace, i: number) => void): void {
  if (e.k === "var") visit(e.space, e.i);
  else if (e.k === "fn") for (const a of e.a) forEachVar(a, visit);
}

/** Sorted distinct indices of the variables of one space in `e`. */
export function varIndices(e: Expr, space: VarSpace): number[] {
  const set = new Set<number>();
  forEachVar(e, (s, i) => s === space && set.add(i));
  return [...set].sort((a, b) => a - b);
}

/** True when `e` reads a variable of one of `spaces`. */
export function dependsOn(e: Expr, spaces: readonly VarSpace[]): boolean {
  let found = false;
  forEachVar(e, (space) => {
    if (spaces.includes(space)) found = true;
  });
  return found;
}
