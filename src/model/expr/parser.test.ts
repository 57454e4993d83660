import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GradoptError } from "../../errors.js";
import type { Ast } from "./ast.js";
import { buildFunction } from "./codegen.js";
import { parseExpression } from "./parser.js";
import { resolve, type Scope } from "./resolve.js";

/** Fully parenthesised rendering, to check precedence and associativity. */
function show(a: Ast): string {
  switch (a.type) {
    case "num":
      return String(a.value);
    case "ident":
      return a.name;
    case "unary":
      return `(${a.op}${show(a.arg)})`;
    case "binary":
      return `(${show(a.left)} ${a.op} ${show(a.right)})`;
    case "cond":
      return `(${show(a.test)} ? ${show(a.then)} : ${show(a.else)})`;
    case "call":
      return `${show(a.callee)}[${a.args.map(show).join(", ")}]`;
  }
}

const scope = (over: Partial<Scope> = {}): Scope => ({
  states: ["x", "y"],
  params: new Map([
    ["a", 0],
    ["b", 1],
  ]),
  allowStates: true,
  allowT: true,
  context: "the test",
  ...over,
});

/** Evaluates a closed expression (only numbers, t and the params a=2, b=3, states x=5, y=7) through codegen. */
function evaluate(src: string): number {
  const e = resolve(parseExpression(src), { ...scope(), text: src });
  const fn = buildFunction<(t: number, y: Float64Array, p: Float64Array) => number>({
    params: ["t", "y", "p"],
    assignments: [],
    returns: e,
  });
  return fn(0.5, Float64Array.of(5, 7), Float64Array.of(2, 3));
}

function errorOf(src: string, sc: Scope = scope()): GradoptError {
  try {
    resolve(parseExpression(src), { ...sc, text: src });
  } catch (err) {
    expect(err).toBeInstanceOf(GradoptError);
    return err as GradoptError;
  }
  throw new Error(`no error for '${src}'`);
}

describe("parser", () => {
  it.each([
    ["1 + 2 * 3", "(1 + (2 * 3))"],
    ["1 - 2 - 3", "((1 - 2) - 3)"],
    ["2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"],
    ["-x ^ 2", "(-(x ^ 2))"],
    ["2 ** -x", "(2 ^ (-x))"],
    ["a < b && b <= 2 || !x", "(((a < b) && (b <= 2)) || (!x))"],
    ["x > 0 ? 1 : x < -1 ? 2 : 3", "((x > 0) ? 1 : ((x < (-1)) ? 2 : 3))"],
    ["y(t - tau)", "y[(t - tau)]"],
    ["d(y)(t - 1)", "d[y][(t - 1)]"],
    ["max(1, 2, 3)", "max[1, 2, 3]"],
    ["1.5e-3 + .5 + 2E2", "((0.0015 + 0.5) + 200)"],
  ])("%s", (src, expected) => {
    expect(show(parseExpression(src))).toBe(expected);
  });

  it("keeps exact spans", () => {
    const ast = parseExpression("  a +  sin(x)");
    expect(ast.type === "binary" && [ast.right.start, ast.right.end, ast.opStart]).toEqual([7, 13, 4]);
  });

  it.each([
    ["1 +", 4, "expected a number"],
    ["(1 + 2", 7, "expected ')'"],
    ["1 2", 3, "expected an operator"],
    ["a = b", 3, "use '=='"],
    ["a # b", 3, "unexpected character '#'"],
    ["sin(x,", 7, "expected a number"],
    ["2x", 1, "malformed number"],
    ["", 1, "empty expression"],
    ["x ? 1", 6, "expected ':'"],
  ])("syntax error in '%s' at column %i", (src, column, message) => {
    const err = errorOf(src);
    expect(err.code).toBe("E_PARSE");
    expect(err.location?.column).toBe(column);
    expect(err.message).toContain(message);
  });
});

describe("name resolution", () => {
  it.each([
    ["x + foo", 5, "unknown name 'foo'"],
    ["exp(x, 2)", 1, "exp() takes 1 argument, got 2"],
    ["min(x)", 1, "at least 2 arguments"],
    ["sinn(x)", 1, "unknown function 'sinn' (did you mean 'sin'?)"],
    ["a(t - 1)", 1, "'a' is a parameter, not a state"],
    ["x(t + 1)", 3, "negative delay -1"],
    ["x(t - 1, 2)", 1, "takes one argument"],
    ["x(t - y(t - 1))", 7, "inside another delay's lag"],
    ["d(a)(t - 1)", 3, "d(...) takes one state name"],
    ["d(x)", 1, "needs a time"],
    ["d(x)(t)", 6, "zero delay"],
    ["exp + 1", 1, "is a function"],
  ])("'%s' -> column %i: %s", (src, column, message) => {
    const err = errorOf(src, scope({ delays: { register: () => 0 } }));
    expect(err.location?.column).toBe(column);
    expect(err.message).toContain(message);
  });

  it("rejects delayed values, states and t where they are not allowed", () => {
    expect(errorOf("x(t - 1)").message).toContain("not allowed in the test");
    expect(errorOf("a + x", scope({ allowStates: false })).message).toContain("state 'x' cannot appear");
    expect(errorOf("t", scope({ allowT: false })).message).toContain("'t' cannot appear");
  });

  it("reads y(t) as the current state and y(t - lag) with the lag as written", () => {
    const lags: string[] = [];
    const sc = scope({ delays: { register: (_lag, _neutral, _span, text) => (lags.push(text), 0) } });
    const src = "x(t) + y(t - a) + y(t/2)";
    const e = resolve(parseExpression(src), { ...sc, text: src });
    expect(lags).toEqual(["a", "t - (t/2)"]);
    expect(e.k).toBe("fn");
  });
});

describe("evaluation through codegen", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["2 ^ 3 ^ 2", 512],
    ["-x ^ 2", -25],
    ["a * x + b", 13],
    ["x > 4 ? a : b", 2],
    ["if(x < 4, a, b)", 3],
    ["min(x, y, a) + max(1, b)", 5],
    ["abs(-3) + sign(-2) + heaviside(0) + step(-1)", 3],
    ["sqrt(16) + cbrt(27) + exp(0) + log(e) + ln(1)", 9],
    ["sin(pi / 2) + cos(0) + tan(0) + tanh(0) + sinh(0) + cosh(0)", 3],
    ["atan2(1, 1) * 4 / pi", 1],
    ["pow(x, 2) + x^3 + x^-1", 150.2],
    ["floor(2.7) + ceil(2.1) + round(2.5)", 8],
    ["sigmoid(0) + hypot(3, 4)", 5.5],
    ["t * 2", 1],
    ["(x == 5) + (x != 5) + (x >= 5) + (x <= 4) + !(x)", 2],
  ])("%s = %d", (src, value) => {
    expect(evaluate(src)).toBeCloseTo(value, 12);
  });

  it("agrees with JavaScript on random arithmetic", () => {
    const leaf = fc.oneof(
      fc.constantFrom("x", "y", "a", "b", "t"),
      fc.double({ min: 0.1, max: 10, noNaN: true }).map((v) => v.toFixed(3)),
    );
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("bin"), tie("fn")),
      bin: fc
        .tuple(tie("node"), fc.constantFrom("+", "-", "*", "/"), tie("node"))
        .map(([l, op, r]) => `(${l} ${op} ${r})`),
      fn: fc
        .tuple(fc.constantFrom("sin", "cos", "tanh", "exp"), tie("node"))
        .map(([f, a]) => `${f}(${a} / 100)`),
    })).node as fc.Arbitrary<string>;
    fc.assert(
      fc.property(tree, (src) => {
        const js = src
          .replace(/\b(sin|cos|tanh|exp)\(/g, "Math.$1(")
          .replace(/\bx\b/g, "5")
          .replace(/\by\b/g, "7")
          .replace(/\ba\b/g, "2")
          .replace(/\bb\b/g, "3")
          .replace(/\bt\b/g, "0.5");
        const expected = Function(`return ${js};`)() as number;
        const got = evaluate(src);
        if (Number.isFinite(expected))
          expect(got).toBeCloseTo(expected, 6 - Math.max(0, Math.log10(Math.abs(expected) + 1)));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe("robustness", () => {
  it("throws only GradoptError on arbitrary input", () => {
    const alphabet = fc.constantFrom(
      ..."xyabt()+-*/^,?:<>=!&|.e1 d23".split(""),
      "sin",
      "y(t-",
      "d(x)(",
      "max(",
      "**",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 30 }).map((a) => a.join("")),
        ),
        (src) => {
          try {
            resolve(parseExpression(src), { ...scope({ delays: { register: () => 0 } }), text: src });
          } catch (err) {
            if (!(err instanceof GradoptError)) throw err;
            expect(err.location?.column).toBeGreaterThanOrEqual(1);
            expect(err.location!.column!).toBeLessThanOrEqual(src.length + 1);
          }
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });
});
