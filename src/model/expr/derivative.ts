/**
 * Symbolic differentiation of resolved expressions with respect to one variable (a state, a delayed state, a lagged
 * derivative, a parameter, or t). Results are built through the smart constructors, so they come out simplified, and
 * derivatives of shared subtrees are memoised per call (a model's Jacobian reuses them).
 */
import type { Expr, VarSpace } from "./ast.js";
import { add, call, div, mul, neg, num, ONE, pow, sub, ZERO } from "./simplify.js";

export function derivative(e: Expr, space: VarSpace, index = 0): Expr {
  const memo = new Map<Expr, Expr>();
  const d = (x: Expr): Expr => {
    let r = memo.get(x);
    if (r === undefined) {
      r = rule(x, d, space, index);
      memo.set(x, r);
    }
    return r;
  };
  return d(e);
}

function rule(e: Expr, d: (x: Expr) => Expr, space: VarSpace, index: number): Expr {
  if (e.k === "num") return ZERO;
  if (e.k === "var") return e.space === space && (space === "t" || e.i === index) ? ONE : ZERO;
  const a = e.a[0]!;
  const b = e.a[1]!;
  const da = d(a);
  switch (e.f) {
    case "add":
      return add(da, d(b));
    case "sub":
      return sub(da, d(b));
    case "neg":
      return neg(da);
    case "mul":
      return add(mul(da, b), mul(a, d(b)));
    case "div": {
      const db = d(b);
      return sub(div(da, b), div(mul(a, db), pow(b, num(2))));
    }
    case "pow": {
      const db = d(b);
      if (db.k === "num" && db.v === 0) {
        if (b.k === "num") return mul(mul(b, pow(a, num(b.v - 1))), da);
        return mul(mul(b, pow(a, sub(b, ONE))), da);
      }
      // d(a^b) = a^b (b' log a + b a'/a)
      return mul(e, add(mul(db, call("log", [a])), div(mul(b, da), a)));
    }
    case "lt":
    case "le":
    case "gt":
    case "ge":
    case "eq":
    case "ne":
    case "and":
    case "or":
    case "not":
    case "sign":
    case "heaviside":
    case "floor":
    case "ceil":
    case "round":
      return ZERO; // piecewise constant (the jump itself is a breaking point, not a derivative)
    case "cond":
      return call("cond", [a, d(b), d(e.a[2]!)]);
    case "exp":
      return mul(e, da);
    case "expm1":
      return mul(call("exp", [a]), da);
    case "log":
      return div(da, a);
    case "log10":
      return div(da, mul(num(Math.LN10), a));
    case "log2":
      return div(da, mul(num(Math.LN2), a));
    case "log1p":
      return div(da, add(ONE, a));
    case "sqrt":
      return div(da, mul(num(2), e));
    case "cbrt":
      return div(da, mul(num(3), pow(e, num(2))));
    case "sin":
      return mul(call("cos", [a]), da);
    case "cos":
      return neg(mul(call("sin", [a]), da));
    case "tan":
      return mul(add(ONE, pow(e, num(2))), da);
    case "asin":
      return div(da, call("sqrt", [sub(ONE, pow(a, num(2)))]));
    case "acos":
      return neg(div(da, call("sqrt", [sub(ONE, pow(a, num(2)))])));
    case "atan":
      return div(da, add(ONE, pow(a, num(2))));
    case "atan2": {
      // atan2(a, b) = angle of (b, a): d = (b da - a db) / (a^2 + b^2)
      return div(sub(mul(b, da), mul(a, d(b))), add(pow(a, num(2)), pow(b, num(2))));
    }
    case "sinh":
      return mul(call("cosh", [a]), da);
    case "cosh":
      return mul(call("sinh", [a]), da);
    case "tanh":
      return mul(sub(ONE, pow(e, num(2))), da);
    case "asinh":
      return div(da, call("sqrt", [add(pow(a, num(2)), ONE)]));
    case "acosh":
      return div(da, call("sqrt", [sub(pow(a, num(2)), ONE)]));
    case "atanh":
      return div(da, sub(ONE, pow(a, num(2))));
    case "abs":
      return mul(call("sign", [a]), da);
    case "min":
      return call("cond", [call("le", [a, b]), da, d(b)]);
    case "max":
      return call("cond", [call("ge", [a, b]), da, d(b)]);
    case "sigmoid":
      return mul(mul(e, sub(ONE, e)), da);
    case "hypot":
      return div(add(mul(a, da), mul(b, d(b))), e);
  }
}
