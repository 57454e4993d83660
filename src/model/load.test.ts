import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { loadModel } from "./compile.js";

const BASE = {
  states: "[x, y]",
  params: "{a: 1, tau: 0.5}",
  equations: "\n  x: -a * x(t - tau)\n  y: x - y",
  history: "{x: 1, y: 0}",
  tspan: "[0, 2]",
};

/** A model text from sections (later keys override BASE). */
function model(sections: Record<string, string | undefined> = {}): string {
  return (
    Object.entries({ ...BASE, ...sections })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n") + "\n"
  );
}

function errorOf(text: string, file = "m.yaml"): GradoptError {
  try {
    loadModel({ text, file });
  } catch (err) {
    if (!(err instanceof GradoptError)) throw err;
    return err;
  }
  throw new Error("no error");
}

/** The 1-based line and column of the first occurrence of `needle` (after `after`) in `text`. */
function posOf(text: string, needle: string, after = ""): [number, number] {
  const offset = text.indexOf(needle, after ? text.indexOf(after) : 0);
  expect(offset).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split("\n");
  return [before.length, before[before.length - 1]!.length + 1];
}

function expectAt(
  err: GradoptError,
  text: string,
  needle: string,
  message: string | RegExp,
  after = "",
): void {
  expect(err.message).toMatch(message);
  expect([err.location?.line, err.location?.column]).toEqual(posOf(text, needle, after));
  expect(err.location?.file).toBe("m.yaml");
  expect(err.format()).toMatch(/^m\.yaml:\d+:\d+: /);
}

describe("model file errors name the file, line and column", () => {
  it("YAML syntax", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n  y: x: y" });
    const err = errorOf(text);
    expect(err.code).toBe("E_YAML");
    expect(err.message).not.toContain("\n");
    expect(err.location?.line).toBe(5);
  });

  it("YAML that splits an unquoted expression gets a hint", () => {
    const t1 = model({ equations: "{x: -a * x(t - tau), y: max(x, y)}" });
    expectAt(
      errorOf(t1),
      t1,
      "y)}",
      "'y)' is not a state name; if it is part of an expression, quote the expression",
    );
    const t2 = model({ equations: "\n  x: -a * x(t - tau)\n  y: x > 0 ? x : y" });
    expect(errorOf(t2).message).toContain("quote an expression that contains ': '");
  });

  it("unknown name inside an expression (plain scalar)", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n  y: x - bogus * y" });
    expectAt(errorOf(text), text, "bogus", "unknown name 'bogus'");
  });

  it("unknown function (double-quoted scalar with escapes before it)", () => {
    const text = model({ equations: '\n  x: -a * x(t - tau)\n  y: "x - \\"\\" + foo(y)"' });
    // the escaped quotes make the expression invalid anyway; the first problem is at the first \"
    const err = errorOf(text);
    expect(err.code).toBe("E_PARSE");
    const text2 = model({ equations: '\n  x: -a * x(t - tau)\n  y: "x -  foo(y)"' });
    expectAt(errorOf(text2), text2, "foo", "unknown function 'foo'");
  });

  it("wrong arity (single-quoted scalar)", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n  y: 'x -  sin(y, 2)'" });
    expectAt(errorOf(text), text, "sin", "sin() takes 1 argument, got 2");
    // '' is one quote in the value: the lexer rejects it, pointing at the first of the pair in the file
    const text2 = model({ equations: "\n  x: -a * x(t - tau)\n  y: 'x - ''y'''" });
    expectAt(errorOf(text2), text2, "''y", "unexpected character");
  });

  it("position inside a block literal scalar", () => {
    const text = model({ equations: "\n  x: |\n    -a * x(t - tau)\n      + unknownthing\n  y: x - y" });
    expectAt(errorOf(text), text, "unknownthing", "unknown name 'unknownthing'");
  });

  it("position inside a folded block scalar", () => {
    const text = model({ equations: "\n  x: >-\n    -a * x(t - tau)\n    + exp(x,\n    y)\n  y: x - y" });
    expectAt(errorOf(text), text, "exp", "exp() takes 1 argument, got 2");
  });

  it("position inside a multi-line plain scalar and a flow mapping", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n    + a *\n    qq\n  y: x" });
    expectAt(errorOf(text), text, "qq", "unknown name 'qq'");
    const text2 = model({ equations: "{x: -a * x(t - tau), y: x - zz}" });
    expectAt(errorOf(text2), text2, "zz", "unknown name 'zz'");
  });

  it("syntax error inside an expression", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n  y: x - (y + 2" });
    const err = errorOf(text);
    expect(err.code).toBe("E_PARSE");
    expect(err.message).toContain("expected ')'");
    const [line] = posOf(text, "x - (y");
    expect(err.location?.line).toBe(line);
    expect(err.location?.column).toBe(posOf(text, "x - (y")[1] + "x - (y + 2".length);
  });

  it("a delayed value of something that is not a state", () => {
    const text = model({ equations: "\n  x: -a * x(t - tau)\n  y: x - a(t - 1)" });
    expectAt(errorOf(text), text, "a(t", "'a' is a parameter, not a state");
  });

  it("a negative delay: constant, through a parameter, time-dependent", () => {
    const text = model({ equations: "\n  x: -a * x(t + 0.5)\n  y: x - y" });
    expectAt(errorOf(text), text, "t + 0.5", "negative delay -0.5");
    const text2 = model({ params: "{a: 1, tau: -0.5}" });
    expectAt(errorOf(text2), text2, "t - tau", /the delay 'tau' is negative \(-0\.5\)/);
    const text3 = model({ equations: "\n  x: -a * x(2 * t)\n  y: x - y" });
    expectAt(errorOf(text3), text3, "2 * t", /is negative \(-2\) at t = 2/);
  });

  it("a non-finite delay", () => {
    const text = model({ params: "{a: 1, tau: 0}", equations: "\n  x: -a * x(t - 1 / tau)\n  y: x - y" });
    expectAt(errorOf(text), text, "t - 1 / tau", "is not finite");
  });

  it("missing history", () => {
    const text = model({ history: "{y: 0}" });
    expectAt(
      errorOf(text),
      text,
      "history",
      "missing history for state 'x' (its past is read through a delay)",
    );
    const text2 = model({ history: undefined });
    expectAt(errorOf(text2), text2, "states", "missing history for state 'x'");
  });

  it("structure: unknown section, missing section, bad types, unknown state keys", () => {
    const t1 = model({ equatons: "{x: 1}" });
    expectAt(errorOf(t1), t1, "equatons", "unknown section 'equatons'");
    const t2 = model({ tspan: undefined });
    expect(errorOf(t2).message).toContain("missing section 'tspan'");
    const t3 = model({ params: "{a: one, tau: 1}" });
    expectAt(
      errorOf(t3),
      t3,
      "one",
      "parameter 'a' must be a number or a constant expression: unknown name 'one'",
    );
    const t4 = model({ equations: "{x: -a * x(t - tau), y: x, z: 1}" });
    expectAt(errorOf(t4), t4, "z:", "equation for 'z', which is not a state");
    const t5 = model({ equations: "{x: -a * x(t - tau)}" });
    expectAt(errorOf(t5), t5, "equations", "no equation for state 'y'");
    const t6 = model({ tspan: "[2, 0]" });
    expectAt(errorOf(t6), t6, "[2, 0]", "t0 must be before tend");
    const t7 = model({ cost: "\n  - {integral: x, over: [0, 1], bogus: 1}" });
    expectAt(errorOf(t7), t7, "bogus", "unknown key 'bogus' in a integral term");
    const t8 = model({ gradient: "{nope: {integral: x}}" });
    expectAt(errorOf(t8), t8, "nope", "unknown gradient target 'nope'");
    const t9 = model({ cost: "\n  - {sum: x(t - 1), at: [1]}" });
    expectAt(errorOf(t9), t9, "x(t - 1), at", "a delayed value x(...) is not allowed in a cost term");
  });

  it("a missing file", () => {
    const err = (() => {
      try {
        loadModel("/nonexistent/model.yaml");
      } catch (e) {
        return e as GradoptError;
      }
      throw new Error("no error");
    })();
    expect(err.code).toBe("E_IO");
    expect(err.format()).toBe("/nonexistent/model.yaml: cannot read model file: no such file");
  });

  it("a data CSV with a bad column or a non-numeric cell: CSV file:line:column", () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-model-"));
    writeFileSync(join(dir, "bad-col.csv"), "t,x,w\n0,1,2\n");
    writeFileSync(join(dir, "bad-cell.csv"), "# comment\nt, x\n0, 1\n0.5,  abc\n");
    const text = model({ cost: "\n  - {data: bad-col.csv}" });
    const e1 = (() => {
      try {
        loadModel({ text, file: join(dir, "m.yaml") });
      } catch (e) {
        return e as GradoptError;
      }
      throw new Error("no error");
    })();
    expect(e1.format()).toBe(
      `${join(dir, "bad-col.csv")}:1:5: column 'w' is not a state of the model (states: x, y)`,
    );
    const text2 = model({ cost: "\n  - {data: bad-cell.csv, sigma: 0.1}" });
    const e2 = (() => {
      try {
        loadModel({ text: text2, file: join(dir, "m.yaml") });
      } catch (e) {
        return e as GradoptError;
      }
      throw new Error("no error");
    })();
    expect(e2.code).toBe("E_DATA");
    expect(e2.format()).toBe(`${join(dir, "bad-cell.csv")}:4:7: 'abc' in column 'x' is not a number`);
  });
});

describe("positions are exact in every scalar style", () => {
  it("points at an unknown name wherever it sits in a random expression", () => {
    const token = fc.constantFrom("x", "a", "1.5", "sin(y)", "x(t - tau)", "(a + y)", "max(x, y)");
    const op = fc.constantFrom(" + ", " - ", " * ", " / ");
    const style = fc.constantFrom("plain", "double", "single", "literal", "folded");
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 6 }),
        fc.array(op, { minLength: 6, maxLength: 6 }),
        fc.nat(),
        style,
        (tokens, ops, at, st) => {
          const parts: string[] = tokens.slice();
          parts.splice(at % (parts.length + 1), 0, "qqz");
          const multiline = st === "literal" || st === "folded";
          const expr = parts
            .map(
              (p, i) =>
                (i === 0 ? "" : multiline && i % 2 === 0 ? ops[i - 1]!.trimEnd() + "\n    " : ops[i - 1]!) +
                p,
            )
            .join("");
          const scalar =
            st === "double"
              ? `"${expr}"`
              : st === "single"
                ? `'${expr}'`
                : st === "literal"
                  ? `|\n    ${expr}`
                  : st === "folded"
                    ? `>\n    ${expr}`
                    : expr;
          if (st === "plain" && /[,:]/.test(expr)) return; // a plain scalar cannot hold these in every position
          const text = model({ equations: `\n  x: -a * x(t - tau)\n  y: ${scalar}` });
          const err = errorOf(text);
          expect(err.message).toContain("unknown name 'qqz'");
          expect([err.location?.line, err.location?.column]).toEqual(posOf(text, "qqz"));
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});

describe("robustness of the loader", () => {
  it("throws only GradoptError on arbitrary YAML-ish text", () => {
    const pieces = fc.constantFrom(
      "states: [x]\n",
      "params: {a: 1}\n",
      "equations: {x: -a * x(t - 1)}\n",
      "history: {x: 1}\n",
      "tspan: [0, 1]\n",
      "cost:\n  - {integral: x^2}\n",
      "gradient: {a: {terminal: x}}\n",
      "equations:\n  x: |\n    -x(t - a)\n",
      ": : :\n",
      "  - [\n",
      "{",
      "}",
      '"',
      "'",
      "x: y: z\n",
      "tspan: [1]\n",
      "history: 2\n",
      "initial: {x: a}\n",
      "\t",
      "- a\n",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(pieces, { maxLength: 12 }).map((a) => a.join("")),
        ),
        (text) => {
          try {
            loadModel({ text, file: "fuzz.yaml", dir: "/nonexistent" });
          } catch (err) {
            if (!(err instanceof GradoptError)) throw err;
            expect(err.format().split("\n")).toHaveLength(1);
          }
        },
      ),
      { numRuns: 1000, seed: 3 },
    );
  });
});
