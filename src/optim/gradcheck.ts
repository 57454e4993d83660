/**
 * Gradient checker: compares an objective's gradient with central differences, component by component, and names the
 * worst component. Step h_i = h · max(1, |x_i|) with h = ε^(1/3) ≈ 6e-6 by default, which balances the O(h²)
 * truncation error of central differences against the O(ε/h) rounding error. The mismatch that the rounding error of
 * f can explain is not counted against the gradient.
 */
import { assertArg } from "../errors.js";
import { checkStart, type ObjectiveFn } from "./objective.js";

export interface CheckGradientOptions {
  /** Relative step (default ε^(1/3)). */
  step?: number;
  /** Largest accepted relative error (default 1e-5). */
  rtol?: number;
  /** Floor of the denominator of the relative error, relative to max(1, ||g||_inf) (default 1e-6): components
   * much smaller than the gradient's scale are judged on absolute error instead. */
  floor?: number;
  /** Check only these components (default: all). */
  indices?: number[];
}

export interface CheckGradientResult {
  ok: boolean;
  f: number;
  /** The objective's gradient and the central differences, per checked component (others NaN in `numeric`). */
  analytic: Float64Array;
  numeric: Float64Array;
  /** Relative error beyond the rounding noise of the difference quotient (see `roundoff`). */
  relError: Float64Array;
  /** Estimated rounding error of each central difference, 10 ε max(|f(x ± h)|) / 2h: mismatches below it are not
   * counted, so a large |f| limits what can be judged. */
  roundoff: Float64Array;
  /** Index of the component with the largest relative error, and that error. */
  worstIndex: number;
  worstError: number;
  message: string;
}

export function checkGradient(
  fg: ObjectiveFn,
  x0: ArrayLike<number>,
  options: CheckGradientOptions = {},
): CheckGradientResult {
  const x = checkStart(x0, "checkGradient");
  const n = x.length;
  const h = options.step ?? Math.cbrt(Number.EPSILON);
  const rtol = options.rtol ?? 1e-5;
  const floorRel = options.floor ?? 1e-6;
  const indices = options.indices ?? Array.from({ length: n }, (_, i) => i);
  for (const i of indices)
    assertArg(Number.isInteger(i) && i >= 0 && i < n, () => `checkGradient: index ${i} out of range`);

  const analytic = new Float64Array(n);
  const f = value(fg, x, analytic, n);
  assertArg(Number.isFinite(f), () => `checkGradient: the objective is ${f} at x`);
  const scratch = new Float64Array(n);
  const numeric = new Float64Array(n).fill(NaN);
  const relError = new Float64Array(n).fill(NaN);
  const roundoff = new Float64Array(n).fill(NaN);
  let gInf = 0;
  for (let i = 0; i < n; i++) gInf = Math.max(gInf, Math.abs(analytic[i]!));
  const floor = floorRel * Math.max(1, gInf);

  let worstIndex = -1;
  let worstError = 0;
  for (const i of indices) {
    const xi = x[i]!;
    const hi = h * Math.max(1, Math.abs(xi));
    x[i] = xi + hi;
    const fp = value(fg, x, scratch, n);
    x[i] = xi - hi;
    const fm = value(fg, x, scratch, n);
    x[i] = xi;
    const step2 = xi + hi - (xi - hi); // the step actually taken, after rounding
    const num = (fp - fm) / step2;
    numeric[i] = num;
    const a = analytic[i]!;
    // The part of the mismatch that rounding in f cannot explain: each f carries ~ε|f| error, so the difference
    // quotient carries up to ~10 ε max|f| / (2h) (a margin for objectives computed less accurately than one ulp).
    const noise = (10 * Number.EPSILON * Math.max(Math.abs(fp), Math.abs(fm))) / step2;
    roundoff[i] = noise;
    const err = Math.max(0, Math.abs(a - num) - noise) / Math.max(Math.abs(a), Math.abs(num), floor);
    relError[i] = Number.isFinite(err) ? err : Infinity;
    if (worstIndex < 0 || !(relError[i]! <= worstError)) {
      worstIndex = i;
      worstError = relError[i]!;
    }
  }
  const ok = worstError <= rtol;
  const message =
    worstIndex < 0
      ? "no components checked"
      : `${ok ? "gradient ok" : "gradient mismatch"}: worst component ${worstIndex}: analytic ${analytic[worstIndex]}, ` +
        `central difference ${numeric[worstIndex]}, relative error ${worstError.toExponential(2)} (rtol ${rtol})`;
  return { ok, f, analytic, numeric, relError, roundoff, worstIndex, worstError, message };
}

function value(fg: ObjectiveFn, x: Float64Array, g: Float64Array, n: number): number {
  const r = fg(x, g);
  if (typeof r === "number") return r;
  const gu = r[1];
  assertArg(gu.length === n, () => `checkGradient: the gradient has length ${gu.length}, expected ${n}`);
  for (let i = 0; i < n; i++) g[i] = gu[i]!;
  return r[0];
}
