/** Splits an expression into tokens, each with its character offset (for messages that point at the character). */
import { GradoptError, type SourceLocation } from "../../errors.js";

export type TokenType = "num" | "ident" | "op" | "eof";

export interface Token {
  type: TokenType;
  text: string;
  start: number;
  end: number;
}

/** Maps a character offset in the expression to a place in the file the expression came from. */
export type Locate = (offset: number) => SourceLocation;

/** The default: the expression is the whole input, on one line. */
export const locateInline: Locate = (offset) => ({ line: 1, column: offset + 1 });

const TWO_CHAR_OPS = new Set(["<=", ">=", "==", "!=", "&&", "||", "**"]);
const ONE_CHAR_OPS = new Set(["+", "-", "*", "/", "^", "(", ")", ",", "?", ":", "<", ">", "!"]);

export function tokenize(src: string, locate: Locate = locateInline): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === "." && isDigit(src[i + 1] ?? ""))) {
      while (isDigit(src[i] ?? "")) i++;
      if (src[i] === ".") {
        i++;
        while (isDigit(src[i] ?? "")) i++;
      }
      if (src[i] === "e" || src[i] === "E") {
        let j = i + 1;
        if (src[j] === "+" || src[j] === "-") j++;
        if (isDigit(src[j] ?? "")) {
          i = j;
          while (isDigit(src[i] ?? "")) i++;
        }
      }
      if (isIdentStart(src[i] ?? "")) {
        throw new GradoptError("E_PARSE", `malformed number '${src.slice(start, i + 1)}'`, locate(start));
      }
      tokens.push({ type: "num", text: src.slice(start, i), start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(src[i] ?? "")) i++;
      tokens.push({ type: "ident", text: src.slice(start, i), start, end: i });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      tokens.push({ type: "op", text: two === "**" ? "^" : two, start, end: i + 2 });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ type: "op", text: c, start, end: i + 1 });
      i++;
      continue;
    }
    const shown = c === "=" ? "'=' (use '==' to compare)" : `character '${c}'`;
    throw new GradoptError("E_PARSE", `unexpected ${shown} in expression`, locate(start));
  }
  tokens.push({ type: "eof", text: "", start: src.length, end: src.length });
  return tokens;
}

const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentStart = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isIdentPart = (c: string) => isIdentStart(c) || isDigit(c);
