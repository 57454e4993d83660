/**
 * Euclidean projections onto simple convex sets, as plain functions (Optax's `projections` module style).
 *
 * Each returns the point of the set nearest to `x`. The result goes into `out` when given (which may be `x` itself, for
 * an in-place projection), otherwise into a new vector. All are generic over `VectorOps`: pass tensor ops as the last
 * argument to project tensors (then `out` is ignored and a new tensor comes back).
 */
import { assertArg } from "../errors.js";
import { defaultOps } from "./transforms/types.js";
import type { VectorOps } from "./vectorOps.js";

/** A bound: one number for every component, or a vector of per-component bounds. */
export type Bound<V = Float64Array> = V | number;

/** A projection used by the drivers: maps x to the feasible set, in place for Float64Array. */
export type Projection<V = Float64Array> = (x: V) => V;

/** Projection onto the box lower ≤ x ≤ upper (omitted bounds are ∓∞). */
export function projectBox<V = Float64Array>(
  x: V,
  lower: Bound<V> = -Infinity,
  upper: Bound<V> = Infinity,
  out?: V,
  ops?: VectorOps<V>,
): V {
  return defaultOps(ops).clamp(x, lower, upper, out);
}

/** Projection onto the L-inf ball {z : |z_i − c_i| ≤ radius}. */
export function projectLinfBall<V = Float64Array>(
  x: V,
  center: V,
  radius: number,
  out?: V,
  ops?: VectorOps<V>,
): V {
  checkRadius(radius, "projectLinfBall");
  return defaultOps(ops).clampAround(x, center, radius, out);
}

/** Projection onto the L2 ball {z : ||z − c||_2 ≤ radius}: c + (x − c) · min(1, radius / ||x − c||). */
export function projectL2Ball<V = Float64Array>(
  x: V,
  center: V,
  radius: number,
  out?: V,
  ops?: VectorOps<V>,
): V {
  checkRadius(radius, "projectL2Ball");
  const o = defaultOps(ops);
  const d = o.dist2(x, center);
  if (d <= radius) return out === undefined ? o.clone(x) : out === x ? x : o.scale(x, 1, out);
  const t = radius / d;
  return o.axpby(t, x, 1 - t, center, out);
}

/**
 * Projection onto the intersection of the L-inf ball around `center` with the box [lower, upper] (an eps-ball of an
 * image clipped to [0, 1]). Exact: the intersection of two boxes is a box, so clamping to one then the other is exact.
 */
export function projectLinfBallBox<V = Float64Array>(
  x: V,
  center: V,
  radius: number,
  lower: Bound<V>,
  upper: Bound<V>,
  out?: V,
  ops?: VectorOps<V>,
): V {
  checkRadius(radius, "projectLinfBallBox");
  const o = defaultOps(ops);
  return o.clamp(o.clampAround(x, center, radius, out), lower, upper, out);
}

/**
 * Projection onto the intersection of the L2 ball around `center` (which must lie in the box) with the box.
 * Exact, not alternating: by the KKT conditions the answer is z(t) = clamp((1 − t) x + t c, lower, upper) for the
 * t in [0, 1] where ||z(t) − c|| = radius (t = 0 when clamp(x) is already inside the ball); ||z(t) − c|| is
 * non-increasing in t, so t is found by bisection (60 halvings) and the feasible end is returned.
 */
export function projectL2BallBox<V = Float64Array>(
  x: V,
  center: V,
  radius: number,
  lower: Bound<V>,
  upper: Bound<V>,
  out?: V,
  ops?: VectorOps<V>,
): V {
  checkRadius(radius, "projectL2BallBox");
  const o = defaultOps(ops);
  const clamped = o.clamp(x, lower, upper, out === x ? undefined : out);
  if (o.dist2(clamped, center) <= radius) return out === x ? o.scale(clamped, 1, x) : clamped;
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 60; k++) {
    const t = 0.5 * (lo + hi);
    const z = o.clamp(o.axpby(1 - t, x, t, center, clamped), lower, upper, clamped);
    if (o.dist2(z, center) > radius) lo = t;
    else hi = t;
  }
  const z = o.clamp(o.axpby(1 - hi, x, hi, center, clamped), lower, upper, clamped);
  return out === undefined ? z : o.scale(z, 1, out);
}

function checkRadius(radius: number, fn: string): void {
  assertArg(
    radius >= 0 && Number.isFinite(radius),
    () => `${fn}: radius must be finite and >= 0, got ${radius}`,
  );
}
