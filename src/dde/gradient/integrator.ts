/**
 * A small adaptive Dormand-Prince 5(4) integrator for the linear retarded DDEs of sensitivities and adjoints.
 *
 * Why not the main solver: these systems have forcing terms that are piecewise smooth with KNOWN discontinuities (the
 * forward trajectory's breaking points, observation times) and state jumps (the jump conditions, the adjoint's
 * observation jumps). Evaluating such a term exactly at a discontinuity is ambiguous: the stage at the end of a step
 * needs the left limit, the first stage of the next one the right limit. This integrator steps onto every discontinuity
 * (propagated along the lags), never lets a step cross one, and tells the right-hand side which side each stage is on.
 * Steps are at most the smallest lag, so lagged values always come from finished steps (no implicit iteration).
 * Dense output: Hairer's 4th-order continuous extension of DOPRI5. Quadrature states (cost integrals) are stepped along
 * without lagged values or dense output, and the right-hand side is told where their derivatives are not needed.
 * For the adjoints: norm-wise error control (errorWeights) and lagged outputs (a Jacobian product of the state, stored
 * with its own dense output and read at the lags instead of the lagged state).
 */

export type Side = "left" | "right";

export interface LinearDDESystem {
  /** Number of states. */
  N: number;
  t0: number;
  t1: number;
  x0: Float64Array;
  /** Number of lags; lag(t, j, side) >= 0 is the j-th lag at t. */
  m: number;
  lag(t: number, j: number, side: Side): number;
  /** Constant lags: discontinuities are propagated along them. */
  constantLags: boolean;
  /** x(t) for t < t0 (the first D = N - quadratures states). */
  history(t: number, out: Float64Array): void;
  /**
   * out = x'(t) (all N states) given x(t) and xlag[j*D + i] = x_i(t - lag_j) for the D = N - quadratures states that are
   * not quadratures; `side` says which limit to take at a discontinuity. At the stages, the quadrature entries of x are
   * not meaningful (a quadrature never feeds back), and where `quadratures` is false their derivatives are not used
   * (the second DOPRI5 stage has weight zero in the solution, the error estimate and the dense output) and may be left
   * unwritten. With `laggedOutputs`, xlag holds lagged outputs, and `outputs` (when not null) receives a(t, x).
   */
  rhs(
    t: number,
    x: Float64Array,
    xlag: Float64Array,
    side: Side,
    out: Float64Array,
    quadratures: boolean,
    xdlag: Float64Array,
    outputs: Float64Array | null,
  ): void;
  /**
   * Neutral lags (a linear neutral DDE): rhs also reads xdlag[j*D + i] = x_i'(t - lag_j) for these j (its seventh argument). It is evaluated
   * from rhs itself on the stored past (recursively through earlier neutral lags, `historyDerivative` before t0), not by
   * differentiating the dense output; only beyond `neutralDepth` nested evaluations (default: 64 for one neutral lag,
   * else a call tree of about 256 evaluations)
   * does it fall back to the dense output's derivative, whose error is damped by the neutral coefficients on the way.
   */
  neutral?: readonly boolean[];
  /** x'(t) for t < t0 (the D states; neutral lags only); `side` at a discontinuity of the history. */
  historyDerivative?(t: number, out: Float64Array, side: Side): void;
  neutralDepth?: number;
  /** Times where the forcing is discontinuous (propagated along constant lags). */
  breakpoints: number[];
  /** State jumps: x(t+) = apply(x(t-)), applied in time order. */
  stateJumps?: { t: number; apply(x: Float64Array): void }[];
  rtol: number;
  atol: number;
  /**
   * The last `quadratures` states are integrals of the others (x_q' = rhs_q, never read back): they enter the error
   * estimate (a cost integral over a trajectory the other states do not resolve must still be accurate) but not the
   * lagged values nor the dense output (only `final` holds them), which saves most of their cost. Default 0.
   */
  quadratures?: number;
  /**
   * Norm-wise error control (the adjoints), weights w > 0 for the D states: the error of state i is measured against
   * atol + rtol max_l(w_l |x_l|) / w_i instead of atol + rtol |x_i|. An adjoint lambda enters the gradient only through
   * products lambda_i s_i with sensitivities of the scale w_i of forward state i, so a component whose product is small
   * next to the largest needs no accuracy relative to itself; componentwise control spent most steps on such components
   * (a lambda_i near 1 among others near 500: 228 steps instead of 162 on the 10-state benchmark network at rtol 1e-8).
   * Each quadrature is measured against atol + rtol max(V_k, V_max / 10), V_k the sum of its |increments| so far (its
   * scale; a partial integral passing through zero does not shrink it; see QUADRATURE_FLOOR), and the step's error is
   * the larger of the two groups' RMS, so the step count neither thins out nor grows much as quadratures are added.
   * Default: componentwise, one RMS.
   */
  errorWeights?: Float64Array;
  /**
   * Lagged outputs instead of lagged states (the constant-lag adjoint, whose lagged term is B(t + tau)^T lambda(t + tau):
   * a Jacobian product at the lagged time that every stage would otherwise form again). With this option rhs reads
   * xlag[j*size + i] = a_j,i(t - lag_j), where a(t) = a(t, x(t)) holds `size` values per lag (a_j at a[j*size ..)), and
   * writes a(t, x) into its last argument when that is not null: at a step's first and last stage, where x is the
   * solution itself. `eval` gives a at three interior points of each accepted step (on its dense output); the five
   * values make a quartic dense output of a, accurate to the order of the states' own. Not with neutral lags.
   */
  laggedOutputs?: LaggedOutputs;
  maxSteps?: number;
}

export interface LaggedOutputs {
  /** Outputs per lag. */
  size: number;
  /** a(t, x) for all lags (m * size values) at a time strictly inside a step. */
  eval(t: number, x: Float64Array, out: Float64Array): void;
  /** a_j(t) for t before t0 (size values; default zero). */
  history?(t: number, j: number, out: Float64Array): void;
}

export interface DenseTrack {
  ok: boolean;
  message: string;
  tEnd: number;
  steps: number;
  rejected: number;
  rhsEvals: number;
  /** Evaluations of laggedOutputs.eval (three per accepted step; 0 without lagged outputs). */
  outputEvals?: number;
  /**
   * x(t) for t in [t0, tEnd] (the first D = N - quadratures states); at a step boundary `side` picks the step on that side
   * (state jumps).
   */
  eval(t: number, out: Float64Array, side?: Side): Float64Array;
  /** The final state x(tEnd+) (after any jump at tEnd). */
  final: Float64Array;
  /** Start times of the accepted steps (then tEnd). */
  times: number[];
}

// Dormand-Prince 5(4) tableau (Dormand & Prince 1980), with Hairer's dense-output coefficients (dopri5.f).
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1];
const A: number[][] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
];
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40];
const DENSE = [
  -12715105075 / 11282082432,
  0,
  87487479700 / 32700410799,
  -10690763975 / 1880347072,
  701980252875 / 199316789632,
  -1453857185 / 822651844,
  69997945 / 29380423,
];

// Interior nodes of the lagged outputs' quartic: with 0 and 1 the Chebyshev-Lobatto points (1 - cos(k pi / 4)) / 2.
const OUTPUT_NODES = [0.5 - Math.SQRT2 / 4, 0.5, 0.5 + Math.SQRT2 / 4];

// The tableau rows A[s] padded to 7 entries, flat (for stageValues).
const A_FLAT = Float64Array.from({ length: 49 }, (_, k) => A[Math.floor(k / 7)]![k % 7] ?? 0);

/**
 * Stage s's values of the D states: xs = x + h sum_{q<s} a_sq K_q (K rows of length N). Top-level functions over their
 * arguments for the per-step loops: several times faster than closures over the integrator's state.
 */
function stageValues(
  xs: Float64Array,
  x: Float64Array,
  K: Float64Array,
  N: number,
  D: number,
  aFlat: Float64Array,
  row: number,
  s: number,
  h: number,
): void {
  for (let i = 0; i < D; i++) xs[i] = x[i]!;
  for (let q = 0; q < s; q++) {
    const ha = h * aFlat[row + q]!;
    if (ha === 0) continue;
    const off = q * N;
    for (let i = 0; i < D; i++) xs[i] = xs[i]! + ha * K[off + i]!;
  }
}

/** variation_k += |xn_k - x_k| for the quadratures (states D..N-1). */
function addVariation(
  variation: Float64Array,
  x: Float64Array,
  xn: Float64Array,
  D: number,
  N: number,
): void {
  for (let i = D, v = 0; i < N; i++, v++) variation[v] = variation[v]! + Math.abs(xn[i]! - x[i]!);
}

/**
 * Norm-wise quadrature control: a quadrature's error scale is at least this fraction of the largest variation among
 * them. Gradient entries within a factor 10 of the largest keep their own relative accuracy; smaller ones are held to
 * rtol / 10 of the largest (absolute), where their relative accuracy no longer matters to a gradient step. On the
 * benchmark network with 100 targets, componentwise quadratures set the step size (178 steps against 162 for lambda
 * alone at rtol 1e-8; 166 with the floor) without changing the gradient's norm-wise accuracy (8.8e-10 vs 1.0e-9).
 */
const QUADRATURE_FLOOR = 0.1;

/**
 * The quadratures' fifth-order steps x_n = x + d (weights A[6]; stage 1 has weight 0 and may be unwritten) and the sum
 * of their squared scaled error estimates, each against atol + rtol max(its variation so far + |d|, QUADRATURE_FLOOR
 * times the largest variation, |x|, |x_n|). A top-level function over its arguments: the per-step loop over many
 * quadratures runs several times faster than as a closure.
 */
function quadratureStepsNormwise(
  K: Float64Array,
  N: number,
  D: number,
  x: Float64Array,
  xn: Float64Array,
  variation: Float64Array,
  h: number,
  atol: number,
  rtol: number,
): number {
  const [b0, , b2, b3, b4, b5] = A[6] as [number, number, number, number, number, number];
  const [e0, , e2, e3, e4, e5, e6] = E as [number, number, number, number, number, number, number];
  const N2 = 2 * N;
  const N3 = 3 * N;
  const N4 = 4 * N;
  const N5 = 5 * N;
  const N6 = 6 * N;
  let floor = 0;
  for (let v = 0; v < N - D; v++) if (variation[v]! > floor) floor = variation[v]!;
  floor *= QUADRATURE_FLOOR;
  let acc = 0;
  for (let i = D, v = 0; i < N; i++, v++) {
    const k0 = K[i]!;
    const k2 = K[N2 + i]!;
    const k3 = K[N3 + i]!;
    const k4 = K[N4 + i]!;
    const k5 = K[N5 + i]!;
    const a = x[i]!;
    const d = h * (b0 * k0 + b2 * k2 + b3 * k3 + b4 * k4 + b5 * k5);
    const b = a + d;
    xn[i] = b;
    let scale = variation[v]! + Math.abs(d);
    if (floor > scale) scale = floor;
    const ab = Math.abs(a) > Math.abs(b) ? Math.abs(a) : Math.abs(b);
    if (ab > scale) scale = ab;
    const r =
      (h * (e0 * k0 + e2 * k2 + e3 * k3 + e4 * k4 + e5 * k5 + e6 * K[N6 + i]!)) / (atol + rtol * scale);
    acc += r * r;
  }
  return acc;
}

/** Times b + sum of up to `depth` lags (with repetition), within (t0, t1]: where derivatives of the solution jump. */
export function propagateBreakpoints(
  bases: number[],
  lags: number[],
  t0: number,
  t1: number,
  depth = 5,
  cap = 20000,
): number[] {
  const pos = [...new Set(lags.filter((l) => l > 0))];
  const seen = new Set<number>();
  let frontier = bases.filter((b) => b >= t0 && b <= t1);
  for (const b of frontier) seen.add(b);
  for (let d = 0; d < depth && frontier.length > 0 && seen.size < cap; d++) {
    const next: number[] = [];
    for (const b of frontier)
      for (const l of pos) {
        const x = b + l;
        if (x <= t1 && !seen.has(x)) {
          seen.add(x);
          next.push(x);
        }
      }
    frontier = next;
  }
  const eps = 1e-13 * Math.max(1, Math.abs(t0), Math.abs(t1));
  const sorted = [...seen].filter((x) => x > t0 + eps).sort((a, b) => a - b);
  // Merge points closer than eps (floating-point copies of one point), keeping a given point over a propagated copy:
  // the caller's right-hand side compares times with the given ones (3.4 + 1.3 = 4.699999999999999 must not replace
  // 4.7, or a stage meant to sit on a discontinuity lands on its other side).
  const given = new Set(bases);
  const out: number[] = [];
  for (const x of sorted) {
    const last = out.length - 1;
    if (last < 0 || x - out[last]! > eps) out.push(x);
    else if (given.has(x) && !given.has(out[last]!)) out[last] = x;
  }
  return out;
}

/** Integrates a linear retarded DDE from t0 to t1 (see the module comment). Failures are a status, never a throw. */
export function integrateLinearDDE(sys: LinearDDESystem): DenseTrack {
  const { N, t0, t1, m } = sys;
  const maxSteps = sys.maxSteps ?? 1_000_000;
  const span = t1 - t0;
  const lag0 = Array.from({ length: m }, (_, j) => sys.lag(t0, j, "right"));
  const jumps = [...(sys.stateJumps ?? [])].filter((j) => j.t >= t0 && j.t <= t1).sort((a, b) => a.t - b.t);
  const stops = sys.constantLags
    ? propagateBreakpoints([t0, ...sys.breakpoints, ...jumps.map((j) => j.t)], lag0, t0, t1)
    : propagateBreakpoints([...sys.breakpoints, ...jumps.map((j) => j.t)], [], t0, t1, 0);
  // A state jump must be a stop exactly: a stop a rounding away from it (5 * 1.2 = 6.000000000000001 next to an
  // observation at 6) would let a step cross the jump and apply it late. Snap such stops onto the jump time.
  const endEps = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(t1));
  for (const jmp of jumps) {
    let lo = 0;
    let hi = stops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (stops[mid]! < jmp.t) lo = mid + 1;
      else hi = mid;
    }
    for (const q of [lo - 1, lo])
      if (q >= 0 && q < stops.length && Math.abs(stops[q]! - jmp.t) <= endEps) stops[q] = jmp.t;
  }
  // The end is a stop; drop stops a rounding away from it (they would leave a sliver step).
  while (stops.length > 0 && stops[stops.length - 1]! > t1 - endEps) stops.pop();
  stops.push(t1);

  // D states with dense output and error control, then the quadratures.
  const D = N - Math.max(0, Math.min(N, sys.quadratures ?? 0));
  // Stored steps: start, length, and 5 D dense coefficients each (one growing buffer, no allocation per step).
  const starts: number[] = [];
  const lens: number[] = [];
  // Room for 256 steps up front where that stays under 256 kB (growing by copies costs a few percent on small systems).
  const initialSteps = Math.max(64, Math.min(256, Math.floor(32768 / Math.max(1, 5 * D))));
  let coefs = new Float64Array(5 * D * initialSteps);
  // Lagged outputs (optional): `size` values per lag, stored per step as 5 coefficients each like the states.
  const outs = sys.laggedOutputs ?? null;
  const L = outs ? outs.size : D;
  const mL = outs ? m * L : 0;
  let ocoefs = new Float64Array(5 * mL * (outs ? initialSteps : 0));
  const aStart = new Float64Array(mL);
  const aEnd = new Float64Array(mL);
  const aMid = [new Float64Array(mL), new Float64Array(mL), new Float64Array(mL)];
  const xTheta = new Float64Array(D);

  const x = Float64Array.from(sys.x0);
  const xn = new Float64Array(N);
  const xs = new Float64Array(N);
  // Stage derivatives, flat: K[s*N + i]; kRows[s] views them for the right-hand side.
  const K = new Float64Array(7 * N);
  const kRows = Array.from({ length: 7 }, (_, s) => K.subarray(s * N, (s + 1) * N));
  const [e0, , e2, e3, e4, e5, e6] = E as [number, number, number, number, number, number, number];
  const [b0, , b2, b3, b4, b5] = A[6] as [number, number, number, number, number, number];
  const [d0, , d2, d3, d4, d5, d6] = DENSE as [number, number, number, number, number, number, number];
  const lagBuf = new Float64Array(m * L);
  const weights = sys.errorWeights;
  const invW = weights ? Float64Array.from({ length: D }, (_, i) => 1 / weights[i]!) : null;
  // Per quadrature, the sum of |increments| over the accepted steps: the scale of its error (norm-wise control).
  const variation = new Float64Array(N - D);
  let rhsEvals = 0;
  let outputEvals = 0;
  let steps = 0;
  let rejected = 0;

  // The step holding t: step k holds [starts[k], starts[k+1]), or (starts[k], starts[k+1]] on the left side.
  const holds = (k: number, t: number, side: Side): boolean => {
    const st = starts[k]!;
    if (st > t || (st === t && side === "left" && k > 0)) return false;
    if (k === starts.length - 1) return true;
    const next = starts[k + 1]!;
    return t < next || (t === next && side === "left");
  };
  // Lags move forward with t, so the step found last time (per caller) is almost always right or next to it.
  const locate = (t: number, side: Side, hint: number): number => {
    const s = starts.length;
    if (hint >= 0 && hint < s) {
      if (holds(hint, t, side)) return hint;
      if (hint + 1 < s && holds(hint + 1, t, side)) return hint + 1;
    }
    let lo = 0;
    let hi = s - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const st = starts[mid]!;
      if (st < t || (side === "right" && st === t)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const hints = new Int32Array(m + 1);
  const evalStored = (t: number, out: Float64Array, side: Side, hintSlot = m): Float64Array => {
    const s = starts.length;
    if (s === 0 || t < starts[0]!) {
      sys.history(t, out);
      return out;
    }
    const k = locate(t, side, hints[hintSlot]!);
    hints[hintSlot] = k;
    const h = lens[k]!;
    const th = (t - starts[k]!) / h;
    const c = coefs;
    const base = 5 * D * k;
    const u = 1 - th;
    for (let i = 0; i < D; i++) {
      const r1 = c[base + i]!;
      const r2 = c[base + D + i]!;
      const r3 = c[base + 2 * D + i]!;
      const r4 = c[base + 3 * D + i]!;
      const r5 = c[base + 4 * D + i]!;
      out[i] = r1 + th * (r2 + u * (r3 + th * (r4 + u * r5)));
    }
    return out;
  };

  const lagViews = Array.from({ length: m }, (_, j) => lagBuf.subarray(j * L, (j + 1) * L));

  /** a_j(t) (lagged outputs) from the stored steps, or the outputs' history. */
  const evalOutputs = (t: number, j: number, out: Float64Array, side: Side): void => {
    if (starts.length === 0 || t < starts[0]!) {
      if (outs!.history) outs!.history(t, j, out);
      else out.fill(0);
      return;
    }
    const k = locate(t, side, hints[j]!);
    hints[j] = k;
    const th = (t - starts[k]!) / lens[k]!;
    const u = 1 - th;
    const c = ocoefs;
    const base = 5 * mL * k + j * L;
    for (let i = 0; i < L; i++) {
      const r1 = c[base + i]!;
      const r2 = c[base + mL + i]!;
      const r3 = c[base + 2 * mL + i]!;
      const r4 = c[base + 3 * mL + i]!;
      const r5 = c[base + 4 * mL + i]!;
      out[i] = r1 + th * (r2 + u * (r3 + th * (r4 + u * r5)));
    }
  };

  /**
   * The quartic dense output of the outputs on accepted step idx = [t, t + h] (state coefficients at cb): a at both ends
   * (from the first and last stage) and at the interior Chebyshev-Lobatto points 1/2 -+ sqrt(2)/4 and 1/2, written in
   * the states' form a(th) = r1 + th (r2 + (1 - th) (r3 + th (r4 + (1 - th) r5))).
   */
  const storeOutputs = (idx: number, t: number, h: number, cb: number): void => {
    if (5 * mL * (idx + 1) > ocoefs.length) {
      const grown = new Float64Array(Math.max(2 * ocoefs.length, 5 * mL * (idx + 1)));
      grown.set(ocoefs);
      ocoefs = grown;
    }
    const c = coefs;
    for (let p = 0; p < 3; p++) {
      const th = OUTPUT_NODES[p]!;
      const u = 1 - th;
      for (let i = 0; i < D; i++)
        xTheta[i] =
          c[cb + i]! +
          th *
            (c[cb + D + i]! + u * (c[cb + 2 * D + i]! + th * (c[cb + 3 * D + i]! + u * c[cb + 4 * D + i]!)));
      outs!.eval(t + th * h, xTheta, aMid[p]!);
      outputEvals++;
    }
    const [a1, a2, a3] = aMid as [Float64Array, Float64Array, Float64Array];
    const [t1n, , t3n] = OUTPUT_NODES;
    const w13 = 1 / (t1n * (1 - t1n)); // theta (1 - theta) is the same at the two outer nodes
    const o = ocoefs;
    const ob = 5 * mL * idx;
    for (let i = 0; i < mL; i++) {
      const r1 = aStart[i]!;
      const r2 = aEnd[i]! - r1;
      // g(th) = (a(th) - r1 - th r2) / (th (1 - th)) = r3 + th r4 + th (1 - th) r5 at the interior nodes
      const g1 = (a1[i]! - r1 - t1n * r2) * w13;
      const g2 = (a2[i]! - r1 - 0.5 * r2) * 4;
      const g3 = (a3[i]! - r1 - t3n * r2) * w13;
      const r4 = (g3 - g1) / (t3n - t1n);
      const r5 = (g2 - 0.5 * (g1 + g3)) * 8; // / (1/4 - t1n (1 - t1n)) = / (1/8)
      o[ob + i] = r1;
      o[ob + mL + i] = r2;
      o[ob + 2 * mL + i] = g2 - 0.5 * r4 - 0.25 * r5;
      o[ob + 3 * mL + i] = r4;
      o[ob + 4 * mL + i] = r5;
    }
  };
  // Per delay, the index of the first stop at or after the last lagged time (lagged times mostly move forward).
  const snapHints = new Int32Array(m);
  const snapToStop = (tl: number, j: number): number => {
    if (Math.abs(tl - t0) <= endEps) return t0;
    let i = snapHints[j]!;
    while (i > 0 && stops[i - 1]! >= tl) i--;
    while (i < stops.length && stops[i]! < tl) i++;
    snapHints[j] = i;
    if (i < stops.length && stops[i]! - tl <= endEps) return stops[i]!;
    if (i > 0 && tl - stops[i - 1]! <= endEps) return stops[i - 1]!;
    return tl;
  };
  const constantLags = sys.constantLags;

  const neutral = sys.neutral?.some((v) => v) ? sys.neutral : null;
  if (neutral && outs) throw new Error("integrateLinearDDE: laggedOutputs do not combine with neutral lags");
  const dlagBuf = new Float64Array(neutral ? m * D : 0);
  const dlagViews = Array.from({ length: m }, (_, j) => dlagBuf.subarray(j * D, (j + 1) * D));
  const nNeutral = neutral ? neutral.filter((v) => v).length : 0;
  // The recursion branches once per neutral lag: keep its call tree under about 256 evaluations.
  const maxDepth =
    sys.neutralDepth ?? (nNeutral <= 1 ? 64 : Math.max(2, Math.floor(Math.log(256) / Math.log(nNeutral))));
  // One set of buffers per nesting level of the recursive derivative evaluation (rhs writes all N entries).
  const levels: { x: Float64Array; lag: Float64Array; dlag: Float64Array; out: Float64Array }[] = [];
  const level = (d: number) =>
    (levels[d] ??= {
      x: new Float64Array(N),
      lag: new Float64Array(m * D),
      dlag: new Float64Array(m * D),
      out: new Float64Array(N),
    });

  /** The dense output's derivative at t (the fallback of the recursion below). */
  const derivStored = (t: number, out: Float64Array, side: Side): void => {
    const k = locate(t, side, hints[m]!);
    const h = lens[k]!;
    const th = (t - starts[k]!) / h;
    const base = 5 * D * k;
    const c = coefs;
    for (let i = 0; i < D; i++)
      out[i] =
        (c[base + D + i]! +
          (1 - 2 * th) * c[base + 2 * D + i]! +
          th * (2 - 3 * th) * c[base + 3 * D + i]! +
          2 * th * (1 - th) * (1 - 2 * th) * c[base + 4 * D + i]!) /
        h;
  };

  // x' at a time inside the stored steps never changes: remembered by (time to 1e-12 of the span, side), so nested
  // evaluations reaching the same lagged time by different paths (several neutral lags) share it.
  const derivMemo = new Map<number, Float64Array>();
  const quantum = 1e-12 * Math.max(1, Math.abs(t0), Math.abs(t1), span);
  const derivPast = (t: number, side: Side, depth: number, out: Float64Array): void => {
    const storedEnd = starts.length > 0 ? starts[starts.length - 1]! + lens[lens.length - 1]! : -Infinity;
    if (t >= t0 && t < storedEnd) {
      const key = Math.round((t - t0) / quantum) * 2 + (side === "left" ? 1 : 0);
      const known = derivMemo.get(key);
      if (known) {
        for (let i = 0; i < D; i++) out[i] = known[i]!;
        return;
      }
      if (derivMemo.size > 50000) derivMemo.clear();
      derivPastUncached(t, side, depth, out);
      derivMemo.set(key, Float64Array.from(out.subarray(0, D)));
      return;
    }
    derivPastUncached(t, side, depth, out);
  };

  /** x'(t) (the D states) at a past time t: rhs on the stored past, recursively through the neutral lags. */
  const derivPastUncached = (t: number, side: Side, depth: number, out: Float64Array): void => {
    if (t < t0 || (t === t0 && side === "left")) {
      sys.historyDerivative!(t, out, side);
      return;
    }
    if (starts.length === 0) {
      out.fill(0);
      return;
    }
    if (depth >= maxDepth) {
      derivStored(t, out, side);
      return;
    }
    const b = level(depth);
    evalStored(t, b.x, side);
    for (let j = 0; j < m; j++) {
      const tl = snapToStop(t - (constantLags ? lag0[j]! : sys.lag(t, j, side)), j);
      const lv = b.lag.subarray(j * D, (j + 1) * D);
      if (tl < t0 || (tl === t0 && side === "left")) sys.history(tl, lv);
      else evalStored(tl, lv, side);
      if (neutral![j]) derivPast(tl, side, depth + 1, b.dlag.subarray(j * D, (j + 1) * D));
    }
    sys.rhs(t, b.x, b.lag, side, b.out, false, b.dlag, null);
    rhsEvals++;
    for (let i = 0; i < D; i++) out[i] = b.out[i]!;
  };

  const fillLags = (t: number, side: Side, stepStart: number, stepMid: number) => {
    for (let j = 0; j < m; j++) {
      const lag = constantLags ? lag0[j]! : sys.lag(t, j, side);
      // t - lag a rounding away from a stop (a discontinuity or a state jump) is that stop, so that the side rule applies.
      const tl = snapToStop(t - lag, j);
      // A lagged time exactly on a stored boundary: take the side its own step's midpoint is on.
      const lside: Side =
        tl >= stepMid - (sys.constantLags ? lag : sys.lag(stepMid, j, "right")) ? "left" : "right";
      const target = lagViews[j]!;
      if (tl < t0 || (tl === t0 && lside === "left")) {
        if (!outs) sys.history(tl, target);
        else if (outs.history) outs.history(tl, j, target);
        else target.fill(0);
      }
      // A lagged time inside the current step (a time-varying lag shorter than the step) extrapolates the last step.
      else if (outs) evalOutputs(tl, j, target, tl > stepStart ? "left" : lside);
      else evalStored(tl, target, tl > stepStart ? "left" : lside, j);
      if (neutral?.[j]) derivPast(tl, tl > stepStart ? "left" : lside, 0, dlagViews[j]!);
    }
  };

  const f = (
    t: number,
    xx: Float64Array,
    side: Side,
    a: number,
    mid: number,
    out: Float64Array,
    quad = true,
    aOut: Float64Array | null = null,
  ) => {
    fillLags(t, side, a, mid);
    sys.rhs(t, xx, lagBuf, side, out, quad, dlagBuf, aOut);
    rhsEvals++;
  };

  const embeddedDiff = (i: number): number =>
    e0 * K[i]! +
    e2 * K[2 * N + i]! +
    e3 * K[3 * N + i]! +
    e4 * K[4 * N + i]! +
    e5 * K[5 * N + i]! +
    e6 * K[6 * N + i]!;
  // Quadratures: the same fifth-order weights (the last stage's, A[6]; b1 = 0: stage 1 may be unwritten).
  const quadratureStep = (h: number, i: number): number =>
    h * (b0 * K[i]! + b2 * K[2 * N + i]! + b3 * K[3 * N + i]! + b4 * K[4 * N + i]! + b5 * K[5 * N + i]!);
  const componentwiseError = (h: number): number => {
    const { atol, rtol } = sys;
    let acc = 0;
    for (let i = 0; i < N; i++) {
      const r = (h * embeddedDiff(i)) / (atol + rtol * Math.max(Math.abs(x[i]!), Math.abs(xn[i]!)));
      acc += r * r;
    }
    return Math.sqrt(acc / Math.max(1, N));
  };
  const normwiseError = (h: number): number => {
    const { atol, rtol } = sys;
    const w = weights!;
    let scale = 0;
    for (let i = 0; i < D; i++) scale = Math.max(scale, w[i]! * Math.max(Math.abs(x[i]!), Math.abs(xn[i]!)));
    let accD = 0;
    for (let i = 0; i < D; i++) {
      const r = (h * embeddedDiff(i)) / (atol + rtol * scale * invW![i]!);
      accD += r * r;
    }
    if (N === D) return Math.sqrt(accD / Math.max(1, D));
    const accQ = quadratureStepsNormwise(K, N, D, x, xn, variation, h, atol, rtol);
    return Math.sqrt(Math.max(accD / Math.max(1, D), accQ / (N - D)));
  };

  let t = t0;
  let jumpIdx = 0;
  const applyJumpsAt = (tt: number) => {
    while (jumpIdx < jumps.length && jumps[jumpIdx]!.t <= tt) jumps[jumpIdx++]!.apply(x);
  };
  applyJumpsAt(t0);

  const minLag = sys.constantLags ? Math.min(...lag0.filter((l) => l > 0), Infinity) : Infinity;
  let h = Math.min(span / 100, minLag);
  let stopIdx = 0;
  let ok = true;
  let message = "";
  let kFresh = false;
  while (t < t1) {
    while (stopIdx < stops.length && stops[stopIdx]! <= t) stopIdx++;
    const stop = stopIdx < stops.length ? stops[stopIdx]! : t1;
    let lagCap = minLag;
    if (!sys.constantLags)
      for (let j = 0; j < m; j++) lagCap = Math.min(lagCap, Math.max(sys.lag(t, j, "right"), 1e-12));
    h = Math.min(h, lagCap);
    const hProp = h;
    let hitStop = false;
    // Land on a stop up to 10% beyond the proposed step (one step instead of two); split the rest into two halves
    // rather than leave a sliver step before the stop.
    if (t + 1.1 * h >= stop - 1e-12 * Math.max(1, Math.abs(stop))) {
      h = stop - t;
      hitStop = true;
    } else if (t + 2 * h > stop) h = 0.5 * (stop - t);
    if (steps + rejected >= maxSteps) {
      ok = false;
      message = `maximum number of steps (${maxSteps}) reached at t = ${t}`;
      break;
    }
    if (!(h > 1e-14 * Math.max(1, Math.abs(t)))) {
      ok = false;
      message = `step size underflow at t = ${t}`;
      break;
    }
    const mid = t + 0.5 * h;
    if (!kFresh) f(t, x, "right", t, mid, kRows[0]!, true, outs ? aStart : null);
    for (let s = 1; s < 7; s++) {
      // Stage values of the D states only: the quadratures are never read at the stages.
      stageValues(xs, x, K, N, D, A_FLAT, 7 * s, s, h);
      // The last stages sit exactly on the step's end (t + (stop - t) may round off the stop).
      const ts = s >= 5 ? (hitStop ? stop : t + h) : t + C[s]! * h;
      f(ts, xs, s >= 5 ? "left" : "right", t, mid, kRows[s]!, s !== 1, s === 6 && outs ? aEnd : null);
      if (s === 6) for (let i = 0; i < D; i++) xn[i] = xs[i]!;
    }
    // Quadrature steps and the error estimate (Hairer's norm; norm-wise by groups with errorWeights, in one pass).
    let err: number;
    if (invW) err = normwiseError(h);
    else {
      for (let i = D; i < N; i++) xn[i] = x[i]! + quadratureStep(h, i);
      err = componentwiseError(h);
    }
    if (!Number.isFinite(err)) {
      if (h < 1e-10 * Math.max(1, span)) {
        ok = false;
        message = `non-finite value at t = ${t}`;
        break;
      }
      h *= 0.25;
      rejected++;
      kFresh = true;
      continue;
    }
    // A sliver step that still fails straddles a discontinuity a rounding away from a stop: its error is h * jump, so take it.
    const sliver = h <= 1e-10 * Math.max(1, span);
    if (err > 1 && !sliver) {
      h *= Math.max(0.2, 0.9 * Math.pow(err, -0.2));
      rejected++;
      kFresh = true;
      continue;
    }
    // Accept: store dense coefficients.
    const idx = starts.length;
    if (5 * D * (idx + 1) > coefs.length) {
      const grown = new Float64Array(coefs.length * 2);
      grown.set(coefs);
      coefs = grown;
    }
    const c = coefs;
    const cb = 5 * D * idx;
    for (let i = 0; i < D; i++) {
      const y0 = x[i]!;
      const y1 = xn[i]!;
      const dy = y1 - y0;
      const bspl = h * K[i]! - dy;
      c[cb + i] = y0;
      c[cb + D + i] = dy;
      c[cb + 2 * D + i] = bspl;
      c[cb + 3 * D + i] = dy - h * K[6 * N + i]! - bspl;
      const d =
        d0 * K[i]! +
        d2 * K[2 * N + i]! +
        d3 * K[3 * N + i]! +
        d4 * K[4 * N + i]! +
        d5 * K[5 * N + i]! +
        d6 * K[6 * N + i]!;
      c[cb + 4 * D + i] = h * d;
    }
    if (N > D) addVariation(variation, x, xn, D, N);
    if (outs) storeOutputs(idx, t, h, cb);
    starts.push(t);
    lens.push(h);
    steps++;
    t = hitStop ? stop : t + h;
    x.set(xn);
    const nJumps = jumpIdx;
    applyJumpsAt(t);
    // FSAL, except across a discontinuity or a jump where the first stage must see the right limit.
    if (!hitStop && nJumps === jumpIdx) {
      K.copyWithin(0, 6 * N, 7 * N);
      aStart.set(aEnd);
      kFresh = true;
    } else kFresh = false;
    const grow = err === 0 ? 5 : Math.min(5, 0.9 * Math.pow(err, -0.2));
    let hNext = hitStop ? Math.max(hProp, h * grow) : h * grow;
    // Past a state jump the solution's derivatives jumped too: the proposal from before it was rejected nearly every time
    // (adjoint at observation times), so start the new piece at 0.7 of it.
    if (nJumps !== jumpIdx) hNext *= 0.7;
    h = Math.max(hNext, 1e-12 * Math.max(1, span));
  }
  const tEnd = t;
  return {
    ok,
    message: ok ? "success" : message,
    tEnd,
    steps,
    rejected,
    rhsEvals,
    outputEvals,
    final: Float64Array.from(x),
    times: [...starts, tEnd],
    eval(tt: number, out: Float64Array, side: Side = "right"): Float64Array {
      if (tt >= tEnd && starts.length > 0 && side === "right") {
        if (tt === tEnd) {
          for (let i = 0; i < D; i++) out[i] = x[i]!;
          return out;
        }
      }
      return evalStored(Math.min(tt, tEnd), out, side);
    },
  };
}
