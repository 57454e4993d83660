/** Formatting and flag helpers shared by the model commands (solve, gradient, fit). */
import { GradoptError } from "../../errors.js";
import type { ModelRunOptions } from "../../model/index.js";
import { parseAssignments, parseNumber, parseNumberList } from "../common.js";

/** The flags every model command shares, parsed (each error names its flag). */
export function modelFlags(flags: {
  rtol?: string;
  atol?: string;
  set?: string;
  method?: string;
  solver?: string;
}): ModelRunOptions {
  const opts: ModelRunOptions = {};
  if (flags.rtol !== undefined) opts.rtol = positive("--rtol", flags.rtol);
  if (flags.atol !== undefined) opts.atol = positive("--atol", flags.atol);
  if (flags.set !== undefined) opts.set = parseAssignments("--set", flags.set);
  const method = flags.solver ?? flags.method;
  if (method !== undefined) {
    if (!["dp5", "bs3", "dop853"].includes(method.toLowerCase())) {
      throw new GradoptError(
        "E_FLAG",
        `${flags.solver !== undefined ? "--solver" : "--method"}: unknown integration method '${method}' (known: dp5, bs3, dop853)`,
      );
    }
    opts.method = method;
  }
  return opts;
}

export function positive(flag: string, text: string): number {
  const v = parseNumber(flag, text);
  if (!(v > 0)) throw new GradoptError("E_FLAG", `${flag}: must be positive, got ${text}`);
  return v;
}

/** A number for people: 6 significant digits, exponent form when very large or small. */
export function fmt(x: number, digits = 6): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e7) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

/** A right-aligned text table. */
export function table(header: string[], rows: (number | string)[][]): string {
  const cells = rows.map((r) => r.map((v) => (typeof v === "number" ? fmt(v) : v)));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => "  " + r.map((v, c) => v.padStart(widths[c]!)).join("  ");
  return [line(header), ...cells.map(line)].join("\n");
}

/** "t1,t2,..." or "from:to:step" (the end included when the steps land on it). */
export function parseTimes(flag: string, text: string): number[] {
  const range = /^\s*([^:,]+):([^:,]+):([^:,]+)\s*$/.exec(text);
  if (!range) return parseNumberList(flag, text);
  const [from, to, step] = [
    parseNumber(flag, range[1]!),
    parseNumber(flag, range[2]!),
    parseNumber(flag, range[3]!),
  ];
  if (!(step > 0) || !(to >= from))
    throw new GradoptError(
      "E_FLAG",
      `${flag}: expected from:to:step with from <= to and step > 0, got '${text}'`,
    );
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > 1e7) throw new GradoptError("E_FLAG", `${flag}: ${count} times is too many`);
  return Array.from({ length: count }, (_, k) => Math.min(to, from + k * step));
}

/** "a,b,c" into names. */
export function parseNames(flag: string, text: string): string[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new GradoptError("E_FLAG", `${flag}: expected a comma-separated list of names, got '${text}'`);
  return names;
}
