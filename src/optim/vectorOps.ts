/**
 * The few elementwise operations the optimiser transforms and projections need, over any vector type `V`.
 *
 * gradopt implements it for `Float64Array` (`float64Ops`, allocation-free: every op writes into `out` when given);
 * src/attack implements it for TensorFlow.js tensors, where `out` is ignored and a new tensor is returned.
 * Callers must therefore always use the returned value (`m = ops.axpby(b, m, 1 - b, g, m)`), never rely on `out`
 * having been written. This interface is stable: add ops, never change the existing signatures.
 */
export interface VectorOps<V> {
  readonly name: string;
  /** Number of elements. */
  size(x: V): number;
  /** A new vector of zeros shaped like `x`. */
  zerosLike(x: V): V;
  /** A new vector equal to `x`. */
  clone(x: V): V;
  /** a * x */
  scale(x: V, a: number, out?: V): V;
  /** a * x + b * y */
  axpby(a: number, x: V, b: number, y: V, out?: V): V;
  /** a * x + b * y², the exponential moving average of squares in Adam and RMSProp. */
  axpbySquare(a: number, x: V, b: number, y: V, out?: V): V;
  /** a * x / (sqrt(b * v) + eps), the preconditioned step of Adam and RMSProp. */
  rsqrtScale(x: V, v: V, a: number, b: number, eps: number, out?: V): V;
  /** x * y elementwise */
  mul(x: V, y: V, out?: V): V;
  /** sign(x) elementwise, with sign(0) = 0 */
  sign(x: V, out?: V): V;
  /** min(max(x, lower), upper) elementwise; bounds are vectors or scalars. */
  clamp(x: V, lower: V | number, upper: V | number, out?: V): V;
  /**
   * min(max(x, center - radius), center + radius) elementwise: projection onto the L-inf ball. The Float64Array
   * version guarantees |result - center| <= radius exactly in floating point (rounding of c ± r is corrected).
   */
  clampAround(x: V, center: V, radius: number, out?: V): V;
  /** sum(x * y) */
  dot(x: V, y: V): number;
  /** ||x||_2 */
  norm2(x: V): number;
  /** ||x||_inf */
  normInf(x: V): number;
  /** ||x - y||_2 */
  dist2(x: V, y: V): number;
  /** ||x - y||_inf */
  distInf(x: V, y: V): number;
}

function target(x: Float64Array, out?: Float64Array): Float64Array {
  return out ?? new Float64Array(x.length);
}

function bound(b: Float64Array | number, i: number): number {
  return typeof b === "number" ? b : b[i]!;
}

/** `VectorOps` for Float64Array: plain loops, in place when `out` is given (which may alias an input). */
export const float64Ops: VectorOps<Float64Array> = {
  name: "float64",
  size: (x) => x.length,
  zerosLike: (x) => new Float64Array(x.length),
  clone: (x) => Float64Array.from(x),
  scale(x, a, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) o[i] = a * x[i]!;
    return o;
  },
  axpby(a, x, b, y, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) o[i] = a * x[i]! + b * y[i]!;
    return o;
  },
  axpbySquare(a, x, b, y, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) {
      const yi = y[i]!;
      o[i] = a * x[i]! + b * yi * yi;
    }
    return o;
  },
  rsqrtScale(x, v, a, b, eps, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) o[i] = (a * x[i]!) / (Math.sqrt(b * v[i]!) + eps);
    return o;
  },
  mul(x, y, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) o[i] = x[i]! * y[i]!;
    return o;
  },
  sign(x, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      o[i] = xi > 0 ? 1 : xi < 0 ? -1 : xi === 0 ? 0 : NaN;
    }
    return o;
  },
  clamp(x, lower, upper, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) o[i] = Math.min(Math.max(x[i]!, bound(lower, i)), bound(upper, i));
    return o;
  },
  clampAround(x, center, radius, out) {
    const o = target(x, out);
    for (let i = 0; i < x.length; i++) {
      const c = center[i]!;
      const xi = x[i]!;
      const d = xi - c;
      // Snap to c ± radius, then step inwards by ulps until |z - c| <= radius holds in floating point too.
      if (d > radius) {
        let z = c + radius;
        while (z - c > radius) z = nextDown(z);
        o[i] = z;
      } else if (d < -radius) {
        let z = c - radius;
        while (c - z > radius) z = -nextDown(-z);
        o[i] = z;
      } else o[i] = xi;
    }
    return o;
  },
  dot,
  norm2: (x) => scaledNorm2(x),
  normInf: infNorm,
  dist2(x, y) {
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const d = x[i]! - y[i]!;
      s += d * d;
    }
    return Math.sqrt(s);
  },
  distInf(x, y) {
    let m = 0;
    for (let i = 0; i < x.length; i++) {
      const a = Math.abs(x[i]! - y[i]!);
      if (!(a <= m)) m = a;
    }
    return m;
  },
};

/** sum(a * b), the plain loop (the minimisers' inner product). */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** ||v||_inf; NaN propagates (a NaN entry gives NaN, so a stopping test on it never passes). */
export function infNorm(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (!(a <= m)) m = a;
  }
  return m;
}

/** ||x||_2 without overflow for huge entries (falls back to a scaled sum only when the plain one overflows). */
export function scaledNorm2(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  if (Number.isFinite(s) && s > 1e-300) return Math.sqrt(s);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  if (m === 0 || !Number.isFinite(m)) return Number.isNaN(s) ? NaN : m;
  let t = 0;
  for (let i = 0; i < x.length; i++) {
    const r = x[i]! / m;
    t += r * r;
  }
  return m * Math.sqrt(t);
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The largest double below z (finite z). */
export function nextDown(z: number): number {
  if (z === 0) return -Number.MIN_VALUE;
  f64[0] = z;
  i64[0] = z > 0 ? i64[0]! - 1n : i64[0]! + 1n;
  return f64[0]!;
}
