import { describe, expect, it } from "vitest";
import { GradoptError } from "./errors.js";

describe("GradoptError", () => {
  it("formats file, line and column", () => {
    const e = new GradoptError("E_PARSE", "unexpected ')'", { file: "m.yaml", line: 3, column: 14 });
    expect(e.format()).toBe("m.yaml:3:14: unexpected ')'");
    expect(e.code).toBe("E_PARSE");
  });
  it("formats a message without location as itself", () => {
    expect(new GradoptError("E_FLAG", "unknown flag --foo").format()).toBe("unknown flag --foo");
  });
});
