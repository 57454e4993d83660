/**
 * The command-line reference (docs/cli.md), generated from the commander definitions themselves so that it cannot drift
 * from what `gradopt <command> --help` accepts. `npm run docs:cli` rewrites the file; a test fails when it is stale.
 */
import type { Command, Option } from "commander";

/** Markdown-safe table cell: pipes escaped, newlines folded. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** A default as a user would type it; paths inside the package are shown relative to it (they are machine-specific). */
function defaultText(option: Option, packageRoot: string): string {
  const v: unknown = option.defaultValue;
  if (v === undefined || option.negate) return "";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  const root = packageRoot.endsWith("/") ? packageRoot : packageRoot + "/";
  return "`" + (text.startsWith(root) ? text.slice(root.length) : text) + "`";
}

function commandSection(cmd: Command, packageRoot: string): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(" ");
  const lines = [
    `## gradopt ${cmd.name()}`,
    "",
    cell(cmd.description()),
    "",
    "```",
    `gradopt ${cmd.name()} ${args ? args + " " : ""}[options]`,
    "```",
    "",
    "| option | meaning | default |",
    "|---|---|---|",
  ];
  for (const o of cmd.options)
    lines.push(`| \`${cell(o.flags)}\` | ${cell(o.description)} | ${defaultText(o, packageRoot)} |`);
  return lines.join("\n");
}

/** The whole reference: one section per command, in the order `gradopt --help` lists them. */
export function cliReference(program: Command, packageRoot: string): string {
  const header = [
    "# gradopt command-line reference",
    "",
    "Generated from the command definitions by `npm run docs:cli` (a test fails when this file is stale); the same text",
    "is printed by `gradopt <command> --help`. The contract these commands keep (model files, `--json` documents) is",
    "[contract.md](contract.md). Every command accepts `--json` and `--debug`.",
  ].join("\n");
  return [header, ...program.commands.map((c) => commandSection(c, packageRoot))].join("\n\n") + "\n";
}
