/** `gradopt attack --attack square|spsa|hsj` through the CLI's main() on the bundled fashion-cnn. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/cli/run-cli.js";
import type { BlackBoxSummary } from "./run.js";

/** The --json document: the summary plus what the CLI adds (the white-box comparison). */
type Doc = BlackBoxSummary & { comparison?: { verdict: string; message: string } };

describe("gradopt attack (black-box)", () => {
  it("--attack square --json: the contract's document plus queries, and the white-box comparison (also in --report)", async () => {
    const report = join(mkdtempSync(join(tmpdir(), "gradopt-bb-")), "square.html");
    const r = await runCli(
      ...[
        "attack",
        "--attack",
        "square",
        "--limit",
        "30",
        "--eps",
        "0,0.1",
        "--queries",
        "300",
        "--compare",
        "--report",
        report,
        "--json",
      ],
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.n).toBe(30);
    expect(doc.results.map((e) => e.eps)).toEqual([0, 0.1]);
    expect(doc.results[0]!.accuracy).toBe(doc.clean.accuracy);
    expect(doc.results[1]!.accuracy).toBeLessThan(doc.clean.accuracy);
    expect(doc.results[1]!.maxLinf).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(doc.results[1]!.queries.mean).toBeGreaterThan(1);
    expect(doc.results[1]!.queries.mean).toBeLessThanOrEqual(300);
    expect(doc.queries.total).toBeGreaterThan(30);
    expect(["consistent", "gradient-masking-suspected"]).toContain(doc.comparison!.verdict);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("White-box against black-box");
    expect(html).toContain(doc.comparison!.message.replace(/&/g, "&amp;").split(":")[0]);
    expect(html).toContain("queries (mean / median)");
  });

  it("--attack hsj reports the L2 history; bad flags are named", async () => {
    const r = await runCli(
      ...[
        "attack",
        "--attack",
        "hsj",
        "--limit",
        "3",
        "--eps",
        "1,3",
        "--steps",
        "3",
        "--queries",
        "600",
        "--json",
      ],
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.l2History!.length).toBeGreaterThan(1);
    expect(doc.queries.mean).toBeLessThanOrEqual(600);
    const bad = await runCli(...["attack", "--attack", "square", "--targeted", "3", "--limit", "2"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--targeted/);
  });
});
