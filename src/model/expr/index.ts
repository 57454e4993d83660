/** The expression layer: parse, resolve names, differentiate symbolically, generate JavaScript. */
export type { Ast, Expr, FnName, Span, VarSpace } from "./ast.js";
export { exprKey, forEachVar, dependsOn } from "./ast.js";
export { tokenize, locateInline, type Locate, type Token } from "./lexer.js";
export { parseExpression } from "./parser.js";
export { resolve, suggest, type Scope, type DelayRegistry } from "./resolve.js";
export { derivative } from "./derivative.js";
export { add, sub, mul, div, neg, pow, call, num, variable, ZERO, ONE } from "./simplify.js";
export { generateSource, buildFunction, type Assignment, type FunctionSource } from "./codegen.js";
export { FUNCTIONS, USER_FUNCTIONS, CONSTANTS } from "./functions.js";
