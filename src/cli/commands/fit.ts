/**
 * `gradopt fit MODEL`: fits the model's parameters (delays, history and initial values included) to its cost, from the
 * file's values (or --set). Progress goes to stderr (a live line on a terminal); the result to stdout.
 */
import type { Command } from "commander";
import type { FitOptimizer } from "../../dde/fit/fit.js";
import { GradoptError } from "../../errors.js";
import { readFileSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { fitModelFile, prepareModel, setModelParams, type FitModelFileResult } from "../../model/index.js";
import { writeFileAtomic } from "../../report/atomic.js";
import { writeFitReport } from "../../report/commands/index.js";
import { emit, parseBounds, parsePositiveInt, withGlobalFlags, type GlobalOptions } from "../common.js";
import { fmt, modelFlags, parseNames, positive, table } from "./model-output.js";

interface FitFlags extends GlobalOptions {
  wrt?: string;
  optimizer?: string;
  bounds?: string;
  gradient?: string;
  maxIter?: string;
  method?: string;
  solver?: string;
  gtol?: string;
  learningRate?: string;
  multiStart?: string;
  seed?: string;
  rtol?: string;
  atol?: string;
  set?: string;
  save?: string;
  progress: boolean;
  report?: string;
}

const OPTIMIZERS: readonly FitOptimizer[] = ["lbfgs", "lbfgsb", "adam", "gd", "lm"];

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("fit")
      .description("fit a model's parameters to its cost (data, integrals, ...) with exact gradients")
      .argument("<model>", "model file (YAML)")
      .option(
        "--wrt <names>",
        "targets: parameters, history.<state>, initial.<state> (default: the model's parameters)",
      )
      .option("--optimizer <name>", "lbfgs | lbfgsb | adam | gd | lm (default lbfgs, lbfgsb with --bounds)")
      .option("--bounds <ranges>", "bounds: name=lo:hi,... (either side may be empty)")
      .option("--gradient <kind>", "exact (default) | user (the model's own gradient formulas)")
      .option("--max-iter <n>", "iteration limit")
      .option("--method <m>", "exact-gradient method: forward | adjoint | auto (default)")
      .option("--solver <name>", "integration method: dp5 (default), bs3, dop853")
      .option("--gtol <g>", "gradient tolerance")
      .option("--learning-rate <lr>", "step size of adam / gd")
      .option("--multi-start <n>", "extra random starts inside finite bounds")
      .option("--seed <n>", "seed of the multi-start draws")
      .option("--rtol <r>", "relative tolerance of the solves (default 1e-8)")
      .option("--atol <a>", "absolute tolerance (default rtol/100)")
      .option("--set <assignments>", "starting values: name=value,...")
      .option("--save <file>", "write the model file with the fitted values (comments kept)")
      .option("--no-progress", "no progress line on stderr")
      .option("--report <file>", "also write an HTML report (cost history, trajectories before and after)"),
  ).action((file: string, flags: FitFlags) => runFit(file, flags));
}

async function runFit(file: string, flags: FitFlags): Promise<void> {
  const options = modelFlags({ ...flags, method: undefined });
  const optimizer = flags.optimizer?.toLowerCase() as FitOptimizer | undefined;
  if (optimizer !== undefined && !OPTIMIZERS.includes(optimizer)) {
    throw new GradoptError(
      "E_FLAG",
      `--optimizer: unknown optimizer '${flags.optimizer}' (known: ${OPTIMIZERS.join(", ")})`,
    );
  }
  const gradient = flags.gradient?.toLowerCase();
  if (gradient !== undefined && gradient !== "exact" && gradient !== "user") {
    throw new GradoptError("E_FLAG", `--gradient: expected exact or user, got '${flags.gradient}'`);
  }
  const method = flags.method?.toLowerCase();
  if (method !== undefined && !["forward", "adjoint", "auto"].includes(method)) {
    throw new GradoptError("E_FLAG", `--method: expected forward, adjoint or auto, got '${flags.method}'`);
  }
  const model = prepareModel(file, options.set, "--set");
  const wrt = flags.wrt !== undefined ? parseNames("--wrt", flags.wrt) : undefined;
  for (const w of wrt ?? []) model.paramIndex(w, "--wrt");
  const bounds: Record<string, [number, number]> = {};
  for (const [name, b] of Object.entries(
    flags.bounds !== undefined ? parseBounds("--bounds", flags.bounds) : {},
  )) {
    model.paramIndex(name, "--bounds");
    const targets = wrt ?? (gradient === "user" ? Object.keys(model.userGradient) : model.modelParams);
    if (!targets.includes(name))
      throw new GradoptError("E_FLAG", `--bounds: '${name}' is not fitted (targets: ${targets.join(", ")})`);
    bounds[name] = [b.lower, b.upper];
  }
  const progress = flags.progress && !flags.json && process.stderr.isTTY ? new ProgressLine() : undefined;
  let result: FitModelFileResult;
  try {
    result = fitModelFile(model, {
      ...options,
      set: undefined,
      wrt,
      optimizer,
      bounds: Object.keys(bounds).length ? bounds : undefined,
      gradient: gradient as "exact" | "user" | undefined,
      gradientMethod: method as "forward" | "adjoint" | "auto" | undefined,
      maxIter: flags.maxIter !== undefined ? parsePositiveInt("--max-iter", flags.maxIter) : undefined,
      gtol: flags.gtol !== undefined ? positive("--gtol", flags.gtol) : undefined,
      learningRate:
        flags.learningRate !== undefined ? positive("--learning-rate", flags.learningRate) : undefined,
      multiStart:
        flags.multiStart !== undefined ? parsePositiveInt("--multi-start", flags.multiStart) : undefined,
      seed: flags.seed !== undefined ? parsePositiveInt("--seed", flags.seed) : undefined,
      onProgress: progress
        ? (p) =>
            progress.update(
              `fit: iteration ${p.iteration}${p.start ? ` (start ${p.start})` : ""}  J = ${fmt(p.cost)}  |g| = ${fmt(p.gradNorm, 3)}`,
            )
        : undefined,
    });
  } finally {
    progress?.done();
  }
  const r = result;
  if (flags.save) {
    if (!Number.isFinite(r.cost))
      throw new GradoptError(
        "E_SOLVER",
        `--save: nothing written, the fit has no finite cost (${r.message})`,
      );
    const rebase = { from: dirname(resolvePath(file)), to: dirname(resolvePath(flags.save)) };
    writeFileAtomic(flags.save, setModelParams(readFileSync(file, "utf8"), r.params, file, rebase));
  }
  const json = {
    params: r.params,
    cost: r.cost,
    initialCost: r.initialCost,
    status: r.status,
    converged: r.converged,
    iterations: r.iterations,
    evaluations: r.evaluations,
    optimizer: r.optimizer,
    message: r.message,
  };
  emit(flags, json, () => human(r) + (flags.save ? `\nwrote the fitted model to ${flags.save}` : ""));
  if (flags.report) await writeFitReport(flags.report, r);
  if (!Number.isFinite(r.cost)) {
    process.stderr.write(
      `gradopt: ${model.file}: the fit found no point where the model can be solved (${r.message})\n`,
    );
    process.exitCode = 1;
  }
}

function human(r: FitModelFileResult): string {
  const start = r.model.params();
  return [
    `${r.model.name}: ${r.optimizer} ${r.converged ? "converged" : "stopped"} (${r.status}) after ${r.iterations} iterations, ${r.evaluations} evaluations`,
    r.message && r.message !== r.status ? `  ${r.message}` : "",
    `cost J: ${fmt(r.initialCost)} -> ${fmt(r.cost)}`,
    table(
      ["parameter", "start", "fitted"],
      r.names.map((name) => [name, start[name]!, r.params[name]!]),
    ),
  ]
    .filter(Boolean)
    .join("\n");
}

/** One status line on stderr, rewritten in place, cleared at the end. */
class ProgressLine {
  private last = 0;
  update(text: string): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    process.stderr.write(
      `\r${text.slice(0, (process.stderr.columns ?? 100) - 1).padEnd(Math.min(99, (process.stderr.columns ?? 100) - 1))}`,
    );
  }
  done(): void {
    if (this.last > 0) process.stderr.write("\r\x1b[K");
  }
}
