/**
 * The `gradopt` command line: a thin layer over the library. Each command lives in commands/<name>.ts and exports
 * `register(program)`; this file only wires them and turns errors into one line (a stack trace only with --debug).
 */
import { Command, CommanderError } from "commander";
import { formatError } from "./common.js";
import { register as registerSolve } from "./commands/solve.js";
import { register as registerGradient } from "./commands/gradient.js";
import { register as registerFit } from "./commands/fit.js";
import { register as registerAttack } from "./commands/attack.js";
import { register as registerTrain } from "./commands/train.js";
import { register as registerDemo } from "./commands/demo.js";
import { register as registerServe } from "./commands/serve.js";

export function buildProgram(): Command {
  const program = new Command("gradopt")
    .description("Gradient-based optimisation through delay differential equations and neural classifiers")
    .version("0.1.0")
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: () => {} });
  for (const register of [registerSolve, registerGradient, registerFit, registerAttack, registerTrain, registerDemo, registerServe]) {
    register(program);
  }
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeErr: () => {} });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes("--debug");
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return;
      process.stderr.write(`gradopt: ${err.message.replace(/^error: /, "")}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`gradopt: ${formatError(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(err.stack + "\n");
    process.exitCode = 1;
  }
}
