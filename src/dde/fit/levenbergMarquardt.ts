/**
 * Levenberg-Marquardt for least squares F(x) = sum r_i(x)^2 with a box: Marquardt's diagonal scaling, Nielsen's damping
 * update, steps projected onto the bounds. The residual Jacobian comes from the caller (forward sensitivities at the
 * observation times). A trial point where the residuals cannot be computed (the solver failed) is a rejected step.
 *
 * @see H. B. Nielsen (1999), Damping parameter in Marquardt's method, IMM-REP-1999-05, DTU.
 */

export interface Residuals {
  /** Residual vector (length M). */
  r: Float64Array;
  /** Jacobian dr/dx, row-major M x n; omitted when only the value is needed. */
  J?: Float64Array;
}

/** Residuals (and with `jacobian`, their Jacobian) at x; null when they cannot be computed there. */
export type ResidualFn = (x: Float64Array, jacobian: boolean) => Residuals | null;

export interface LMOptions {
  lower?: Float64Array;
  upper?: Float64Array;
  /** Stop when ||grad F||_inf <= gtol (default 1e-9 * max(1, F(x0))). */
  gtol?: number;
  /** Stop when ||step||_inf <= xtol (||x||_inf + xtol) (default 1e-10). */
  xtol?: number;
  /** Stop when the relative decrease of F is below ftol for a successful step (default 1e-14). */
  ftol?: number;
  maxIter?: number;
  onIteration?: (info: {
    iteration: number;
    x: Float64Array;
    f: number;
    gradNorm: number;
    evaluations: number;
  }) => boolean | void;
  signal?: AbortSignal;
}

export interface LMResult {
  x: Float64Array;
  f: number;
  status:
    | "gradient_tolerance"
    | "step_tolerance"
    | "function_tolerance"
    | "max_iterations"
    | "aborted"
    | "callback_stop"
    | "start_failed"
    | "no_progress";
  converged: boolean;
  iterations: number;
  evaluations: number;
  gradNorm: number;
  message: string;
}

export function levenbergMarquardt(fn: ResidualFn, x0: Float64Array, opts: LMOptions = {}): LMResult {
  const n = x0.length;
  const lower = opts.lower;
  const upper = opts.upper;
  const clip = (v: Float64Array) => {
    for (let i = 0; i < n; i++)
      v[i] = Math.min(upper ? upper[i]! : Infinity, Math.max(lower ? lower[i]! : -Infinity, v[i]!));
  };
  const x = Float64Array.from(x0);
  clip(x);
  let evaluations = 1;
  let cur = fn(x, true);
  if (!cur || !cur.J)
    return fail(x, "start_failed", "the residuals could not be computed at the starting point");
  const M = cur.r.length;
  const sumsq = (r: Float64Array) => r.reduce((a, b) => a + b * b, 0);
  let F = sumsq(cur.r);
  const JtJ = new Float64Array(n * n);
  const g = new Float64Array(n); // J^T r (half the gradient of F)
  const A = new Float64Array(n * n);
  const step = new Float64Array(n);
  const trial = new Float64Array(n);
  const normalEquations = (res: Residuals) => {
    const J = res.J!;
    JtJ.fill(0);
    g.fill(0);
    for (let i = 0; i < M; i++) {
      const ri = res.r[i]!;
      for (let a = 0; a < n; a++) {
        const ja = J[i * n + a]!;
        if (ja === 0) continue;
        g[a] = g[a]! + ja * ri;
        for (let b = a; b < n; b++) JtJ[a * n + b] = JtJ[a * n + b]! + ja * J[i * n + b]!;
      }
    }
    for (let a = 0; a < n; a++) for (let b = 0; b < a; b++) JtJ[a * n + b] = JtJ[b * n + a]!;
  };
  // Projected gradient norm: components pushing against an active bound do not count.
  const pgNorm = () => {
    let m = 0;
    for (let a = 0; a < n; a++) {
      const ga = 2 * g[a]!;
      if ((lower && x[a]! <= lower[a]! && ga > 0) || (upper && x[a]! >= upper[a]! && ga < 0)) continue;
      m = Math.max(m, Math.abs(ga));
    }
    return m;
  };
  normalEquations(cur);
  let mu = 1e-3 * Math.max(...Array.from({ length: n }, (_, a) => JtJ[a * n + a]!), 1e-12);
  let nu = 2;
  const gtol = opts.gtol ?? 1e-9 * Math.max(1, F);
  const xtol = opts.xtol ?? 1e-10;
  const ftol = opts.ftol ?? 1e-14;
  const maxIter = opts.maxIter ?? 200;
  let iterations = 0;
  let status: LMResult["status"] = "max_iterations";
  let message = "";
  while (iterations < maxIter) {
    const gn = pgNorm();
    if (gn <= gtol) {
      status = "gradient_tolerance";
      break;
    }
    if (opts.signal?.aborted) {
      status = "aborted";
      break;
    }
    let accepted = false;
    for (let inner = 0; inner < 30 && !accepted; inner++) {
      for (let a = 0; a < n * n; a++) A[a] = JtJ[a]!;
      for (let a = 0; a < n; a++) A[a * n + a] = A[a * n + a]! + mu * Math.max(JtJ[a * n + a]!, 1e-12);
      if (!choleskySolve(A, g, step, n)) {
        mu *= nu;
        nu *= 2;
        continue;
      }
      for (let a = 0; a < n; a++) trial[a] = x[a]! - step[a]!;
      clip(trial);
      for (let a = 0; a < n; a++) step[a] = trial[a]! - x[a]!;
      // Predicted decrease of the linear model: -2 g.d - |J d|^2.
      let pred = 0;
      for (let a = 0; a < n; a++) {
        let jd = 0;
        for (let b = 0; b < n; b++) jd += JtJ[a * n + b]! * step[b]!;
        pred -= 2 * g[a]! * step[a]! + step[a]! * jd;
      }
      let smax = 0;
      let xmax = 0;
      for (let a = 0; a < n; a++) {
        smax = Math.max(smax, Math.abs(step[a]!));
        xmax = Math.max(xmax, Math.abs(x[a]!));
      }
      if (smax <= xtol * (xmax + xtol)) {
        status = "step_tolerance";
        message = "the step became negligible";
        iterations++;
        return done();
      }
      evaluations++;
      // Value first (a plain solve); the Jacobian (sensitivities) only for an accepted step.
      const next = fn(trial, false);
      const Fn = next ? sumsq(next.r) : Infinity;
      const rho = pred > 0 ? (F - Fn) / pred : -1;
      const full = Number.isFinite(Fn) && Fn < F && rho > 0 ? fn(trial, true) : null;
      if (full?.J) {
        const rel = (F - Fn) / Math.max(F, 1e-300);
        x.set(trial);
        cur = full;
        F = Fn;
        normalEquations(cur);
        mu *= Math.max(1 / 3, 1 - Math.pow(2 * rho - 1, 3));
        nu = 2;
        accepted = true;
        if (rel <= ftol) {
          status = "function_tolerance";
          iterations++;
          return done();
        }
      } else {
        mu *= nu;
        nu *= 2;
      }
    }
    iterations++;
    if (!accepted) {
      status = "no_progress";
      message = "no step decreased the cost (damping exhausted)";
      break;
    }
    if (opts.onIteration?.({ iteration: iterations, x, f: F, gradNorm: pgNorm(), evaluations })) {
      status = "callback_stop";
      break;
    }
  }
  return done();

  function done(): LMResult {
    const converged =
      status === "gradient_tolerance" || status === "step_tolerance" || status === "function_tolerance";
    return {
      x: Float64Array.from(x),
      f: F,
      status,
      converged,
      iterations,
      evaluations,
      gradNorm: pgNorm(),
      message: message || status,
    };
  }
  function fail(xx: Float64Array, st: LMResult["status"], msg: string): LMResult {
    return {
      x: Float64Array.from(xx),
      f: Infinity,
      status: st,
      converged: false,
      iterations: 0,
      evaluations: 1,
      gradNorm: NaN,
      message: msg,
    };
  }
}

/** Solves A s = b for a symmetric positive definite A (destroyed); false when A is not positive definite. */
function choleskySolve(A: Float64Array, b: Float64Array, out: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let k = 0; k < j; k++) d -= A[j * n + k]! * A[j * n + k]!;
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    A[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= A[i * n + k]! * A[j * n + k]!;
      A[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= A[i * n + k]! * out[k]!;
    out[i] = s / A[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = out[i]!;
    for (let k = i + 1; k < n; k++) s -= A[k * n + i]! * out[k]!;
    out[i] = s / A[i * n + i]!;
  }
  return true;
}
