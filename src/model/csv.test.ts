import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { parseObservations } from "./csv.js";

function errorOf(text: string): GradoptError {
  try {
    parseObservations(text, "obs.csv", ["x", "y"]);
  } catch (err) {
    if (err instanceof GradoptError) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("observation CSV files", () => {
  it("reads columns in file order, missing cells as NaN, comments and blank lines skipped", () => {
    const obs = parseObservations('# made by hand\n"time";y;x\n\n0;1;NA\n0.5; 2 ;\n1;nan;3e-1\n', "obs.csv", [
      "x",
      "y",
    ]);
    expect(obs.columns).toEqual(["y", "x"]);
    expect(obs.times).toEqual([0, 0.5, 1]);
    expect(Array.from(obs.values)).toEqual([1, NaN, 2, NaN, NaN, 0.3]);
  });

  it.each([
    ["", 1, 1, "empty data file"],
    ["x,y\n1,2\n", 1, 1, "no time column"],
    ["t,x,z\n0,1,2\n", 1, 5, "column 'z' is not a state of the model (states: x, y)"],
    ["t,x,x\n0,1,2\n", 1, 5, "duplicate column 'x'"],
    ["t\n0\n", 1, 1, "names no observed state"],
    ["t,x\n", 2, 1, "no data rows"],
    ["t,x\n0,1\n1,2,3\n", 3, 5, "expected 2 cells (as in the header), found 3"],
    ["t,x\n0,1\n1\n", 3, 2, "expected 2 cells (as in the header), found 1"],
    ["t,x\n0,1\nabc,2\n", 3, 1, "time 'abc' is not a finite number"],
    ["t,x\n0,1\n1,  1..5\n", 3, 5, "'1..5' in column 'x' is not a number"],
  ])("%j -> obs.csv:%i:%i", (text, line, column, message) => {
    const err = errorOf(text);
    expect(err.code).toBe("E_DATA");
    expect(err.location).toEqual({ file: "obs.csv", line, column });
    expect(err.message).toContain(message);
  });
});
