/**
 * Observation files for `data:` cost terms: a header with a time column (`t` or `time`) and one column per observed
 * state, then numbers. Empty cells, NA and NaN are missing observations. Every problem is reported as file:line:column.
 */
import { GradoptError } from "../errors.js";

export interface Observations {
  /** Column names after the time column, in file order. */
  columns: string[];
  times: number[];
  /** Row-major: values[k * columns.length + c]; NaN = missing. */
  values: Float64Array;
}

const MISSING = new Set(["", "na", "nan", "n/a", "null", "-"]);

/**
 * Parses CSV text. `allowedColumns` (the model's states) restricts the observed columns; anything else is an error at
 * the header cell.
 */
export function parseObservations(
  text: string,
  file: string,
  allowedColumns?: readonly string[],
): Observations {
  const lines = text.split(/\r?\n/);
  const fail = (line: number, column: number, message: string): never => {
    throw new GradoptError("E_DATA", message, { file, line, column });
  };
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed !== "" && !trimmed.startsWith("#")) {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) fail(1, 1, "empty data file: expected a header line such as 't,y'");
  const headerText = lines[headerLine]!;
  const delimiter = headerText.includes(",")
    ? ","
    : headerText.includes(";")
      ? ";"
      : headerText.includes("\t")
        ? "\t"
        : ",";
  const header = splitCells(headerText, delimiter);
  const names = header.map((c) => unquote(c.text.trim()));
  const timeIndex = names.findIndex((n) => n === "t" || n === "time");
  if (timeIndex < 0)
    fail(
      headerLine + 1,
      1,
      `the header has no time column: expected a column named 't' (got ${names.map((n) => `'${n}'`).join(", ")})`,
    );
  const columns: string[] = [];
  const seen = new Set<string>();
  header.forEach((cell, c) => {
    if (c === timeIndex) return;
    const name = names[c]!;
    const col = cell.start + 1;
    if (name === "") fail(headerLine + 1, col, `empty column name in the header`);
    if (seen.has(name)) fail(headerLine + 1, col, `duplicate column '${name}'`);
    if (allowedColumns && !allowedColumns.includes(name)) {
      fail(
        headerLine + 1,
        col,
        `column '${name}' is not a state of the model (states: ${allowedColumns.join(", ")})`,
      );
    }
    seen.add(name);
    columns.push(name);
  });
  if (columns.length === 0)
    fail(headerLine + 1, 1, "the header names no observed state: expected columns such as 't,y'");

  const times: number[] = [];
  const values: number[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const cells = splitCells(raw, delimiter);
    if (cells.length !== header.length) {
      const where = cells.length > header.length ? cells[header.length]!.start + 1 : raw.length + 1;
      fail(i + 1, where, `expected ${header.length} cells (as in the header), found ${cells.length}`);
    }
    cells.forEach((cell, c) => {
      const textCell = unquote(cell.text.trim());
      const col = cell.start + 1 + (cell.text.length - cell.text.trimStart().length);
      if (c === timeIndex) {
        const v = Number(textCell);
        if (textCell === "" || !Number.isFinite(v))
          fail(i + 1, col, `time '${textCell}' is not a finite number`);
        times.push(v);
        return;
      }
      if (MISSING.has(textCell.toLowerCase())) {
        values.push(NaN);
        return;
      }
      const v = Number(textCell);
      if (!Number.isFinite(v)) fail(i + 1, col, `'${textCell}' in column '${names[c]}' is not a number`);
      values.push(v);
    });
  }
  if (times.length === 0) fail(headerLine + 2, 1, "no data rows after the header");
  return { columns, times, values: Float64Array.from(values) };
}

function splitCells(line: string, delimiter: string): { text: string; start: number }[] {
  const cells: { text: string; start: number }[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i <= line.length; i++) {
    const c = line[i];
    if (c === '"') inQuotes = !inQuotes;
    if (i === line.length || (c === delimiter && !inQuotes)) {
      cells.push({ text: line.slice(start, i), start });
      start = i + 1;
    }
  }
  return cells;
}

const unquote = (s: string) =>
  s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
