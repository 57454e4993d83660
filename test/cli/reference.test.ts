import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { cliReference } from "../../src/cli/reference.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("docs/cli.md", () => {
  it("is the reference generated from the current command definitions (run `npm run docs:cli` after changing a flag)", async () => {
    const program = await buildProgram();
    const text = cliReference(program, root);
    expect(readFileSync(join(root, "docs", "cli.md"), "utf8")).toBe(text);
    // Every flag of every command is in it, and no machine-specific path.
    for (const cmd of program.commands)
      for (const o of cmd.options) expect(text).toContain(o.flags.replace(/\|/g, "\\|"));
    expect(text).not.toContain(root);
  });
});
