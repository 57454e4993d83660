/** Why an optimiser stopped, typed (Optim.jl's termination codes, SciPy's names for counts). */
export type OptimStatus =
  | "gradient_tolerance" // ||projected gradient||_inf <= gtol: converged
  | "function_tolerance" // opt-in ftol: relative decrease of f below ftol: converged
  | "step_tolerance" // opt-in xtol: the step became negligible: converged
  | "precision_limit" // the predicted decrease is below the rounding of f (gtol unreachable in floating point): converged
  | "max_iterations"
  | "max_evaluations"
  | "line_search_failed" // no step with sufficient decrease (usually a wrong gradient: check it with checkGradient)
  | "non_finite" // the objective or gradient was NaN/Infinity where a finite value was needed
  | "objective_error" // the objective threw
  | "aborted" // the AbortSignal fired
  | "callback_stop"; // the callback asked to stop

const CONVERGED: ReadonlySet<OptimStatus> = new Set([
  "gradient_tolerance",
  "function_tolerance",
  "step_tolerance",
  "precision_limit",
]);

export function isConverged(status: OptimStatus): boolean {
  return CONVERGED.has(status);
}

/** One row of the optional trace: the state after each iteration (iteration 0 is the start). */
export interface TraceEntry {
  iteration: number;
  f: number;
  gradNorm: number;
  step: number;
  evaluations: number;
}

/** What every optimiser returns. `f` is the objective as the user wrote it (un-negated when maximising). */
export interface OptimResult {
  x: Float64Array;
  f: number;
  status: OptimStatus;
  converged: boolean;
  iterations: number;
  evaluations: number;
  /** Gradient at x (of the user's objective, un-negated), when known. */
  gradient: Float64Array | undefined;
  /** ||projected gradient||_inf at x (the quantity gtol tests); NaN when unknown. */
  gradNorm: number;
  message: string;
  method: string;
  trace?: TraceEntry[];
}

/** Called after every iteration; return true to stop ("callback_stop"). `x` is live: copy it to keep it. */
export type IterationCallback = (info: {
  iteration: number;
  x: Float64Array;
  f: number;
  gradNorm: number;
  evaluations: number;
}) => boolean | void;

/** Options shared by all methods. */
export interface CommonOptions {
  /** Maximise instead of minimise; the reported f is the user's, un-negated. */
  maximize?: boolean;
  /** Stop when ||projected gradient||_inf <= gtol (default 1e-5, SciPy's pgtol). */
  gtol?: number;
  /** Opt-in: stop when (f_prev − f) / max(|f_prev|, |f|, 1) <= ftol (SciPy's factr test; off by default). */
  ftol?: number;
  /** Opt-in: stop when ||step||_inf <= xtol · max(1, ||x||_inf). */
  xtol?: number;
  maxIter?: number;
  /** Maximum number of objective evaluations (default 15000 as SciPy's maxfun). */
  maxEval?: number;
  /** Record a TraceEntry per iteration in the result. */
  trace?: boolean;
  callback?: IterationCallback;
  signal?: AbortSignal;
}
