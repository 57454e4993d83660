import { describe, expect, it } from "vitest";
import type { Expr, VarSpace } from "./ast.js";
import { buildFunction, generateSource } from "./codegen.js";
import { derivative } from "./derivative.js";
import { parseExpression } from "./parser.js";
import { resolve } from "./resolve.js";

type Fn = (t: number, y: Float64Array, z: Float64Array, p: Float64Array) => number;

/** Resolves `src` with states x, y (delayed values through lag "1": z[0], z[1]) and params a, b. */
function compile(src: string): Expr {
  return resolve(parseExpression(src), {
    states: ["x", "y"],
    params: new Map([
      ["a", 0],
      ["b", 1],
    ]),
    allowStates: true,
    allowT: true,
    context: "the test",
    text: src,
    delays: { register: () => 0 },
  });
}

const fn = (e: Expr) => buildFunction<Fn>({ params: ["t", "y", "z", "p"], assignments: [], returns: e });

/** A seeded uniform generator so failures reproduce. */
function rng(seed: number) {
  let s = seed;
  return (lo: number, hi: number) => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return lo + ((hi - lo) * s) / 4294967296;
  };
}

const CASES = [
  "a * x * (1 - y(t - 1) / b)",
  "b * x(t - 1) / (1 + x(t - 1)^10) - a * x",
  "exp(-a * t) * sin(x * y) + cos(b) * tanh(y)",
  "log(1 + x^2) + sqrt(1 + y^2) + cbrt(x + 3)",
  "x^b + b^x + pow(a, y)",
  "atan(x) + asin(y / 10) + acos(x / 10) + atan2(y, x)",
  "sinh(x / 5) + cosh(y / 5) + asinh(x) + acosh(2 + y^2) + atanh(x / 10)",
  "abs(x - y) + min(x, y, a) + max(x * y, b)",
  "x > y ? a * x^2 : b * y^3",
  "sigmoid(a * x - b) + hypot(x, y) + log10(2 + x^2) + log2(2 + y^2) + log1p(x^2) + expm1(y / 10)",
  "x / y - y / x + 1 / (a + b * x^2)",
  "tan(x / 10) + heaviside(x) * y + sign(y) * x",
];

describe("symbolic derivatives vs central differences", () => {
  const spaces: [VarSpace, number][] = [
    ["y", 0],
    ["y", 1],
    ["z", 0],
    ["z", 1],
    ["p", 0],
    ["p", 1],
    ["t", 0],
  ];
  it.each(CASES)("%s", (src) => {
    const e = compile(src);
    const f = fn(e);
    const rand = rng(src.length * 7919);
    for (let trial = 0; trial < 20; trial++) {
      const t = rand(0.1, 3);
      const y = Float64Array.of(rand(0.3, 2), rand(0.3, 2));
      const z = Float64Array.of(rand(0.3, 2), rand(0.3, 2));
      const p = Float64Array.of(rand(0.3, 2), rand(0.3, 2));
      for (const [space, i] of spaces) {
        const d = fn(derivative(e, space, i))(t, y, z, p);
        const arr = space === "y" ? y : space === "z" ? z : space === "p" ? p : null;
        const x0 = arr ? arr[i]! : t;
        const h = 1e-6 * Math.max(1, Math.abs(x0));
        const at = (v: number) => {
          if (arr) {
            arr[i] = v;
            const r = f(t, y, z, p);
            arr[i] = x0;
            return r;
          }
          return f(v, y, z, p);
        };
        const fd = (at(x0 + h) - at(x0 - h)) / (2 * h);
        // kinks (abs, min, max, comparisons) are measure-zero; skip points too close to one
        if (!Number.isFinite(fd) || Math.abs(fd) > 1e8) continue;
        expect(d, `${src}: d/d${space}${i} at ${[t, ...y, ...z, ...p].map((v) => v.toFixed(3))}`).toBeCloseTo(
          fd,
          4 - Math.max(0, Math.round(Math.log10(Math.abs(fd) + 1))),
        );
      }
    }
  });

  it("simplifies as it builds (no 0*, 1*, +0 left)", () => {
    const d = derivative(compile("a * x + 3 * y + b"), "y", 0);
    expect(d).toEqual({ k: "var", space: "p", i: 0 });
    const src = generateSource({
      params: ["t", "y", "z", "p"],
      assignments: [],
      returns: derivative(compile("x^3 + 2*x"), "y", 0),
    });
    expect(src).not.toMatch(/\b0 \*|\* 1\b|\+ 0\b/);
  });

  it("shares repeated subexpressions in generated code", () => {
    const e = compile("b * x(t - 1) / (1 + x(t - 1)^10) - a * x");
    const src = generateSource({
      params: ["t", "y", "z", "p", "out"],
      assignments: [
        { lhs: "out[0]", expr: e },
        { lhs: "out[1]", expr: derivative(e, "z", 0) },
      ],
    });
    expect(src.match(/pow\(z_0, 10\)/g)?.length).toBe(1);
  });
});
