// `gradopt demo` end to end in quick mode: the summary holds the expected findings, the report references only files
// that exist, and the page opens in headless Chromium without errors (screenshot in test-artifacts/).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  runDemo,
  silentProgress,
  type AttackSummary,
  type DdeSummary,
  type DemoSummary,
} from "../../src/demo/index.js";
import { localReferences } from "../../src/report/index.js";
import { browserSkipped, checkPageInChromium } from "./browser.js";

const out = mkdtempSync(join(tmpdir(), "gradopt-demo-"));
let summary: DemoSummary;

beforeAll(async () => {
  summary = await runDemo({ outDir: out, quick: true, progress: silentProgress });
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("gradopt demo --quick", () => {
  it("writes summary.json equal to what it returned", () => {
    const file = join(out, "summary.json");
    expect(existsSync(file)).toBe(true);
    const onDisk = JSON.parse(readFileSync(file, "utf8")) as DemoSummary;
    expect(onDisk.quick).toBe(true);
    expect(onDisk.dde.available).toBe(summary.dde.available);
    expect(onDisk.attack.available).toBe(summary.attack.available);
    expect(onDisk.files.report).toBe(join(out, "report.html"));
  });

  it("part 1: the user's formula agrees with the exact gradient and L-BFGS converges to the known minimiser", () => {
    if (!summary.dde.available) throw new Error(`DDE part unavailable: ${summary.dde.reason}`);
    const d = summary.dde as DdeSummary;
    expect(d.states).toEqual(["x1", "x2", "x3"]);
    expect(d.gradientCheck.ok).toBe(true);
    for (const e of Object.values(d.gradientCheck.entries)) expect(e.relError).toBeLessThan(1e-4);
    const main = d.optimizers[0]!;
    expect(main.gradient).toBe("user");
    expect(main.converged).toBe(true);
    expect(main.cost).toBeLessThan(1e-8 * main.initialCost);
    // J = 0 exactly when x1 stays at its history value 1: k = u and c = 1.
    expect(Math.abs(main.params.k! - d.params.u!)).toBeLessThan(1e-4);
    expect(Math.abs(main.params.c! - 1)).toBeLessThan(1e-4);
    // cost falling step by step (L-BFGS with a line search decreases monotonically)
    for (let i = 1; i < main.costHistory.length; i++)
      expect(main.costHistory[i]!).toBeLessThanOrEqual(main.costHistory[i - 1]!);
    expect(d.optimizers.map((r) => r.method)).toEqual(["lbfgs", "lbfgs", "adam", "gd"]);
    for (const r of d.optimizers) expect(r.cost).toBeLessThan(r.initialCost);
    expect(d.findings).toEqual({ formulaMatchesExact: true, mainConverged: true, costDecreased: true });
  });

  it("part 2: accuracy falls with eps, iterative attacks are at least as strong, the reverse step raises confidence", () => {
    if (!summary.attack.available) throw new Error(`attack part unavailable: ${summary.attack.reason}`);
    const a = summary.attack as AttackSummary;
    expect(a.cleanAccuracy).toBeGreaterThan(0.6);
    expect(a.sampleEpsilons).toEqual([0, 0.01, 0.1, 0.15]);
    expect(a.samples.length).toBeGreaterThanOrEqual(2);
    for (const s of a.samples) {
      expect(s.predictions.map((p) => p.eps)).toEqual([0, 0.01, 0.1, 0.15]);
      // eps 0 leaves the image alone: the true-class confidence is the clean one
      expect(s.predictions[0]!.trueConfidence).toBeCloseTo(s.reverse.trueConfidenceBefore, 6);
      expect(s.predictions[3]!.trueConfidence).toBeLessThan(s.predictions[0]!.trueConfidence);
      expect(s.reverse.trueConfidenceAfter).toBeGreaterThanOrEqual(s.reverse.trueConfidenceBefore);
    }
    for (const name of ["fgsm", "bim", "pgd"]) {
      const pts = a.robustness[name]!.points;
      expect(pts[0]!.eps).toBe(0);
      expect(pts[0]!.accuracy).toBeCloseTo(a.cleanAccuracy, 10);
      expect(pts.at(-1)!.accuracy).toBeLessThan(pts[0]!.accuracy - 0.2);
      for (const p of pts) expect(p.maxLinf).toBeLessThanOrEqual(p.eps + 1e-6);
    }
    expect(a.findings.accuracyDecreasesWithEps.pgd).toBe(true);
    expect(a.findings.accuracyDecreasesWithEps.bim).toBe(true);
    expect(a.findings.iterativeAtLeastAsStrong).toBe(true);
    expect(a.findings.reverseRaisesConfidence).toBe(true);
    expect(a.reverseOnSubset.meanTrueConfidenceAfter).toBeGreaterThan(
      a.reverseOnSubset.meanTrueConfidenceBefore,
    );
  });

  it("writes a self-contained report.html that references only files that exist", () => {
    const file = join(out, "report.html");
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Part 1");
    expect(html).toContain("Part 2");
    expect(html).not.toContain("unavailable in this run");
    for (const ref of localReferences(html, file)) expect(existsSync(ref), ref).toBe(true);
    // charts: states, cost history, x1 before/after, accuracy curves
    expect(html.match(/src="data:image\/svg\+xml;base64,/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
    expect(html.match(/src="data:image\/png;base64,/g)?.length ?? 0).toBeGreaterThanOrEqual(10);
  });

  it.skipIf(browserSkipped())(
    "opens in headless Chromium without console errors (screenshot in test-artifacts/)",
    async () => {
      const check = await checkPageInChromium(join(out, "report.html"), "test-artifacts/demo-report.png");
      expect(check.consoleErrors).toEqual([]);
      expect(check.pageErrors).toEqual([]);
      expect(check.failedRequests).toEqual([]);
      expect(check.brokenImages).toEqual([]);
      expect(check.imageCount).toBeGreaterThan(10);
      expect(existsSync("test-artifacts/demo-report.png")).toBe(true);
    },
  );
});
