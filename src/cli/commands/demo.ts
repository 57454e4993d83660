/**
 * `gradopt demo` (what `npm start` runs): the whole walkthrough on bundled defaults, offline; writes DIR/report.html
 * and DIR/summary.json, progress on stderr. With --json the summary is printed on stdout as one document.
 */
import type { Command } from "commander";
import { runDemo, stderrProgress, type DemoSummary } from "../../demo/index.js";
import { formatNumber, formatPercent } from "../../report/index.js";
import { emit, parsePositiveInt, withGlobalFlags, type GlobalOptions } from "../common.js";

interface DemoFlags extends GlobalOptions {
  out: string;
  quick?: boolean;
  dde: boolean;
  attack: boolean;
  limit?: string;
  model?: string;
  inline: boolean;
  quiet?: boolean;
}

function humanSummary(s: DemoSummary): string {
  const lines: string[] = [];
  if (s.dde.available) {
    const d = s.dde;
    const main = d.optimizers[0];
    lines.push(
      `DDE (${d.model}): user gradient formula ${d.gradientCheck.ok ? "matches" : "DOES NOT match"} the exact gradient`,
    );
    for (const r of d.optimizers) {
      lines.push(
        `  ${r.label.padEnd(22)} cost ${formatNumber(r.initialCost)} -> ${formatNumber(r.cost)}  ${r.status}${
          r.converged ? " (converged)" : ""
        }, ${r.iterations} iterations, ${r.evaluations} evaluations`,
      );
    }
    if (main)
      lines.push(
        `  fitted: ${Object.entries(main.params)
          .map(([k, v]) => `${k} = ${formatNumber(v, 6)}`)
          .join(", ")}`,
      );
  } else lines.push(`DDE part: unavailable (${s.dde.reason})`);
  if (s.attack.available) {
    const a = s.attack;
    lines.push(`Attacks (${a.model}, ${a.n} images): clean accuracy ${formatPercent(a.cleanAccuracy)}`);
    for (const [name, r] of Object.entries(a.robustness)) {
      lines.push(
        `  ${name.toUpperCase().padEnd(5)} ${r.points.map((p) => `eps ${p.eps}: ${formatPercent(p.accuracy)}`).join("  ")}`,
      );
    }
    for (const smp of a.samples) {
      lines.push(
        `  reverse step on #${smp.index} (${smp.labelName}): true-class confidence ${formatPercent(
          smp.reverse.trueConfidenceBefore,
          2,
        )} -> ${formatPercent(smp.reverse.trueConfidenceAfter, 2)}`,
      );
    }
  } else lines.push(`Attack part: unavailable (${s.attack.reason})`);
  lines.push(`Report: ${s.files.report}   Summary: ${s.files.summary}   (${s.seconds.toFixed(1)} s)`);
  return lines.join("\n");
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("demo")
      .description("run the walkthrough (DDE gradient optimisation + FGSM article) and write DIR/report.html")
      .option("--out <dir>", "output folder for report.html and summary.json", "out")
      .option("--quick", "reduced sizes (fewer images and iterations)")
      .option("--no-dde", "skip the delay-differential part")
      .option("--no-attack", "skip the attack part")
      .option("--model <dir>", "classifier for the attack part (default: the bundled models/fashion-cnn)")
      .option("--limit <n>", "images for the robust-accuracy curves (default 300; 64 with --quick)")
      .option("--no-inline", "write images and charts into DIR/report_files/ instead of inlining them")
      .option("--quiet", "no progress on stderr"),
  ).action(async (flags: DemoFlags) => {
    const summary = await runDemo({
      outDir: flags.out,
      quick: flags.quick ?? false,
      dde: flags.dde,
      attack: flags.attack,
      ...(flags.model !== undefined ? { model: flags.model } : {}),
      ...(flags.limit !== undefined ? { limit: parsePositiveInt("--limit", flags.limit) } : {}),
      inlineAssets: flags.inline,
      progress: stderrProgress({ quiet: flags.quiet ?? false }),
    });
    emit(flags, summary, () => humanSummary(summary));
  });
}
