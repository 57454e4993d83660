/** Options of `solve` (the "how" of problem / algorithm / solve). */
import type { DDEMethod } from "./methods.js";

/** A user event: a zero of g(t, y) located by root finding on the dense output. */
export interface EventSpec {
  g(t: number, y: Float64Array, p: Float64Array): number;
  /** +1: only rising zeros, -1: only falling, 0 (default): both. */
  direction?: -1 | 0 | 1;
  /** Stop the integration at the zero (status "terminated"); otherwise just record it. */
  terminal?: boolean;
  label?: string;
}

export interface SolveOptions {
  /** Default dp5(). */
  method?: DDEMethod;
  /** Relative tolerance (default 1e-6). */
  rtol?: number;
  /** Absolute tolerance, one number or one per state (default 1e-6 * rtol... see solve: 1e-8). */
  atol?: number | ArrayLike<number>;
  /** Output times; without it every accepted step is an output (full mode) or only the end points (window mode). */
  saveat?: ArrayLike<number>;
  /**
   * "full" (default): keep every step's interpolant, so the solution is callable anywhere in the span.
   * "window": keep only the last max-delay window of the past (bounded memory); outputs at `saveat` remain.
   */
  dense?: "full" | "window";
  /** Window length for dense: "window" with non-constant delays (an upper bound of the lag). */
  maxLag?: number;
  /** First step size (default: automatic). */
  h0?: number;
  /**
   * Fixed step size: no error control (breaking points are still stepped onto). For convergence studies and for
   * callers that control accuracy themselves.
   */
  dt?: number;
  /** Largest step size (default: the span). */
  hmax?: number;
  /** Step budget (default 1e6): status "max-steps" when exceeded. */
  maxSteps?: number;
  events?: EventSpec[];
  signal?: AbortSignal;
  /** Times the integrator must step onto exactly (not propagated through the delays). */
  tstops?: ArrayLike<number>;
}
