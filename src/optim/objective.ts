import { GradoptError } from "../errors.js";

/**
 * The user's objective: writes ∂f/∂x into g and returns f. It may instead return `[f, gradient]` with a gradient
 * array of its own (checked for length).
 */
export type ObjectiveFn = (x: Float64Array, g: Float64Array) => number | readonly [number, ArrayLike<number>];

/**
 * Wraps the user's objective for the minimisers: counts evaluations, negates for maximisation, and turns failures into
 * an infinitely bad value (+Infinity) so that line searches back off from trial points where the objective throws or
 * returns NaN/Infinity. The last failure is remembered for the message.
 */
export class Objective {
  evaluations = 0;
  lastFailure: string | undefined;
  lastFailureKind: "non_finite" | "objective_error" | undefined;

  constructor(
    private readonly fg: ObjectiveFn,
    readonly n: number,
    readonly sign: 1 | -1,
  ) {}

  /** f (negated when maximising) with the gradient in g; +Infinity when the point is unusable. */
  evaluate(x: Float64Array, g: Float64Array): number {
    this.evaluations++;
    let r: number | readonly [number, ArrayLike<number>];
    try {
      r = this.fg(x, g);
    } catch (err) {
      if (err instanceof GradoptError && err.code === "E_ARG") throw err;
      this.lastFailure = `the objective threw: ${err instanceof Error ? err.message : String(err)}`;
      this.lastFailureKind = "objective_error";
      return Infinity;
    }
    let f: number;
    if (typeof r === "number") f = r;
    else if (Array.isArray(r) && r.length === 2 && typeof r[0] === "number") {
      const gu = r[1] as ArrayLike<number>;
      if (gu.length !== this.n) {
        throw new GradoptError(
          "E_ARG",
          `objective: the gradient has length ${gu.length}, expected ${this.n}`,
        );
      }
      f = r[0];
      for (let i = 0; i < this.n; i++) g[i] = gu[i]!;
    } else {
      throw new GradoptError(
        "E_ARG",
        `objective: must return a number (or [f, gradient]), got ${r === undefined ? "undefined (missing return?)" : typeof r}`,
      );
    }
    if (!Number.isFinite(f)) {
      this.lastFailure = `the objective returned ${f}`;
      this.lastFailureKind = "non_finite";
      return Infinity;
    }
    if (this.sign < 0) {
      f = -f;
      for (let i = 0; i < this.n; i++) g[i] = -g[i]!;
    }
    return f;
  }

  /** True when every entry of g is finite. */
  static finite(g: Float64Array): boolean {
    for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i]!)) return false;
    return true;
  }
}

/** Validates and copies x0. */
export function checkStart(x0: ArrayLike<number>, fn: string): Float64Array {
  if (x0 === null || typeof x0 !== "object" || typeof x0.length !== "number") {
    throw new GradoptError("E_ARG", `${fn}: x0 must be an array of numbers`);
  }
  if (x0.length === 0) throw new GradoptError("E_ARG", `${fn}: x0 is empty`);
  const x = Float64Array.from(x0);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new GradoptError("E_ARG", `${fn}: x0[${i}] is ${x0[i]}, not a finite number`);
  }
  return x;
}
