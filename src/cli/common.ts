/**
 * What every command shares: --json output (exactly one JSON document on stdout), one-line errors, --debug stacks,
 * and flag parsing helpers whose errors name the flag.
 */
import type { Command } from "commander";
import { GradoptError } from "../errors.js";

export interface GlobalOptions {
  json?: boolean;
  debug?: boolean;
}

/** Prints the command's result: `json` as one JSON document with --json, else the human text. */
export function emit(opts: GlobalOptions, json: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(json, jsonReplacer) + "\n");
  else process.stdout.write(human() + "\n");
}

/** Typed arrays become plain arrays; non-finite numbers become null (JSON has no NaN) — callers must report them. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value;
}

/** Parses "a,b,c" into numbers; an unparsable item is an error naming the flag. */
export function parseNumberList(flag: string, text: string): number[] {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0)
    throw new GradoptError("E_FLAG", `${flag}: expected a comma-separated list of numbers, got '${text}'`);
  return items.map((s) => parseNumber(flag, s));
}

export function parseNumber(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v))
    throw new GradoptError("E_FLAG", `${flag}: '${text}' is not a finite number`);
  return v;
}

export function parsePositiveInt(flag: string, text: string): number {
  const v = parseNumber(flag, text);
  if (!Number.isInteger(v) || v <= 0)
    throw new GradoptError("E_FLAG", `${flag}: '${text}' is not a positive integer`);
  return v;
}

/** Parses "name=value,name=value" (for --set). */
export function parseAssignments(flag: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new GradoptError("E_FLAG", `${flag}: expected name=value, got '${item}'`);
    out[item.slice(0, eq).trim()] = parseNumber(`${flag} ${item.slice(0, eq).trim()}`, item.slice(eq + 1));
  }
  return out;
}

/** Parses "a=lo:hi,b=lo:hi" (for --bounds); either side may be empty for an open bound. */
export function parseBounds(flag: string, text: string): Record<string, { lower: number; upper: number }> {
  const out: Record<string, { lower: number; upper: number }> = {};
  for (const item of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([^=]+)=([^:]*):(.*)$/.exec(item);
    if (!m) throw new GradoptError("E_FLAG", `${flag}: expected name=lo:hi, got '${item}'`);
    const name = m[1]!.trim();
    const lower = m[2]!.trim() === "" ? -Infinity : parseNumber(`${flag} ${name}`, m[2]!);
    const upper = m[3]!.trim() === "" ? Infinity : parseNumber(`${flag} ${name}`, m[3]!);
    if (!(lower <= upper))
      throw new GradoptError("E_FLAG", `${flag} ${name}: lower bound ${lower} > upper bound ${upper}`);
    out[name] = { lower, upper };
  }
  return out;
}

/** The one line the CLI prints for an error. */
export function formatError(err: unknown): string {
  if (err instanceof GradoptError) return err.format();
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Adds --json and --debug to a command. */
export function withGlobalFlags(cmd: Command): Command {
  return cmd
    .option("--json", "print exactly one JSON document on stdout")
    .option("--debug", "print stack traces on errors");
}
