// The `gradopt demo` command: flags parsed, --json prints exactly the summary on stdout, bad flags name themselves.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

const out = mkdtempSync(join(tmpdir(), "gradopt-demo-cli-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = "";
  let stderr = "";
  const so = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const se = vi
    .spyOn(process.stderr, "write")
    .mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await main(["node", "gradopt", ...argv]);
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = before;
  return { stdout, stderr, code };
}

describe("gradopt demo (CLI)", () => {
  it("--json prints one JSON document, the same as summary.json; progress goes to stderr", async () => {
    const r = await capture(["demo", "--quick", "--no-attack", "--json", "--out", out]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.attack).toEqual({ available: false, reason: "skipped (--no-attack)" });
    expect(doc.dde.available).toBe(true);
    expect(doc).toEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")));
    expect(r.stderr).toContain("DDE:");
    expect(r.stderr).toContain("iteration");
  });

  it("rejects a bad --limit naming the flag", async () => {
    const r = await capture(["demo", "--quick", "--no-dde", "--limit", "zero", "--out", out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--limit/);
  });
});
