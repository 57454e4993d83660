/**
 * Reads a model file's YAML into a `ModelSpec`: the sections with their values and source positions, checked for shape
 * (which keys, which types) but not yet for meaning (compile.ts does names, expressions and delays). Positions come from
 * `yaml`'s parseDocument + LineCounter; a character inside an expression scalar is mapped back to the file through the
 * scalar's source text (plain, quoted and block scalars alike).
 */
import { readFileSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node as YamlNode,
  type Pair,
  type Scalar,
  type YAMLMap,
} from "yaml";
import { GradoptError, type SourceLocation } from "../errors.js";
import type { Locate } from "./expr/lexer.js";
import type { Expr } from "./expr/ast.js";
import { parseExpression } from "./expr/parser.js";
import { resolve } from "./expr/resolve.js";

/** An expression as written in the file: its text and how to find any of its characters in the file. */
export interface ExprSource {
  text: string;
  locate: Locate;
  loc: SourceLocation;
}

export interface Named<T> {
  name: string;
  value: T;
  loc: SourceLocation;
}

export type CostTermSpec =
  | { kind: "sum"; expr: ExprSource; at: number[]; loc: SourceLocation }
  | { kind: "integral"; expr: ExprSource; over?: [number, number]; loc: SourceLocation }
  | { kind: "terminal"; expr: ExprSource; loc: SourceLocation }
  | {
      kind: "data";
      file: string;
      path: string;
      sigma: number | Record<string, number>;
      loc: SourceLocation;
      sigmaLoc?: SourceLocation;
    };

export interface ModelSpec {
  /** The model file as given (for messages), and the directory relative paths are taken from. */
  file: string;
  dir: string;
  name?: string;
  states: Named<null>[];
  params: Named<number>[];
  equations: Named<ExprSource>[];
  history: Named<ExprSource>[];
  initial: Named<ExprSource>[];
  tspan: [number, number];
  jumps: number[];
  cost: CostTermSpec[];
  gradient: Named<CostTermSpec[]>[];
  /** Where each top-level section is (for "missing" messages); the root is the document start. */
  sections: Record<string, SourceLocation>;
  root: SourceLocation;
}

export type ModelInput = string | { text: string; file?: string; dir?: string };

const TOP_KEYS = [
  "name",
  "description",
  "states",
  "params",
  "equations",
  "history",
  "initial",
  "tspan",
  "jumps",
  "cost",
  "gradient",
];
const TERM_KINDS = ["sum", "integral", "terminal", "data"] as const;

/** Reads and checks the YAML of a model file (a path, or the text with an optional file name for messages). */
export function readModelSpec(input: ModelInput): ModelSpec {
  let text: string;
  let file: string;
  let dir: string;
  if (typeof input === "string") {
    file = input;
    dir = dirname(resolvePath(input));
    try {
      text = readFileSync(input, "utf8");
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
      throw new GradoptError("E_IO", `cannot read model file: ${why}`, { file }, { cause: err });
    }
  } else {
    text = input.text;
    file = input.file ?? "<model>";
    dir = input.dir ?? (input.file ? dirname(resolvePath(input.file)) : process.cwd());
  }
  return new SpecReader(text, file, dir).read();
}

class SpecReader {
  private readonly lines = new LineCounter();
  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly dir: string,
  ) {}

  at(offset: number): SourceLocation {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, column: col };
  }
  loc(node: YamlNode | null | undefined): SourceLocation {
    return this.at(node?.range?.[0] ?? 0);
  }
  fail(node: YamlNode | null | undefined, message: string): never {
    throw new GradoptError("E_MODEL", message, this.loc(node));
  }

  read(): ModelSpec {
    const doc = parseDocument(this.text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const message = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const hint =
        err.code === "BLOCK_AS_IMPLICIT_KEY"
          ? " (quote an expression that contains ': ', e.g. \"c ? a : b\")"
          : "";
      throw new GradoptError("E_YAML", `YAML: ${message}${hint}`, this.at(err.pos[0]));
    }
    const root = doc.contents;
    if (!isMap(root))
      this.fail(
        root,
        "a model file must be a YAML mapping with states, params, equations, history and tspan",
      );
    const sections: Record<string, SourceLocation> = {};
    const get = new Map<string, Pair<YamlNode, YamlNode | null>>();
    for (const pair of (root as YAMLMap<YamlNode, YamlNode | null>).items) {
      const key = this.keyName(pair);
      if (!TOP_KEYS.includes(key)) {
        this.fail(pair.key as YamlNode, `unknown section '${key}' (expected: ${TOP_KEYS.join(", ")})`);
      }
      get.set(key, pair);
      sections[key] = this.loc(pair.key as YamlNode);
    }
    const rootLoc = this.loc(root);
    const required = (key: string): YamlNode => {
      const pair = get.get(key);
      if (!pair)
        throw new GradoptError("E_MODEL", `missing section '${key}'`, {
          file: this.file,
          line: rootLoc.line,
          column: rootLoc.column,
        });
      if (pair.value === null || pair.value === undefined)
        this.fail(pair.key as YamlNode, `section '${key}' is empty`);
      return pair.value;
    };
    const optional = (key: string): YamlNode | undefined => get.get(key)?.value ?? undefined;

    const nameNode = optional("name");
    const states = this.readStates(required("states"));
    const params = this.readParams(optional("params"));
    const equations = this.readMapOfExpr(required("equations"), "equations");
    const history = optional("history") ? this.readMapOrScalar(optional("history")!, "history", states) : [];
    const initial = optional("initial") ? this.readMapOrScalar(optional("initial")!, "initial", states) : [];
    const tspanNode = required("tspan");
    const tspan = this.readNumberList(tspanNode, "tspan");
    if (tspan.length !== 2) this.fail(tspanNode, `tspan must be [t0, tend], got ${tspan.length} number(s)`);
    if (!(tspan[0]! < tspan[1]!)) this.fail(tspanNode, `tspan [${tspan.join(", ")}]: t0 must be before tend`);
    const jumpsNode = optional("jumps");
    const cost = optional("cost") ? this.readTerms(optional("cost")!, "cost", true) : [];
    const gradient = optional("gradient") ? this.readGradient(optional("gradient")!) : [];
    return {
      file: this.file,
      dir: this.dir,
      name: nameNode && isScalar(nameNode) ? String(nameNode.value) : undefined,
      states,
      params,
      equations,
      history,
      initial,
      tspan: [tspan[0]!, tspan[1]!],
      jumps: jumpsNode ? this.readNumberList(jumpsNode, "jumps") : [],
      cost,
      gradient,
      sections,
      root: rootLoc,
    };
  }

  keyName(pair: Pair<unknown, unknown>): string {
    const key = pair.key as YamlNode;
    if (!isScalar(key) || (typeof key.value !== "string" && typeof key.value !== "number"))
      this.fail(key, "expected a plain name as key");
    return String((key as Scalar).value);
  }

  readStates(node: YamlNode): Named<null>[] {
    const items = isSeq(node)
      ? node.items
      : isScalar(node) && typeof node.value === "string"
        ? null
        : undefined;
    if (items === undefined) this.fail(node, "states must be a list of names, e.g. [x, y]");
    if (items === null) {
      // "x, y" as one string
      const s = node as Scalar;
      return String(s.value)
        .split(",")
        .map((n) => ({ name: this.checkName(n.trim(), s, "state"), value: null, loc: this.loc(s) }));
    }
    const out: Named<null>[] = [];
    for (const item of items as YamlNode[]) {
      if (!isScalar(item) || typeof item.value !== "string")
        this.fail(item, "a state name must be a plain name");
      const name = this.checkName(String((item as Scalar).value), item, "state");
      if (out.some((s) => s.name === name)) this.fail(item, `state '${name}' is listed twice`);
      out.push({ name, value: null, loc: this.loc(item) });
    }
    if (out.length === 0) this.fail(node, "states is empty: a model needs at least one state");
    return out;
  }

  checkName(name: string, node: YamlNode, what: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      this.fail(
        node,
        `'${name}' is not a valid ${what} name (letters, digits, _; not starting with a digit)`,
      );
    if (name === "t") this.fail(node, `'t' is time and cannot be a ${what} name`);
    return name;
  }

  readParams(node: YamlNode | undefined): Named<number>[] {
    if (node === undefined) return [];
    if (!isMap(node)) this.fail(node, "params must be a mapping name: value, e.g. {k: 1.5, tau: 1}");
    return (node as YAMLMap<YamlNode, YamlNode | null>).items.map((pair) => {
      const name = this.checkName(this.keyName(pair), pair.key as YamlNode, "parameter");
      const value = this.readNumber(pair.value, `parameter '${name}'`, pair.key as YamlNode);
      return { name, value, loc: this.loc(pair.key as YamlNode) };
    });
  }

  /** A number, or a constant expression such as "2 * log(66)" or "pi / 2" (no names but constants). */
  readNumber(node: YamlNode | null | undefined, what: string, fallback?: YamlNode): number {
    if (!node || !isScalar(node)) return this.fail(node ?? fallback, `${what} must be a number`);
    if (typeof node.value === "string" && node.value.trim() === "")
      this.fail(node, `${what} must be a number`);
    let v = typeof node.value === "number" ? node.value : NaN;
    if (typeof node.value === "string") {
      v = Number(node.value);
      if (Number.isNaN(v)) {
        const source = this.expr(node, what);
        let e: Expr;
        try {
          e = resolve(parseExpression(source.text, source.locate), {
            states: [],
            params: new Map(),
            allowStates: false,
            allowT: false,
            context: `${what} (a constant)`,
            locate: source.locate,
            text: source.text,
          });
        } catch (err) {
          if (!(err instanceof GradoptError)) throw err;
          throw new GradoptError(
            err.code,
            `${what} must be a number or a constant expression: ${err.message}`,
            err.location,
          );
        }
        if (e.k !== "num")
          this.fail(node, `${what} must be a number or a constant expression, got '${source.text}'`);
        v = e.v;
      }
    }
    if (!Number.isFinite(v)) this.fail(node, `${what} must be a finite number, got '${String(node.value)}'`);
    return v;
  }

  readNumberList(node: YamlNode, what: string): number[] {
    if (!isSeq(node)) this.fail(node, `${what} must be a list of numbers`);
    return (node as { items: YamlNode[] }).items.map((item, i) => this.readNumber(item, `${what}[${i}]`));
  }

  /** An expression scalar (string or number) with a character-level locator. */
  expr(node: YamlNode | null | undefined, what: string, fallback?: YamlNode): ExprSource {
    if (!node || !isScalar(node))
      return this.fail(node ?? fallback, `${what} must be an expression (a string or a number)`);
    const value = node.value;
    if (typeof value === "number") {
      const start = node.range?.[0] ?? 0;
      return {
        text: String(value),
        locate: (offset) => this.at(start + Math.min(offset, 0)),
        loc: this.at(start),
      };
    }
    if (typeof value !== "string")
      return this.fail(node, `${what} must be an expression, got ${String(value)}`);
    if (value.trim() === "") this.fail(node, `${what} is empty`);
    const map = this.alignScalar(node as Scalar<string>);
    return {
      text: value,
      locate: (offset) => this.at(map[Math.min(Math.max(offset, 0), map.length - 1)]!),
      loc: this.loc(node),
    };
  }

  /**
   * For each character of a scalar's value (and one past the end), its offset in the file. The value is a subsequence
   * of the source once folding, indentation, quotes and escapes are skipped, so a greedy match finds each character.
   */
  alignScalar(node: Scalar<string>): number[] {
    const value = node.value;
    const [start, end] = [node.range?.[0] ?? 0, node.range?.[1] ?? this.text.length];
    let s = start;
    if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") s++;
    else if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
      const nl = this.text.indexOf("\n", s);
      s = nl < 0 ? end : nl + 1;
    }
    const map: number[] = [];
    for (let i = 0; i < value.length; i++) {
      const ch = value[i]!;
      let k = s;
      while (k < end && this.text[k] !== ch) k++;
      if (k >= end) {
        // an escape we cannot follow: point at the last matched place
        const last = map.length > 0 ? map[map.length - 1]! : start;
        while (map.length < value.length) map.push(last);
        break;
      }
      map.push(k);
      s = k + 1;
    }
    map.push(map.length > 0 ? map[map.length - 1]! + 1 : start);
    return map;
  }

  readMapOfExpr(node: YamlNode, section: string): Named<ExprSource>[] {
    if (!isMap(node)) this.fail(node, `${section} must be a mapping state: expression`);
    return (node as YAMLMap<YamlNode, YamlNode | null>).items.map((pair) => {
      const name = this.keyName(pair);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name.trim())) {
        this.fail(
          pair.key as YamlNode,
          `'${name}' is not a state name; if it is part of an expression, quote the expression: in a {...} mapping ', ' splits unquoted text`,
        );
      }
      return {
        name,
        value: this.expr(pair.value, `${section} of '${name}'`, pair.key as YamlNode),
        loc: this.loc(pair.key as YamlNode),
      };
    });
  }

  /** history/initial: a mapping per state, or one value for every state. */
  readMapOrScalar(node: YamlNode, section: string, states: Named<null>[]): Named<ExprSource>[] {
    if (isScalar(node)) {
      const e = this.expr(node, section);
      return states.map((s) => ({ name: s.name, value: e, loc: e.loc }));
    }
    return this.readMapOfExpr(node, section);
  }

  readTerms(node: YamlNode, section: string, allowData: boolean): CostTermSpec[] {
    const items = isSeq(node) ? (node.items as YamlNode[]) : [node];
    return items.map((item) => this.readTerm(item, section, allowData));
  }

  readTerm(node: YamlNode, section: string, allowData: boolean): CostTermSpec {
    if (!isMap(node))
      this.fail(
        node,
        `each ${section} term must be a mapping such as {integral: "y^2"} (kinds: ${TERM_KINDS.join(", ")})`,
      );
    const pairs = new Map<string, Pair<YamlNode, YamlNode | null>>();
    for (const pair of (node as YAMLMap<YamlNode, YamlNode | null>).items)
      pairs.set(this.keyName(pair), pair);
    const kinds = TERM_KINDS.filter((k) => pairs.has(k));
    if (kinds.length !== 1) {
      this.fail(
        node,
        `each ${section} term needs exactly one of ${TERM_KINDS.join(", ")}${kinds.length ? ` (got ${kinds.join(" and ")})` : ""}`,
      );
    }
    const kind = kinds[0]!;
    const allowed: Record<string, string[]> = {
      sum: ["sum", "at"],
      integral: ["integral", "over"],
      terminal: ["terminal"],
      data: ["data", "sigma"],
    };
    for (const [key, pair] of pairs) {
      if (!allowed[kind]!.includes(key))
        this.fail(
          pair.key as YamlNode,
          `unknown key '${key}' in a ${kind} term (allowed: ${allowed[kind]!.join(", ")})`,
        );
    }
    const main = pairs.get(kind)!;
    const loc = this.loc(main.key as YamlNode);
    switch (kind) {
      case "sum": {
        const atPair = pairs.get("at");
        if (!atPair)
          this.fail(main.key as YamlNode, "a sum term needs 'at': a list of times or {from, to, step}");
        return {
          kind,
          expr: this.expr(main.value, "the sum's expression", main.key as YamlNode),
          at: this.readTimes(atPair!.value, atPair!.key as YamlNode),
          loc,
        };
      }
      case "integral": {
        const overPair = pairs.get("over");
        const spec: CostTermSpec = {
          kind,
          expr: this.expr(main.value, "the integral's expression", main.key as YamlNode),
          loc,
        };
        if (overPair) {
          const over = this.readNumberList(overPair.value ?? (overPair.key as YamlNode), "over");
          if (over.length !== 2 || !(over[0]! <= over[1]!))
            this.fail(overPair.value, "over must be [from, to] with from <= to");
          spec.over = [over[0]!, over[1]!];
        }
        return spec;
      }
      case "terminal":
        return { kind, expr: this.expr(main.value, "the terminal expression", main.key as YamlNode), loc };
      case "data": {
        if (!allowData) this.fail(main.key as YamlNode, `a data term cannot appear in ${section}`);
        if (!main.value || !isScalar(main.value) || typeof main.value.value !== "string")
          this.fail(main.value ?? (main.key as YamlNode), "data must name a CSV file");
        const file = String((main.value as Scalar).value);
        const sigmaPair = pairs.get("sigma");
        let sigma: number | Record<string, number> = 1;
        if (sigmaPair) {
          if (isMap(sigmaPair.value)) {
            sigma = {};
            for (const p of (sigmaPair.value as YAMLMap<YamlNode, YamlNode | null>).items) {
              const name = this.keyName(p);
              sigma[name] = this.positive(p.value, `sigma of '${name}'`, p.key as YamlNode);
            }
          } else sigma = this.positive(sigmaPair.value, "sigma", sigmaPair.key as YamlNode);
        }
        return {
          kind,
          file,
          path: resolvePath(this.dir, file),
          sigma,
          loc: this.loc(main.value),
          sigmaLoc: sigmaPair ? this.loc(sigmaPair.key as YamlNode) : undefined,
        };
      }
    }
  }

  positive(node: YamlNode | null | undefined, what: string, fallback: YamlNode): number {
    const v = this.readNumber(node, what, fallback);
    if (!(v > 0)) this.fail(node ?? fallback, `${what} must be positive, got ${v}`);
    return v;
  }

  readTimes(node: YamlNode | null | undefined, keyNode: YamlNode): number[] {
    if (node && isSeq(node)) return this.readNumberList(node, "at");
    if (node && isScalar(node)) return [this.readNumber(node, "at")];
    if (!node || !isMap(node))
      return this.fail(node ?? keyNode, "at must be a list of times or {from, to, step}");
    const fields: Record<string, number> = {};
    for (const pair of (node as YAMLMap<YamlNode, YamlNode | null>).items) {
      const key = this.keyName(pair);
      if (!["from", "to", "step", "n"].includes(key))
        this.fail(pair.key as YamlNode, `unknown key '${key}' in at (allowed: from, to, step or n)`);
      fields[key] = this.readNumber(pair.value, `at.${key}`, pair.key as YamlNode);
    }
    const { from, to, step, n } = fields;
    if (from === undefined || to === undefined || (step === undefined) === (n === undefined) || from > to) {
      this.fail(node, "at must be {from, to, step} or {from, to, n} with from <= to");
    }
    if (step !== undefined && !(step > 0)) this.fail(node, `at.step must be positive, got ${step}`);
    if (n !== undefined && !(Number.isInteger(n) && n >= 1))
      this.fail(node, `at.n must be a positive integer, got ${n}`);
    const count = step !== undefined ? Math.floor((to! - from!) / step + 1e-9) + 1 : n!;
    if (count > 10_000_000) this.fail(node, `at lists ${count} times: too many`);
    const times: number[] = [];
    for (let k = 0; k < count; k++)
      times.push(
        count === 1
          ? from!
          : step !== undefined
            ? from! + k * step
            : from! + ((to! - from!) * k) / (count - 1),
      );
    return times;
  }

  readGradient(node: YamlNode): Named<CostTermSpec[]>[] {
    if (!isMap(node)) this.fail(node, "gradient must be a mapping target: term (or a list of terms)");
    return (node as YAMLMap<YamlNode, YamlNode | null>).items.map((pair) => {
      const name = this.keyName(pair);
      if (!pair.value) this.fail(pair.key as YamlNode, `the gradient of '${name}' is empty`);
      return {
        name,
        value: this.readTerms(pair.value!, `the gradient of '${name}'`, false),
        loc: this.loc(pair.key as YamlNode),
      };
    });
  }
}
