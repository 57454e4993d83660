/**
 * The shared vocabulary of the DDE layer: a problem (what to solve), options (how), a solution (what came out).
 * The solver (src/dde), the gradients (src/dde/gradient) and the model compiler (src/model) all speak it.
 *
 * Conventions
 * - n states, m delays, np parameters. Every target of a gradient is a parameter: a delay that is fitted is a parameter
 *   its lag reads; a constant history value or an initial value that is fitted is a parameter that `history.dp` /
 *   `initial.dp` differentiate. (The model compiler adds such parameters as `history.<state>` / `initial.<state>`.)
 * - Lagged values are handed to f as one flat array: z[j*n + i] = y_i(t - tau_j). Lagged derivatives (neutral terms)
 *   likewise in zd, filled only for delays marked `neutral`.
 * - Matrices are row-major Float64Arrays: out[i*cols + k].
 * - y(t0) is `initial` when given (a jump at t0), else history(t0). For t < t0 the history is used.
 */

/** Right-hand side: writes dy = f(t, y, z, p, zd). Must not allocate; must not keep references to its arguments. */
export type RhsFunction = (
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  dy: Float64Array,
  zd: Float64Array,
) => void;

export type DelayKind = "constant" | "time" | "state";

export interface Delay {
  /** tau(t, y, p) >= 0: the solver reads y(t - tau). */
  lag(t: number, y: Float64Array, p: Float64Array): number;
  /** constant: depends on p only; time: on t and p; state: on y as well. Drives breaking-point tracking. */
  kind: DelayKind;
  /** Also hand f the lagged derivative y'(t - tau) (a neutral term) in zd. */
  neutral?: boolean;
  /** d tau / d y (length n), for state-dependent delays in sensitivities. */
  dLagDy?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  /** d tau / d p (length np); a delay that is a parameter has a 1 at that parameter. */
  dLagDp?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  /** Optional label (the lag expression as the user wrote it) for messages. */
  label?: string;
}

/**
 * Partial derivatives of f, used by sensitivities and adjoints; absent ones are taken by finite differences. Every
 * member is optional: the gradient code prefers the matrix-free products (`jvp`, `vjp`), then the dense matrices, then
 * finite differences of f.
 */
export interface RhsJacobians {
  /** d f / d y, n x n. */
  dy?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    out: Float64Array,
    zd: Float64Array,
  ): void;
  /** d f / d z_j for every delay j, m blocks of n x n: out[j*n*n + i*n + k] = d f_i / d z_{j,k}. */
  dz?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    out: Float64Array,
    zd: Float64Array,
  ): void;
  /** d f / d zd_j (neutral terms), same layout as dz. */
  dzd?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    out: Float64Array,
    zd: Float64Array,
  ): void;
  /** d f / d p, n x np. */
  dp?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    out: Float64Array,
    zd: Float64Array,
  ): void;
  /**
   * Matrix-free tangent of f (forward sensitivities) along `count = cols.length` directions at once, direction-major:
   *   out[d*n + i] = sum_k f_y[i,k] vy[d*n + k] + sum_j sum_k f_zj[i,k] vz[d*m*n + j*n + k] + f_p[i, cols[d]]
   * (no parameter column where cols[d] < 0). Overwrites out[0 .. count*n). Each direction's lagged block is laid out like
   * z. Much cheaper than the dense matrices when f is sparse, and the work f shares with its derivative is done once.
   */
  jvp?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    zd: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ): void;
  /**
   * f and its tangents in one call: writes dy = f(t, y, z, p, zd) and `out` exactly as `jvp` does. Forward sensitivities
   * integrated on the solver's own stages need both at every stage; forward-mode differentiation computes them together,
   * so the work they share (tanh of a pre-activation, say) is done once. Optional: f and `jvp` are called otherwise.
   */
  fjvp?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    zd: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
    dy: Float64Array,
  ): void;
  /**
   * Matrix-free vector-Jacobian products (adjoints), ADDED into the outputs that are not null:
   *   outY[k] += sum_i v_i f_y[i,k] (length n), outZ[j*n + k] += sum_i v_i f_zj[i,k] (m*n, laid out like z),
   *   outP[d] += sum_i v_i f_p[i, cols[d]] for d < cols.length (only the parameters asked for).
   */
  vjp?(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    zd: Float64Array,
    v: Float64Array,
    outY: Float64Array | null,
    outZ: Float64Array | null,
    cols: Int32Array,
    outP: Float64Array | null,
  ): void;
}

export interface History {
  /** phi(t) for t <= t0. */
  value(t: number, p: Float64Array, out: Float64Array): void;
  /** phi'(t); when absent, a finite difference of `value` (and zero for constant histories). */
  derivative?(t: number, p: Float64Array, out: Float64Array): void;
  /** d phi / d p at t, n x np (history parameters). */
  dp?(t: number, p: Float64Array, out: Float64Array): void;
  /** True when phi does not depend on t (lets the solver and gradients skip work). */
  constant?: boolean;
  /**
   * Known discontinuities of phi at or before t0 (t, and the lowest derivative that jumps there); the solver propagates
   * them through the delays like t0. A past solution used as history (a restart) carries its breaking points here.
   */
  discontinuities?: readonly { t: number; order: number }[];
}

export interface InitialValue {
  /** y(t0) when it differs from phi(t0): a jump at t0. */
  value(p: Float64Array, out: Float64Array): void;
  /** d y(t0) / d p, n x np. */
  dp?(p: Float64Array, out: Float64Array): void;
}

export interface DDEProblem {
  /** Number of states. */
  n: number;
  f: RhsFunction;
  delays: Delay[];
  history: History;
  initial?: InitialValue;
  tspan: readonly [number, number];
  /** Parameter values (copied by solve; never mutated). */
  p: Float64Array;
  jac?: RhsJacobians;
  /** Times where the history or f has a discontinuity of its own (user-declared jumps), propagated like t0. */
  jumps?: number[];
  stateNames?: string[];
  paramNames?: string[];
}

/** Why a solve ended. Everything but "success" and "terminated" carries a message saying where and why. */
export type SolveStatus =
  | "success"
  | "terminated" // an event asked to stop
  | "step-size-underflow"
  | "non-finite"
  | "future-lag" // a delay that would look past the current time (negative lag)
  | "max-steps"
  | "aborted"
  | "lag-outside-window"; // dense: "window" dropped the past a lag reached (raise options.maxLag)

export interface SolveStats {
  steps: number;
  rejected: number;
  rhsEvals: number;
}

export interface EventRecord {
  t: number;
  index: number;
  y: Float64Array;
}

/** Where a breaking point came from (see BreakpointInfo). */
export type BreakpointOrigin = "initial" | "jump" | "propagated" | "tracked" | "tstop";

/** A discontinuity point of the solution or one of its derivatives, with its provenance (for jump conditions). */
export interface BreakpointInfo {
  readonly t: number;
  /** Lowest derivative that may jump there (0: y itself, 1: y', ...). */
  readonly order: number;
  readonly origin: BreakpointOrigin;
  /** Delay index that carried it here (propagated / tracked), else -1. */
  readonly delay: number;
  /** Index in the same list of the point it came from (xi = parent + tau_delay for constant delays), else -1. */
  readonly parent: number;
}

export interface DDESolution {
  readonly status: SolveStatus;
  readonly message: string;
  readonly ok: boolean;
  readonly t0: number;
  /** The last time reached (tspan[1] on success). */
  readonly tEnd: number;
  readonly n: number;
  readonly stats: SolveStats;
  /** Discontinuity points the solver stepped onto (sorted). */
  readonly breakpoints: Float64Array;
  /** Output times (the requested ones, else every accepted step) and the states there: y[i][k] = y_i(t[k]). */
  readonly t: Float64Array;
  readonly y: Float64Array[];
  readonly events: EventRecord[];
  /** Dense output: y(t) anywhere in [t0 - maxDelay-window, tEnd]; the history before t0. */
  eval(t: number, out?: Float64Array): Float64Array;
  /**
   * y'(t) evaluated from f (not by differentiating the interpolant); before t0 the history's derivative.
   * At a breaking point `side` picks the one-sided value.
   */
  derivative(t: number, out?: Float64Array, side?: "left" | "right"): Float64Array;
  /** Every known breaking point in the span with its order and origin (the solver's Solution always has it). */
  readonly breakpointInfo?: readonly BreakpointInfo[];
  /**
   * Z(t): y(t - tau_j) for all delays into z (z[j*n + i]) and y'(t - tau_j) for neutral delays into zd, with the lags
   * evaluated at (t, y(t)); one-sided at breaking points via `side` (the solver's Solution always has it).
   */
  lagged?(t: number, z: Float64Array, zd?: Float64Array, side?: "left" | "right"): void;
}
