/**
 * The `gradopt` command line: a thin layer over the library. Each command lives in commands/<name>.ts and exports
 * `register(program)`; this file only wires them and turns errors into one line (a stack trace only with --debug).
 * Commands are imported lazily: `gradopt solve` must not pay for loading TensorFlow.js.
 */
import { Command, CommanderError } from "commander";
import { formatError } from "./common.js";

type Register = (program: Command) => void;

const commands: Record<string, () => Promise<{ register: Register }>> = {
  solve: () => import("./commands/solve.js"),
  gradient: () => import("./commands/gradient.js"),
  fit: () => import("./commands/fit.js"),
  attack: () => import("./commands/attack.js"),
  train: () => import("./commands/train.js"),
  demo: () => import("./commands/demo.js"),
  serve: () => import("./commands/serve.js"),
};

/** The first word of argv that is not a flag: the command to run (undefined for help/version). */
function requestedCommand(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith("-"));
}

/** Builds the program with the named command only when it is known, else with all (for help and suggestions). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("gradopt")
    .description("Gradient-based optimisation through delay differential equations and neural classifiers")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: () => {} });
  const names = only !== undefined && only in commands ? [only] : Object.keys(commands);
  for (const name of names) (await commands[name]!()).register(program);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeErr: () => {} });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes("--debug");
  try {
    await (await buildProgram(requestedCommand(argv))).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      )
        return;
      process.stderr.write(`gradopt: ${err.message.replace(/^error: /, "")}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`gradopt: ${formatError(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    process.exitCode = 1;
  }
}
