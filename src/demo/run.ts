/**
 * `gradopt demo`: the whole walkthrough on bundled defaults, offline. Part 1 answers the practitioner's question (a
 * cost whose gradient formula depends on the states of a delay-differential system: check the formula, optimise,
 * compare optimisers); part 2 replays the FGSM article on the bundled Fashion-MNIST classifier (signed gradient,
 * predictions at eps 0 / 0.01 / 0.1 / 0.15, the reverse step, robust accuracy for FGSM, BIM and PGD).
 * Writes report.html and summary.json; a part that cannot run says so in both, never with made-up numbers.
 */
import { join } from "node:path";
import { Report, writeJsonAtomic, formatDuration } from "../report/index.js";
import { runAttackPart } from "./attack-part.js";
import { runDdePart } from "./dde-part.js";
import { stderrProgress } from "./progress.js";
import type { DemoOptions, DemoSummary, PartContext, Unavailable } from "./types.js";

export const DEMO_VERSION = "0.1.0";

function unavailable(report: Report, what: string, err: unknown): Unavailable {
  const reason = err instanceof Error ? err.message : String(err);
  report.note(
    `**${what} is unavailable in this run**: ${reason}. No results are shown for it.`,
    "unavailable",
  );
  return { available: false, reason };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const t0 = Date.now();
  const outDir = options.outDir ?? "out";
  const quick = options.quick ?? false;
  const progress = options.progress ?? stderrProgress();
  const reportFile = join(outDir, "report.html");
  const summaryFile = join(outDir, "summary.json");

  const report = new Report({
    title: "gradopt walkthrough",
    subtitle: `Gradients through a delay-differential system, and gradient attacks on an image classifier${
      quick ? " (quick mode: reduced sizes)" : ""
    }.`,
  });
  report.text(
    "Two questions, answered with the library's own tools on bundled data, offline. **Part 1** — *how do I use a " +
      "gradient-based optimiser on a cost whose gradient formula f(x1, x2, x3) depends on the states of a system of " +
      "delay differential equations?* **Part 2** — the fast gradient sign method (FGSM) article: what the signed gradient " +
      "looks like, what happens to predictions at eps 0, 0.01, 0.1 and 0.15, what the reverse step does to the true " +
      "class's confidence, and how robust accuracy falls with eps for FGSM and the iterative BIM and PGD attacks.",
  );
  const ctx: PartContext = { report, progress, quick, limit: options.limit, model: options.model };

  const timings: DemoSummary["timings"] = {};
  let dde: DemoSummary["dde"];
  if (options.dde === false) {
    dde = { available: false, reason: "skipped (--no-dde)" };
  } else {
    report.heading("Part 1 — optimising through a delay-differential system");
    const t = Date.now();
    try {
      dde = await runDdePart(ctx);
    } catch (err) {
      dde = unavailable(report, "The delay-differential part", err);
      progress.info(`DDE part unavailable: ${dde.reason}`);
    }
    timings.dde = (Date.now() - t) / 1000;
  }

  let attack: DemoSummary["attack"];
  if (options.attack === false) {
    attack = { available: false, reason: "skipped (--no-attack)" };
  } else {
    report.heading("Part 2 — the fast gradient sign method on an image classifier");
    const t = Date.now();
    try {
      attack = await runAttackPart(ctx);
    } catch (err) {
      attack = unavailable(report, "The attack part", err);
      progress.info(`attack part unavailable: ${attack.reason}`);
    }
    timings.attack = (Date.now() - t) / 1000;
  }

  const seconds = (Date.now() - t0) / 1000;
  const summary: DemoSummary = {
    gradopt: DEMO_VERSION,
    createdAt: new Date().toISOString(),
    quick,
    seconds,
    timings,
    dde,
    attack,
    files: { report: reportFile, summary: summaryFile },
  };
  report.footer = `Written by gradopt ${DEMO_VERSION} on ${summary.createdAt.slice(0, 19).replace("T", " ")} UTC in ${formatDuration(
    seconds,
  )}. Every number on this page was measured in this run; summary.json holds them all.`;
  const done = progress.step(`writing ${reportFile} and ${summaryFile}`);
  writeJsonAtomic(summaryFile, summary);
  await report.writeHtml(reportFile, { inlineAssets: options.inlineAssets ?? true });
  done();
  return summary;
}
