import { GradoptError } from "../errors.js";

/** Bounds as users give them: a number for all components, an array per component (±Infinity or null = none). */
export type BoundSpec = number | ArrayLike<number | null> | undefined;

export interface Bounds {
  lower?: BoundSpec;
  upper?: BoundSpec;
}

/** Expands bounds to per-component Float64Arrays (−∞/+∞ where absent) and checks them. */
export function expandBounds(
  bounds: Bounds | undefined,
  n: number,
  fn: string,
): { l: Float64Array; u: Float64Array } {
  const l = expand(bounds?.lower, n, -Infinity, `${fn}: bounds.lower`);
  const u = expand(bounds?.upper, n, Infinity, `${fn}: bounds.upper`);
  for (let i = 0; i < n; i++) {
    if (l[i]! > u[i]!)
      throw new GradoptError("E_ARG", `${fn}: lower bound ${l[i]} > upper bound ${u[i]} at index ${i}`);
    if (l[i] === Infinity || u[i] === -Infinity) {
      throw new GradoptError("E_ARG", `${fn}: bounds at index ${i} leave no feasible value`);
    }
  }
  return { l, u };
}

function expand(b: BoundSpec, n: number, none: number, what: string): Float64Array {
  const out = new Float64Array(n).fill(none);
  if (b === undefined || b === null) return out;
  if (typeof b === "number") {
    if (Number.isNaN(b)) throw new GradoptError("E_ARG", `${what} is NaN`);
    return out.fill(b);
  }
  if (b.length !== n) throw new GradoptError("E_ARG", `${what} has length ${b.length}, expected ${n}`);
  for (let i = 0; i < n; i++) {
    const v = b[i];
    if (v === null || v === undefined) continue;
    if (Number.isNaN(v)) throw new GradoptError("E_ARG", `${what}[${i}] is NaN`);
    out[i] = v;
  }
  return out;
}

/** True when some bound is finite. */
export function hasFiniteBound(l: Float64Array, u: Float64Array): boolean {
  for (let i = 0; i < l.length; i++) if (Number.isFinite(l[i]!) || Number.isFinite(u[i]!)) return true;
  return false;
}

/** ||P(x − g) − x||_inf, the projected gradient norm that L-BFGS-B's stopping test uses. */
export function projectedGradientNorm(
  x: Float64Array,
  g: Float64Array,
  l: Float64Array,
  u: Float64Array,
): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i]!;
    let p = gi;
    if (gi < 0) p = Math.max(x[i]! - u[i]!, gi);
    else if (gi > 0) p = Math.min(x[i]! - l[i]!, gi);
    const a = Math.abs(p);
    if (!(a <= m)) m = a;
  }
  return m;
}
