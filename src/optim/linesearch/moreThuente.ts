/**
 * The Moré-Thuente line search: finds a step satisfying the strong Wolfe conditions
 *   φ(stp) ≤ φ(0) + ftol · stp · φ'(0)   and   |φ'(stp)| ≤ gtol · |φ'(0)|
 * by safeguarded cubic/quadratic interpolation on an interval of uncertainty that it keeps bracketing a minimiser.
 * Written from the paper (Algorithms 1-2 and the four trial-step cases of Section 4); the defaults are those of
 * L-BFGS-B (ftol 1e-3, gtol 0.9, xtol 0.1), so iteration counts compare with SciPy.
 *
 * Extension for robust use: a trial step where φ is not finite (the objective threw or returned NaN/Infinity) is
 * treated as infinitely bad: the search backs off towards the best step so far and never goes that far again.
 *
 * @see J. J. Moré, D. J. Thuente (1994), Line search algorithms with guaranteed sufficient decrease,
 *   ACM TOMS 20(3), 286-307.
 */

/** φ and φ' at a step: the line search's view of the objective along the search direction (reused object). */
export interface LinePoint {
  f: number;
  dg: number;
}

export interface MoreThuenteOptions {
  ftol?: number;
  gtol?: number;
  xtol?: number;
  stpmin?: number;
  stpmax?: number;
  maxEvals?: number;
}

export type LineSearchStatus =
  | "converged" // strong Wolfe conditions hold
  | "max_evaluations"
  | "interval_too_small" // relative width of the interval below xtol
  | "rounding_errors" // no further progress possible
  | "at_stpmax" // the step hit stpmax with decrease (e.g. the edge of the feasible region)
  | "at_stpmin"
  | "not_descent"; // φ'(0) ≥ 0

export interface LineSearchResult {
  stp: number;
  f: number;
  dg: number;
  status: LineSearchStatus;
  evaluations: number;
  /** True when the returned step satisfies the sufficient decrease condition (safe to accept). */
  sufficientDecrease: boolean;
}

const XTRAPL = 1.1;
const XTRAPU = 4.0;

/**
 * Runs the search from step `stp` for φ given by `evaluate(stp, point)`, which must leave the caller's point at `stp`
 * (so when this returns, the last evaluated step is the returned one). φ(0) = f0, φ'(0) = dg0 < 0.
 */
export function moreThuente(
  evaluate: (stp: number, point: LinePoint) => void,
  f0: number,
  dg0: number,
  stp: number,
  options: MoreThuenteOptions = {},
): LineSearchResult {
  const { ftol = 1e-3, gtol = 0.9, xtol = 0.1, stpmin = 0, stpmax = 1e20, maxEvals = 20 } = options;
  const point: LinePoint = { f: NaN, dg: NaN };
  if (!(dg0 < 0))
    return { stp: 0, f: f0, dg: dg0, status: "not_descent", evaluations: 0, sufficientDecrease: false };
  let hardMax = stpmax; // lowered below steps where φ was not finite
  stp = Math.min(Math.max(stp, stpmin), hardMax);

  const gtest = ftol * dg0;
  let brackt = false;
  let stage = 1;
  let width = stpmax - stpmin;
  let width1 = 2 * width;
  const iv: Interval = { stx: 0, fx: f0, gx: dg0, sty: 0, fy: f0, gy: dg0, brackt: false };
  let stmin = 0;
  let stmax = stp + XTRAPU * stp;
  let evals = 0;

  const done = (status: LineSearchStatus): LineSearchResult => ({
    stp,
    f: point.f,
    dg: point.dg,
    status,
    evaluations: evals,
    // Strict decrease too: when stp·ftol·φ'(0) is below the rounding of φ(0), "f <= ftest" alone would accept no progress.
    sufficientDecrease: Number.isFinite(point.f) && point.f <= f0 + stp * gtest && point.f < f0,
  });

  for (;;) {
    evaluate(stp, point);
    evals++;
    const f = point.f;
    const g = point.dg;
    const ftest = f0 + stp * gtest;

    if (!Number.isFinite(f) || !Number.isFinite(g)) {
      // Infinitely bad trial point: back off towards the best step and cap the search below this step.
      point.f = Infinity;
      if (evals >= maxEvals) return done("max_evaluations");
      hardMax = stp;
      stmax = Math.min(stmax, stp);
      const next = iv.stx + 0.5 * (stp - iv.stx);
      if (!(Math.abs(next - iv.stx) > 1e-16 * Math.max(1, Math.abs(iv.stx)))) return done("rounding_errors");
      stp = next;
      continue;
    }

    if (stage === 1 && f <= ftest && g >= 0) stage = 2;

    if (brackt && (stp <= stmin || stp >= stmax)) return done("rounding_errors");
    if (brackt && stmax - stmin <= xtol * stmax) return done("interval_too_small");
    if (stp === hardMax && f <= ftest && g <= gtest) return done("at_stpmax");
    if (stp === stpmin && (f > ftest || g >= gtest)) return done("at_stpmin");
    if (f <= ftest && Math.abs(g) <= gtol * -dg0) return done("converged");
    if (evals >= maxEvals) return done("max_evaluations");

    iv.brackt = brackt;
    if (stage === 1 && f <= iv.fx && f > ftest) {
      // Stage 1 works on the modified function ψ(α) = φ(α) − φ(0) − ftol·α·φ'(0) while it can.
      iv.fx -= iv.stx * gtest;
      iv.fy -= iv.sty * gtest;
      iv.gx -= gtest;
      iv.gy -= gtest;
      stp = trialStep(iv, stp, f - stp * gtest, g - gtest, stmin, stmax);
      iv.fx += iv.stx * gtest;
      iv.fy += iv.sty * gtest;
      iv.gx += gtest;
      iv.gy += gtest;
    } else {
      stp = trialStep(iv, stp, f, g, stmin, stmax);
    }
    brackt = iv.brackt;

    if (brackt) {
      // Force sufficient shrinkage of the interval, bisecting when it did not shrink by 1/3 in two steps.
      if (Math.abs(iv.sty - iv.stx) >= 0.66 * width1) stp = iv.stx + 0.5 * (iv.sty - iv.stx);
      width1 = width;
      width = Math.abs(iv.sty - iv.stx);
      stmin = Math.min(iv.stx, iv.sty);
      stmax = Math.max(iv.stx, iv.sty);
    } else {
      stmin = stp + XTRAPL * (stp - iv.stx);
      stmax = stp + XTRAPU * (stp - iv.stx);
    }
    stp = Math.min(Math.max(stp, stpmin), hardMax);
    if ((brackt && (stp <= stmin || stp >= stmax)) || (brackt && stmax - stmin <= xtol * stmax)) stp = iv.stx;
  }
}

/** The interval of uncertainty: endpoint x is the best step so far, y the other end. */
interface Interval {
  stx: number;
  fx: number;
  gx: number;
  sty: number;
  fy: number;
  gy: number;
  brackt: boolean;
}

/**
 * One safeguarded trial step (the paper's Section 4, four cases by how the new point (stp, fp, dp) compares with the
 * best point x), and the update of the interval. Returns the next trial step.
 */
function trialStep(
  iv: Interval,
  stp: number,
  fp: number,
  dp: number,
  stpmin: number,
  stpmax: number,
): number {
  const { stx, fx, gx: dx, sty, fy, gy: dy } = iv;
  const sgnd = dp * Math.sign(dx);
  let stpf: number;

  if (fp > fx) {
    // Case 1: higher value. The minimiser is bracketed; take the cubic step if closer to x, else cubic/quadratic mean.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp < stx) gamma = -gamma;
    const p = gamma - dx + theta;
    const q = gamma - dx + gamma + dp;
    const stpc = stx + (p / q) * (stp - stx);
    const stpq = stx + (dx / ((fx - fp) / (stp - stx) + dx) / 2) * (stp - stx);
    stpf = Math.abs(stpc - stx) < Math.abs(stpq - stx) ? stpc : stpc + (stpq - stpc) / 2;
    iv.brackt = true;
  } else if (sgnd < 0) {
    // Case 2: lower value, derivatives of opposite sign: bracketed; the step farther from stp of cubic and secant.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma - dp + gamma + dx;
    const stpc = stp + (p / q) * (stx - stp);
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
    iv.brackt = true;
  } else if (Math.abs(dp) < Math.abs(dx)) {
    // Case 3: lower value, same-sign derivative decreasing in magnitude. The cubic may not have a minimiser in the
    // direction of the step; then extrapolate to the interval end.
    const theta = (3 * (fx - fp)) / (stp - stx) + dx + dp;
    const s = Math.max(Math.abs(theta), Math.abs(dx), Math.abs(dp));
    let gamma = s * Math.sqrt(Math.max(0, (theta / s) ** 2 - (dx / s) * (dp / s)));
    if (stp > stx) gamma = -gamma;
    const p = gamma - dp + theta;
    const q = gamma + (dx - dp) + gamma;
    const r = p / q;
    let stpc: number;
    if (r < 0 && gamma !== 0) stpc = stp + r * (stx - stp);
    else stpc = stp > stx ? stpmax : stpmin;
    const stpq = stp + (dp / (dp - dx)) * (stx - stp);
    if (iv.brackt) {
      stpf = Math.abs(stpc - stp) < Math.abs(stpq - stp) ? stpc : stpq;
      stpf = stp > stx ? Math.min(stp + 0.66 * (sty - stp), stpf) : Math.max(stp + 0.66 * (sty - stp), stpf);
    } else {
      stpf = Math.abs(stpc - stp) > Math.abs(stpq - stp) ? stpc : stpq;
      stpf = Math.max(stpmin, Math.min(stpmax, stpf));
    }
  } else {
    // Case 4: lower value, same sign, derivative not decreasing: cubic with y if bracketed, else the interval end.
    if (iv.brackt) {
      const theta = (3 * (fp - fy)) / (sty - stp) + dy + dp;
      const s = Math.max(Math.abs(theta), Math.abs(dy), Math.abs(dp));
      let gamma = s * Math.sqrt((theta / s) ** 2 - (dy / s) * (dp / s));
      if (stp > sty) gamma = -gamma;
      const p = gamma - dp + theta;
      const q = gamma - dp + gamma + dy;
      stpf = stp + (p / q) * (sty - stp);
    } else stpf = stp > stx ? stpmax : stpmin;
  }

  // Update the interval of uncertainty.
  if (fp > fx) {
    iv.sty = stp;
    iv.fy = fp;
    iv.gy = dp;
  } else {
    if (sgnd < 0) {
      iv.sty = stx;
      iv.fy = fx;
      iv.gy = dx;
    }
    iv.stx = stp;
    iv.fx = fp;
    iv.gx = dp;
  }
  return stpf;
}
