/**
 * The partial derivatives of f that sensitivities and adjoints need: A = f_y (n x n), B_j = f_zj (m blocks n x n) and the
 * target columns of f_p (n x nt). They come from `problem.jac` when given; otherwise from central finite differences
 * with step h = eps^(1/3) max(1, |x|), whose error is about eps^(2/3) ~ 4e-11 relative for a smooth f (one order of
 * magnitude worse where f has large third derivatives) — the accuracy we state for plain TypeScript right-hand sides.
 */
import type { DDEProblem } from "../types.js";

const FD_REL = Math.cbrt(Number.EPSILON);

export class Linearizer {
  readonly n: number;
  readonly m: number;
  readonly np: number;
  readonly nt: number;
  /** f_y, row-major n x n. */
  readonly A: Float64Array;
  /** f_zj, m blocks of n x n: B[j*n*n + i*n + k] = d f_i / d z_{j,k}. */
  readonly B: Float64Array;
  /** d f / d p for the targets, n x nt: Fp[i*nt + k] = d f_i / d p_{targets[k]}. */
  readonly Fp: Float64Array;
  private readonly fullDp: Float64Array;
  private readonly Bblocks: Float64Array[];
  private readonly zd: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;
  private readonly pw: Float64Array;

  constructor(
    readonly problem: DDEProblem,
    readonly targets: Int32Array,
    p: Float64Array,
  ) {
    this.n = problem.n;
    this.m = problem.delays.length;
    this.np = p.length;
    this.nt = targets.length;
    this.A = new Float64Array(this.n * this.n);
    this.B = new Float64Array(this.m * this.n * this.n);
    this.Fp = new Float64Array(this.n * this.nt);
    this.fullDp = new Float64Array(this.n * this.np);
    this.Bblocks = Array.from({ length: this.m }, (_, j) =>
      this.B.subarray(j * this.n * this.n, (j + 1) * this.n * this.n),
    );
    this.zd = new Float64Array(this.m * this.n);
    this.f1 = new Float64Array(this.n);
    this.f2 = new Float64Array(this.n);
    this.pw = Float64Array.from(p);
  }

  /** f(t, y, z, p) into out. */
  f(t: number, y: Float64Array, z: Float64Array, p: Float64Array, out: Float64Array): Float64Array {
    this.problem.f(t, y, z, p, out, this.zd);
    return out;
  }

  /** f_y at (t, y, z) into this.A. y is perturbed in place and restored. */
  dy(t: number, y: Float64Array, z: Float64Array, p: Float64Array): Float64Array {
    const jac = this.problem.jac;
    if (jac?.dy) {
      jac.dy(t, y, z, p, this.A, this.zd);
      return this.A;
    }
    this.fdColumns(t, y, z, p, y, this.A, 0, this.n);
    return this.A;
  }

  /** f_z (all delays) at (t, y, z) into this.B. */
  dz(t: number, y: Float64Array, z: Float64Array, p: Float64Array): Float64Array {
    const jac = this.problem.jac;
    if (jac?.dz) {
      jac.dz(t, y, z, p, this.B, this.zd);
      return this.B;
    }
    // Entries j*n .. j*n+n-1 of z, written as the n x n block j.
    for (let j = 0; j < this.m; j++) this.fdColumns(t, y, z, p, z, this.Bblocks[j]!, j * this.n, this.n);
    return this.B;
  }

  /** The target columns of f_p at (t, y, z) into this.Fp. */
  dp(t: number, y: Float64Array, z: Float64Array, p: Float64Array): Float64Array {
    const { n, nt, np, targets } = this;
    const jac = this.problem.jac;
    if (jac?.dp) {
      jac.dp(t, y, z, p, this.fullDp, this.zd);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < nt; k++) this.Fp[i * nt + k] = this.fullDp[i * np + targets[k]!]!;
      return this.Fp;
    }
    const pw = this.pw;
    pw.set(p);
    for (let k = 0; k < nt; k++) {
      const q = targets[k]!;
      const x = pw[q]!;
      const h = FD_REL * Math.max(1, Math.abs(x));
      pw[q] = x + h;
      this.problem.f(t, y, z, pw, this.f1, this.zd);
      pw[q] = x - h;
      this.problem.f(t, y, z, pw, this.f2, this.zd);
      pw[q] = x;
      for (let i = 0; i < n; i++) this.Fp[i * nt + k] = (this.f1[i]! - this.f2[i]!) / (2 * h);
    }
    return this.Fp;
  }

  /** Central differences of f with respect to the entries [from, from+cols) of `v` (which is y), into out (n x cols). */
  private fdColumns(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    v: Float64Array,
    out: Float64Array,
    from: number,
    cols: number,
  ): void {
    const n = this.n;
    for (let c = 0; c < cols; c++) {
      const x = v[from + c]!;
      const h = FD_REL * Math.max(1, Math.abs(x));
      v[from + c] = x + h;
      this.problem.f(t, y, z, p, this.f1, this.zd);
      v[from + c] = x - h;
      this.problem.f(t, y, z, p, this.f2, this.zd);
      v[from + c] = x;
      for (let i = 0; i < n; i++) out[i * cols + c] = (this.f1[i]! - this.f2[i]!) / (2 * h);
    }
  }
}

/** d g / d y of a scalar point function, from g.dy or central differences. */
export function pointDy(
  g: {
    value(t: number, y: Float64Array, p: Float64Array): number;
    dy?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  },
  t: number,
  y: Float64Array,
  p: Float64Array,
  out: Float64Array,
): Float64Array {
  if (g.dy) {
    g.dy(t, y, p, out);
    return out;
  }
  for (let i = 0; i < y.length; i++) {
    const x = y[i]!;
    const h = FD_REL * Math.max(1, Math.abs(x));
    y[i] = x + h;
    const a = g.value(t, y, p);
    y[i] = x - h;
    const b = g.value(t, y, p);
    y[i] = x;
    out[i] = (a - b) / (2 * h);
  }
  return out;
}

/** The target entries of d g / d p (length nt), from g.dp or central differences. */
export function pointDp(
  g: {
    value(t: number, y: Float64Array, p: Float64Array): number;
    dp?(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  },
  t: number,
  y: Float64Array,
  p: Float64Array,
  targets: Int32Array,
  out: Float64Array,
  scratch: Float64Array,
): Float64Array {
  if (g.dp) {
    g.dp(t, y, p, scratch);
    for (let k = 0; k < targets.length; k++) out[k] = scratch[targets[k]!]!;
    return out;
  }
  for (let k = 0; k < targets.length; k++) {
    const q = targets[k]!;
    const x = p[q]!;
    const h = FD_REL * Math.max(1, Math.abs(x));
    p[q] = x + h;
    const a = g.value(t, y, p);
    p[q] = x - h;
    const b = g.value(t, y, p);
    p[q] = x;
    out[k] = (a - b) / (2 * h);
  }
  return out;
}
