/**
 * An explicit Runge-Kutta pair with a continuous extension, as data.
 *
 * Stages are numbered 0..s-1; when `fsal` is set the last stage is f(t + h, y_{n+1}) (first same as last) and serves
 * as stage 0 of the next step. `extra` stages (after the main ones) are evaluated only to build the dense output.
 *
 * Dense output: y(t_n + theta h) = y_n + h * sum_i b_i(theta) k_i with b_i(theta) = sum_p dense[i][p] theta^(p+1),
 * over all main and extra stages.
 */
export interface ButcherTableau {
  readonly name: string;
  /** Order of the propagated solution. */
  readonly order: number;
  /** Order of the embedded (error-estimating) solution. */
  readonly embeddedOrder: number;
  /** Order of the continuous extension. */
  readonly denseOrder: number;
  /** Nodes, one per main stage. */
  readonly c: readonly number[];
  /** Strictly lower triangular coefficients: a[i] has i entries (a[0] is empty). */
  readonly a: readonly (readonly number[])[];
  /** Weights of the propagated solution, one per main stage. */
  readonly b: readonly number[];
  /** Error weights: err = h * sum_i btilde_i k_i (b minus the embedded weights, up to sign). */
  readonly btilde: readonly number[];
  /** DOP853-style second error estimate (third order), combined with `btilde` as in Hairer's DOP853. */
  readonly btilde3?: readonly number[];
  readonly fsal: boolean;
  /** Extra stages for the dense output: nodes and rows over all earlier stages (main and extra). */
  readonly extra?: { readonly c: readonly number[]; readonly a: readonly (readonly number[])[] };
  /** Dense-output polynomial coefficients per stage (main, then extra): dense[i][p] multiplies theta^(p+1). */
  readonly dense: readonly (readonly number[])[];
}
