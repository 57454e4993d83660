/**
 * Armijo backtracking along a projection arc: tries x(α) = P(x − α g) for α, α·shrink, α·shrink², ... and accepts
 * the first with f(x(α)) ≤ f(x) + c1 · gᵀ(x(α) − x) and f(x(α)) < f(x) (Bertsekas' rule; without bounds P is the
 * identity and this is the classic Armijo condition along −g). A trial point where the objective is not finite is
 * not acceptable, so the search backs off from it.
 * @see L. Armijo (1966), Minimization of functions having Lipschitz continuous first partial derivatives,
 *   Pacific J. Math. 16(1); D. P. Bertsekas (1999), Nonlinear Programming, 2nd ed., Section 2.3.
 */

export interface ArmijoOptions {
  c1?: number; // 1e-4
  shrink?: number; // 0.5
  maxBacktracks?: number; // 60
}

/**
 * `trial(α)` must set the caller's point to x(α), evaluate it and return [f(x(α)), gᵀ(x(α) − x)] (f = Infinity when
 * unusable). Returns the accepted α and f, or `accepted: false` after maxBacktracks (the caller restores x).
 */
export function armijoBacktrack(
  trial: (alpha: number) => readonly [number, number],
  f0: number,
  alpha0: number,
  options: ArmijoOptions = {},
): { accepted: boolean; alpha: number; f: number; evaluations: number } {
  const { c1 = 1e-4, shrink = 0.5, maxBacktracks = 60 } = options;
  let alpha = alpha0;
  for (let k = 0; k <= maxBacktracks; k++) {
    const [f, directional] = trial(alpha);
    if (Number.isFinite(f) && f < f0 && f <= f0 + c1 * directional)
      return { accepted: true, alpha, f, evaluations: k + 1 };
    alpha *= shrink;
  }
  return { accepted: false, alpha, f: NaN, evaluations: maxBacktracks + 1 };
}
