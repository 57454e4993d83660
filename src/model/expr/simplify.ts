/**
 * Smart constructors: every Expr is built through these, so trees are simplified as they are made (constants folded,
 * x + 0, x * 1, x * 0, x ^ 1, x - x, double negation, ...). Derivatives stay small without a separate rewrite pass.
 */
import { exprEqual, isNum, type Expr, type FnName, type VarSpace } from "./ast.js";
import { FUNCTIONS } from "./functions.js";

export const num = (v: number): Expr => ({ k: "num", v });
export const ZERO = num(0);
export const ONE = num(1);
export const variable = (space: VarSpace, i = 0): Expr => ({ k: "var", space, i });

const same = exprEqual;

export function add(a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) return num(a.v + b.v);
  if (isNum(a, 0)) return b;
  if (isNum(b, 0)) return a;
  if (b.k === "fn" && b.f === "neg") return sub(a, b.a[0]!);
  if (a.k === "fn" && a.f === "neg") return sub(b, a.a[0]!);
  if (isNum(b)) return raw("add", b, a); // constants first: 1 + x
  return raw("add", a, b);
}

export function sub(a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) return num(a.v - b.v);
  if (isNum(b, 0)) return a;
  if (isNum(a, 0)) return neg(b);
  if (same(a, b)) return ZERO;
  if (b.k === "fn" && b.f === "neg") return add(a, b.a[0]!);
  // t - (t - x) = x, (t + x) - t = x: makes lags of y(t - tau) read as written.
  if (b.k === "fn" && b.f === "sub" && same(a, b.a[0]!)) return b.a[1]!;
  if (b.k === "fn" && b.f === "add" && same(a, b.a[0]!)) return neg(b.a[1]!);
  if (b.k === "fn" && b.f === "add" && same(a, b.a[1]!)) return neg(b.a[0]!);
  if (a.k === "fn" && a.f === "add" && same(a.a[0]!, b)) return a.a[1]!;
  if (a.k === "fn" && a.f === "add" && same(a.a[1]!, b)) return a.a[0]!;
  return raw("sub", a, b);
}

export function neg(a: Expr): Expr {
  if (isNum(a)) return num(-a.v);
  if (a.k === "fn" && a.f === "neg") return a.a[0]!;
  if (a.k === "fn" && a.f === "sub") return sub(a.a[1]!, a.a[0]!);
  return raw("neg", a);
}

export function mul(a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) return num(a.v * b.v);
  if (isNum(b)) return mul(b, a); // constants first
  if (isNum(a, 0)) return ZERO; // 0 * x = 0 (we accept the NaN/Inf caveat, as every CAS does)
  if (isNum(a, 1)) return b;
  if (isNum(a, -1)) return neg(b);
  if (a.k === "fn" && a.f === "neg") return neg(mul(a.a[0]!, b));
  if (b.k === "fn" && b.f === "neg") return neg(mul(a, b.a[0]!));
  // c1 * (c2 * x) = (c1 c2) * x
  if (isNum(a) && b.k === "fn" && b.f === "mul" && isNum(b.a[0]!)) return mul(num(a.v * b.a[0].v), b.a[1]!);
  if (same(a, b)) return pow(a, num(2));
  return raw("mul", a, b);
}

export function div(a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b) && b.v !== 0) return num(a.v / b.v);
  if (isNum(a, 0)) return ZERO;
  if (isNum(b, 1)) return a;
  if (isNum(b, -1)) return neg(a);
  if (isNum(b) && b.v !== 0) return mul(num(1 / b.v), a);
  if (same(a, b)) return ONE;
  if (a.k === "fn" && a.f === "neg") return neg(div(a.a[0]!, b));
  if (b.k === "fn" && b.f === "neg") return neg(div(a, b.a[0]!));
  return raw("div", a, b);
}

export function pow(a: Expr, b: Expr): Expr {
  if (isNum(a) && isNum(b)) return num(a.v ** b.v);
  if (isNum(b, 0)) return ONE;
  if (isNum(b, 1)) return a;
  if (isNum(a, 1)) return ONE;
  // (x^c1)^c2 = x^(c1 c2) for integer c2 (no sign trouble)
  if (isNum(b) && Number.isInteger(b.v) && a.k === "fn" && a.f === "pow" && isNum(a.a[1]!)) {
    return pow(a.a[0]!, num(a.a[1].v * b.v));
  }
  return raw("pow", a, b);
}

/** Any operator or function by name, folding constants where the function is pure and total. */
export function call(f: FnName, args: readonly Expr[]): Expr {
  switch (f) {
    case "add":
      return add(args[0]!, args[1]!);
    case "sub":
      return sub(args[0]!, args[1]!);
    case "mul":
      return mul(args[0]!, args[1]!);
    case "div":
      return div(args[0]!, args[1]!);
    case "neg":
      return neg(args[0]!);
    case "pow":
      return pow(args[0]!, args[1]!);
    case "cond": {
      const [c, a, b] = args as [Expr, Expr, Expr];
      if (isNum(c)) return c.v !== 0 ? a : b;
      if (same(a, b)) return a;
      return raw("cond", c, a, b);
    }
    case "min":
    case "max":
      if (args.length > 2) return call(f, [args[0]!, call(f, args.slice(1))]);
      break;
  }
  if (args.every((a) => a.k === "num")) {
    const spec = FUNCTIONS[f];
    const v = spec.evaluate(args.map((a) => (a as { v: number }).v));
    if (Number.isFinite(v)) return num(v);
  }
  return raw(f, ...args);
}

function raw(f: FnName, ...a: Expr[]): Expr {
  return { k: "fn", f, a };
}
