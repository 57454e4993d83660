/**
 * `minimize(fg, x0, options)`: one entry point for every method (the contract's library call).
 *
 * fg(x, g) writes ∂f/∂x into g and returns f. Methods: "lbfgs" (default), "lbfgsb" (bounds), "gd" (projected
 * gradient descent with Armijo backtracking), and the first-order transforms "adam", "adamw", "sgd", "momentum",
 * "nesterov", "rmsprop", "sign" (or any Transform object). With bounds, "lbfgs" switches to "lbfgsb" and first-order
 * methods project onto the box after every step. `maximize: true` maximises and reports the un-negated f.
 */
import { GradoptError } from "../errors.js";
import { adam } from "./aliases/adam.js";
import { adamw } from "./aliases/adamw.js";
import { momentum } from "./aliases/momentum.js";
import { rmsprop } from "./aliases/rmsprop.js";
import { sgd } from "./aliases/sgd.js";
import { signSgd } from "./aliases/signSgd.js";
import { hasFiniteBound, expandBounds, type Bounds } from "./bounds.js";
import { runTransform, type FirstOrderOptions } from "./firstOrder.js";
import { gradientDescent } from "./gd.js";
import { lbfgs } from "./lbfgs.js";
import { lbfgsb } from "./lbfgsb.js";
import type { MoreThuenteOptions } from "./linesearch/moreThuente.js";
import type { ObjectiveFn } from "./objective.js";
import type { Projection } from "./projections.js";
import type { CommonOptions, OptimResult } from "./status.js";
import type { AnyTransform, ScalarOrSchedule } from "./transforms/types.js";

export type MethodName =
  "lbfgs" | "lbfgsb" | "gd" | "adam" | "adamw" | "sgd" | "momentum" | "nesterov" | "rmsprop" | "sign";
export const METHOD_NAMES: readonly MethodName[] = [
  "lbfgs",
  "lbfgsb",
  "gd",
  "adam",
  "adamw",
  "sgd",
  "momentum",
  "nesterov",
  "rmsprop",
  "sign",
];

export interface MinimizeOptions extends CommonOptions {
  method?: MethodName | AnyTransform;
  bounds?: Bounds;
  /** L-BFGS(-B) memory (default 10). */
  memory?: number;
  lineSearch?: MoreThuenteOptions;
  /** Learning rate (or schedule) of the first-order methods (default 1e-3 for adam/adamw/rmsprop, 1e-2 otherwise). */
  learningRate?: ScalarOrSchedule;
  /** Momentum decay for "momentum"/"nesterov"/"sgd" (default 0.9 for the first two). */
  momentum?: number;
  /** AdamW's weight decay. */
  weightDecay?: number;
  /** First-order methods only: a projection applied after every step (after the box). */
  project?: Projection;
}

export function minimize(fg: ObjectiveFn, x0: ArrayLike<number>, options: MinimizeOptions = {}): OptimResult {
  if (typeof fg !== "function")
    throw new GradoptError("E_ARG", "minimize: fg must be a function (x, g) => f");
  const method = options.method ?? "lbfgs";
  if (typeof method === "object")
    return runTransform(fg, x0, method, options as FirstOrderOptions, "transform");
  const n = typeof x0?.length === "number" ? x0.length : 0;
  const bounded =
    options.bounds !== undefined &&
    n > 0 &&
    (() => {
      const { l, u } = expandBounds(options.bounds, n, "minimize");
      return hasFiniteBound(l, u);
    })();
  if (options.project && (method === "lbfgs" || method === "lbfgsb" || method === "gd")) {
    throw new GradoptError(
      "E_ARG",
      `minimize: 'project' is for first-order methods; use 'bounds' with method "${method}"`,
    );
  }
  switch (method) {
    case "lbfgs":
      return bounded ? lbfgsb(fg, x0, options) : lbfgs(fg, x0, options);
    case "lbfgsb":
      return lbfgsb(fg, x0, options);
    case "gd":
      return gradientDescent(fg, x0, options);
    default: {
      const t = firstOrderTransform(method, options);
      return runTransform(fg, x0, t, options, method);
    }
  }
}

function firstOrderTransform(method: MethodName, o: MinimizeOptions): AnyTransform {
  const slow = method === "adam" || method === "adamw" || method === "rmsprop";
  const lr = o.learningRate ?? (slow ? 1e-3 : 1e-2);
  switch (method) {
    case "adam":
      return adam(lr);
    case "adamw":
      return adamw(lr, o.weightDecay === undefined ? {} : { weightDecay: o.weightDecay });
    case "sgd":
      return sgd(lr, o.momentum ? { momentum: o.momentum } : {});
    case "momentum":
      return momentum(lr, { decay: o.momentum ?? 0.9 });
    case "nesterov":
      return momentum(lr, { decay: o.momentum ?? 0.9, nesterov: true });
    case "rmsprop":
      return rmsprop(lr);
    case "sign":
      return signSgd(lr);
    default:
      throw new GradoptError(
        "E_ARG",
        `minimize: unknown method "${String(method)}" (expected one of ${METHOD_NAMES.join(", ")}, or a Transform)`,
      );
  }
}
