/**
 * `gradopt gradient MODEL`: the cost and its exact gradient (forward sensitivities or adjoint); with --check, the
 * user's own gradient formulas (the model's `gradient:` section) compared with it. A failed check exits with status 1.
 */
import type { Command } from "commander";
import { GradoptError } from "../../errors.js";
import { modelGradient, prepareModel, type ModelGradientResult } from "../../model/index.js";
import { writeGradientReport } from "../../report/commands/index.js";
import { emit, withGlobalFlags, type GlobalOptions } from "../common.js";
import { fmt, modelFlags, parseNames, positive, table } from "./model-output.js";

interface GradientFlags extends GlobalOptions {
  wrt?: string;
  method?: string;
  solver?: string;
  check?: boolean;
  tolerance?: string;
  rtol?: string;
  atol?: string;
  set?: string;
  report?: string;
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("gradient")
      .description(
        "the model's cost and its exact gradient; --check compares the model's own gradient formulas",
      )
      .argument("<model>", "model file (YAML)")
      .option(
        "--wrt <names>",
        "targets: parameters, history.<state>, initial.<state> (default: the model's parameters)",
      )
      .option(
        "--method <m>",
        "forward | adjoint | auto (default auto: adjoint for more than 5 targets where it applies)",
      )
      .option("--check", "compare the model's `gradient:` formulas with the exact gradient")
      .option("--tolerance <rel>", "relative error a --check accepts (default max(1e-5, 100 rtol))")
      .option("--rtol <r>", "relative tolerance of the solves (default 1e-8)")
      .option("--atol <a>", "absolute tolerance (default rtol/100)")
      .option("--solver <name>", "integration method: dp5 (default), bs3, dop853")
      .option("--set <assignments>", "override parameters: name=value,...")
      .option("--report <file>", "also write an HTML report (gradient, check table, trajectories)"),
  ).action((file: string, flags: GradientFlags) => runGradient(file, flags));
}

async function runGradient(file: string, flags: GradientFlags): Promise<void> {
  const options = modelFlags({ ...flags, method: undefined });
  const method = flags.method?.toLowerCase();
  if (method !== undefined && method !== "forward" && method !== "adjoint" && method !== "auto") {
    throw new GradoptError("E_FLAG", `--method: expected forward, adjoint or auto, got '${flags.method}'`);
  }
  const model = prepareModel(file, options.set, "--set");
  const wrt = flags.wrt !== undefined ? parseNames("--wrt", flags.wrt) : undefined;
  for (const w of wrt ?? []) model.paramIndex(w, "--wrt");
  if (wrt && new Set(wrt).size !== wrt.length)
    throw new GradoptError("E_FLAG", "--wrt: a target is listed twice");
  const r = modelGradient(model, {
    ...options,
    set: undefined,
    wrt,
    gradientMethod: method as "forward" | "adjoint" | "auto" | undefined,
    check: flags.check,
    checkTolerance: flags.tolerance !== undefined ? positive("--tolerance", flags.tolerance) : undefined,
  });
  const json: Record<string, unknown> = { cost: r.cost, gradient: r.gradient, method: r.method };
  if (r.oneSided) json.oneSided = r.oneSided;
  if (r.check) json.check = r.check;
  if (r.user) json.user = r.user;
  emit(flags, json, () => human(r));
  if (flags.report) await writeGradientReport(flags.report, r);
  const failed = Object.entries(r.check ?? {})
    .filter(([, c]) => !c.ok)
    .map(([k]) => k);
  if (failed.length > 0) {
    process.stderr.write(
      `gradopt: ${model.file}: the gradient formula does not match the exact gradient for ${failed.join(", ")}\n`,
    );
    process.exitCode = 1;
  }
}

function human(r: ModelGradientResult): string {
  const lines = [
    `${r.model.name}: cost J = ${fmt(r.cost, 10)}  (gradient by ${r.method === "forward" ? "forward sensitivities" : "the adjoint method"})`,
  ];
  lines.push(
    table(
      ["target", "dJ/dtarget"],
      Object.entries(r.gradient).map(([k, v]) => {
        const side = r.oneSided?.[k];
        return [k, side ? `left ${fmt(side.left, 10)}, right ${fmt(side.right, 10)} (kink)` : fmt(v, 10)];
      }),
    ),
  );
  if (r.check) {
    lines.push("check of the model's gradient formulas against the exact gradient:");
    lines.push(
      table(
        ["target", "formula", "exact", "rel. error", ""],
        Object.entries(r.check).map(([k, c]) => [
          k,
          fmt(c.user, 10),
          fmt(c.exact, 10),
          c.relError.toExponential(2),
          c.ok ? "ok" : "MISMATCH",
        ]),
      ),
    );
    const unchecked = Object.keys(r.user ?? {}).filter((k) => !(k in r.check!));
    if (unchecked.length) lines.push(`(formulas for ${unchecked.join(", ")} not checked: not in --wrt)`);
  }
  return lines.join("\n");
}
