/**
 * Name resolution: turns a parsed Ast into an Expr whose variables are states, delayed states, lagged derivatives,
 * parameters or t. Every misuse (unknown name, wrong arity, a delayed value of something that is not a state, a
 * negative delay, ...) is a GradoptError at the offending character.
 */
import { GradoptError } from "../../errors.js";
import type { Ast, BinaryOp, Expr, FnName, Span } from "./ast.js";
import { CONSTANTS, FUNCTIONS, USER_FUNCTIONS } from "./functions.js";
import { locateInline, type Locate } from "./lexer.js";
import { call, neg, num, sub, variable } from "./simplify.js";

/** Where delayed terms go: the compiler deduplicates lags and hands back the delay's index. */
export interface DelayRegistry {
  /** Registers a lag (already checked to be non-zero); returns the delay index j (z[j*n + i] = y_i(t - lag_j)). */
  register(lag: Expr, neutral: boolean, span: Span, text: string): number;
}

export interface Scope {
  states: readonly string[];
  params: ReadonlyMap<string, number>;
  /** Whether current states may appear (false in histories and initial values). */
  allowStates: boolean;
  allowT: boolean;
  /** Absent: delayed terms are not allowed here. */
  delays?: DelayRegistry;
  /** "the equation of y", "a cost term", ... for messages. */
  context: string;
  locate?: Locate;
  /** The expression text (for delay labels). */
  text?: string;
}

const BINARY: Record<BinaryOp, FnName> = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
  "^": "pow",
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
  "==": "eq",
  "!=": "ne",
  "&&": "and",
  "||": "or",
};

export function resolve(ast: Ast, scope: Scope): Expr {
  const locate = scope.locate ?? locateInline;
  const stateIndex = new Map(scope.states.map((s, i) => [s, i]));
  const fail = (node: { start: number }, message: string): never => {
    throw new GradoptError("E_MODEL", message, locate(node.start));
  };

  const walk = (node: Ast, inLag: boolean): Expr => {
    switch (node.type) {
      case "num":
        return num(node.value);
      case "ident":
        return ident(node, inLag);
      case "unary": {
        const arg = walk(node.arg, inLag);
        return node.op === "-" ? neg(arg) : node.op === "!" ? call("not", [arg]) : arg;
      }
      case "binary":
        return call(BINARY[node.op], [walk(node.left, inLag), walk(node.right, inLag)]);
      case "cond":
        return call("cond", [walk(node.test, inLag), walk(node.then, inLag), walk(node.else, inLag)]);
      case "call":
        return callNode(node, inLag);
    }
  };

  const ident = (node: Extract<Ast, { type: "ident" }>, _inLag: boolean): Expr => {
    const name = node.name;
    const si = stateIndex.get(name);
    if (si !== undefined) {
      if (!scope.allowStates) fail(node, `state '${name}' cannot appear in ${scope.context}`);
      return variable("y", si);
    }
    const pi = scope.params.get(name);
    if (pi !== undefined) return variable("p", pi);
    if (name === "t") {
      if (!scope.allowT) fail(node, `'t' cannot appear in ${scope.context}`);
      return variable("t");
    }
    const c = CONSTANTS.get(name);
    if (c !== undefined) return num(c);
    if (USER_FUNCTIONS.has(name)) return fail(node, `'${name}' is a function: call it as ${name}(...)`);
    return fail(
      node,
      `unknown name '${name}'${suggest(name, [...scope.states, ...scope.params.keys(), "t", ...CONSTANTS.keys()])}`,
    );
  };

  const delayed = (
    node: Extract<Ast, { type: "call" }>,
    state: string,
    neutral: boolean,
    inLag: boolean,
  ): Expr => {
    const shown = neutral ? `d(${state})` : state;
    if (!scope.delays) return fail(node, `a delayed value ${shown}(...) is not allowed in ${scope.context}`);
    if (inLag) return fail(node, `a delayed value cannot appear inside another delay's lag`);
    if (node.args.length !== 1) {
      return fail(
        node,
        `${shown}(...) takes one argument, the time (as in ${shown}(t - tau)); got ${node.args.length}`,
      );
    }
    const arg = node.args[0]!;
    const lag = sub(variable("t"), walk(arg, true));
    if (lag.k === "num") {
      if (!Number.isFinite(lag.v)) fail(arg, `the delay of ${shown}(...) is not finite`);
      if (lag.v < 0)
        fail(arg, `negative delay ${lag.v} in ${shown}(...): a delayed value must look into the past`);
      if (lag.v === 0) {
        if (neutral) fail(arg, `d(${state})(t) has zero delay: the equation would be implicit`);
        return variable("y", stateIndex.get(state)!);
      }
    }
    const argText = scope.text?.slice(arg.start, arg.end) ?? "";
    const text =
      arg.type === "binary" && arg.op === "-" && arg.left.type === "ident" && arg.left.name === "t"
        ? (scope.text?.slice(arg.right.start, arg.right.end) ?? "")
        : `t - (${argText})`;
    const j = scope.delays.register(lag, neutral, arg, text);
    return variable(neutral ? "zd" : "z", j * scope.states.length + stateIndex.get(state)!);
  };

  const callNode = (node: Extract<Ast, { type: "call" }>, inLag: boolean): Expr => {
    const callee = node.callee;
    if (callee.type === "call") {
      // d(y)(t - lag): a lagged derivative (neutral term)
      const inner = callee.callee;
      if (inner.type === "ident" && inner.name === "d" && !stateIndex.has("d") && !scope.params.has("d")) {
        const target = callee.args[0];
        if (callee.args.length !== 1 || target?.type !== "ident" || !stateIndex.has(target.name)) {
          return fail(target ?? callee, `d(...) takes one state name, as in d(y)(t - tau)`);
        }
        return delayed(node, target.name, true, inLag);
      }
      return fail(node, `only d(state)(t - lag) may be followed by a second argument list`);
    }
    if (callee.type !== "ident") return fail(node, `cannot call this expression`);
    const name = callee.name;
    if (stateIndex.has(name)) return delayed(node, name, false, inLag);
    if (name === "d" && !scope.params.has("d")) {
      return fail(
        node,
        `d(${scope.text?.slice(node.args[0]?.start ?? 0, node.args[0]?.end ?? 0) ?? "y"}) needs a time: d(y)(t - tau)`,
      );
    }
    const fn = USER_FUNCTIONS.get(name);
    if (fn === undefined) {
      if (scope.params.has(name)) {
        return fail(
          callee,
          `'${name}' is a parameter, not a state: only states have delayed values, as in y(t - tau)`,
        );
      }
      if (name === "t" || CONSTANTS.has(name)) return fail(callee, `'${name}' is not a function`);
      return fail(
        callee,
        `unknown function '${name}'${suggest(name, [...USER_FUNCTIONS.keys(), ...scope.states])}`,
      );
    }
    const spec = FUNCTIONS[fn];
    const n = node.args.length;
    if (n < spec.minArgs || n > spec.maxArgs) {
      const want =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs} argument${spec.minArgs === 1 ? "" : "s"}`
          : spec.maxArgs === Infinity
            ? `at least ${spec.minArgs} arguments`
            : `${spec.minArgs} to ${spec.maxArgs} arguments`;
      return fail(callee, `${name}() takes ${want}, got ${n}`);
    }
    return call(
      fn,
      node.args.map((a) => walk(a, inLag)),
    );
  };

  return walk(ast, false);
}

/** ", did you mean 'x'?" for a near miss (edit distance <= 2), else "". */
export function suggest(name: string, candidates: Iterable<string>): string {
  let best = "";
  let bestDist = 3;
  const limit = name.length <= 4 ? 1 : 2;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist <= limit && dist < bestDist) {
      best = c;
      bestDist = dist;
    }
  }
  return best ? ` (did you mean '${best}'?)` : "";
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
