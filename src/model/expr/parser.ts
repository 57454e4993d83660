/**
 * A precedence-climbing parser for model expressions: ordinary maths syntax, `^` (or `**`) right-associative and
 * binding tighter than unary minus (-x^2 = -(x^2)), comparisons, && || !, and `c ? a : b`. Every node keeps its
 * character span so later stages can point at the offending character.
 */
import { GradoptError } from "../../errors.js";
import type { Ast, BinaryOp } from "./ast.js";
import { locateInline, tokenize, type Locate, type Token } from "./lexer.js";

/** Binary operators by precedence level, loosest first. */
const LEVELS: readonly (readonly BinaryOp[])[] = [
  ["||"],
  ["&&"],
  ["==", "!="],
  ["<", "<=", ">", ">="],
  ["+", "-"],
  ["*", "/"],
];

export function parseExpression(src: string, locate: Locate = locateInline): Ast {
  const tokens = tokenize(src, locate);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const isOp = (text: string) => peek().type === "op" && peek().text === text;

  const fail = (tok: Token, what: string): never => {
    const found = tok.type === "eof" ? "end of expression" : `'${tok.text}'`;
    throw new GradoptError("E_PARSE", `${what}, found ${found}`, locate(tok.start));
  };
  const expect = (text: string, what: string): Token => (isOp(text) ? next() : fail(peek(), what));

  function conditional(): Ast {
    const test = binary(0);
    if (!isOp("?")) return test;
    next();
    const then = conditional();
    expect(":", "expected ':' of 'c ? a : b'");
    const otherwise = conditional();
    return { type: "cond", test, then, else: otherwise, start: test.start, end: otherwise.end };
  }

  function binary(level: number): Ast {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    const ops = LEVELS[level]!;
    while (peek().type === "op" && (ops as readonly string[]).includes(peek().text)) {
      const opTok = next();
      const right = binary(level + 1);
      left = {
        type: "binary",
        op: opTok.text as BinaryOp,
        left,
        right,
        opStart: opTok.start,
        start: left.start,
        end: right.end,
      };
    }
    return left;
  }

  function unary(): Ast {
    const tok = peek();
    if (tok.type === "op" && (tok.text === "-" || tok.text === "+" || tok.text === "!")) {
      next();
      const arg = unary();
      return { type: "unary", op: tok.text, arg, start: tok.start, end: arg.end };
    }
    return power();
  }

  function power(): Ast {
    const base = postfix();
    if (!isOp("^")) return base;
    const opTok = next();
    const exponent = unary(); // right-associative; allows 2^-x
    return {
      type: "binary",
      op: "^",
      left: base,
      right: exponent,
      opStart: opTok.start,
      start: base.start,
      end: exponent.end,
    };
  }

  function postfix(): Ast {
    let node = primary();
    while (isOp("(")) {
      if (node.type !== "ident" && node.type !== "call") fail(peek(), "expected an operator");
      next();
      const args: Ast[] = [];
      if (!isOp(")")) {
        for (;;) {
          args.push(conditional());
          if (!isOp(",")) break;
          next();
        }
      }
      const close = expect(")", "expected ',' or ')'");
      node = { type: "call", callee: node, args, start: node.start, end: close.end };
    }
    return node;
  }

  function primary(): Ast {
    const tok = next();
    if (tok.type === "num") return { type: "num", value: Number(tok.text), start: tok.start, end: tok.end };
    if (tok.type === "ident") return { type: "ident", name: tok.text, start: tok.start, end: tok.end };
    if (tok.type === "op" && tok.text === "(") {
      const inner = conditional();
      const close = expect(")", "expected ')'");
      return { ...inner, start: tok.start, end: close.end };
    }
    return fail(tok, "expected a number, a name or '('");
  }

  if (peek().type === "eof") fail(peek(), "empty expression: expected a number, a name or '('");
  const ast = conditional();
  if (peek().type !== "eof") fail(peek(), "expected an operator or the end of the expression");
  return ast;
}
