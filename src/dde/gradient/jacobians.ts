/**
 * The partial derivatives of f that sensitivities and adjoints need, as products (what the gradient equations use):
 * tangents f_y v + sum_j f_zj v_j + f_p e_q (forward sensitivities) and vector-Jacobian products v^T f_y, v^T f_zj,
 * v^T f_p (adjoint), and as dense matrices A = f_y (n x n), B_j = f_zj (m blocks n x n) and the target columns of f_p.
 * Sources, best first: the matrix-free `problem.jac.jvp` / `vjp`; the dense `jac.dy` / `dz` / `dp` multiplied out;
 * central finite differences of f with step h = eps^(1/3) max(1, |x|) (along each direction for tangents, per column
 * otherwise), whose error is about eps^(2/3) ~ 4e-11 relative for a smooth f (one order of magnitude worse where f has
 * large third derivatives) — the accuracy we state for plain TypeScript right-hand sides.
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
  private readonly Bblocks: Float64Array[];
  private readonly zd: Float64Array;
  private readonly scratch: DifferenceScratch;
  /** Scratch for the products (perturbed y and z), and whether tangents multiply dense matrices. */
  private readonly yw: Float64Array;
  private readonly zw: Float64Array;
  private readonly denseTangents: boolean;

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
    this.Bblocks = Array.from({ length: this.m }, (_, j) =>
      this.B.subarray(j * this.n * this.n, (j + 1) * this.n * this.n),
    );
    this.zd = new Float64Array(this.m * this.n);
    this.scratch = differenceScratch(this.n, p);
    this.yw = new Float64Array(this.n);
    this.zw = new Float64Array(this.m * this.n);
    const jac = problem.jac;
    // Without jvp: multiply dense matrices when the user gave any (they are exact), or when finite differences by
    // columns (2 (n + m n) evaluations of f) are cheaper than along every direction (2 nt).
    this.denseTangents =
      !jac?.jvp &&
      (jac?.dy !== undefined ||
        jac?.dz !== undefined ||
        jac?.dp !== undefined ||
        this.nt > this.n * (1 + this.m));
  }

  /** True when the tangents come from `jac.jvp` (no dense matrices, no finite differences). */
  get matrixFree(): boolean {
    return this.problem.jac?.jvp !== undefined;
  }

  /**
   * Tangents of f for count = cols.length directions, direction-major (see RhsJacobians.jvp):
   * out[d*n + i] = (f_y vy_d + sum_j f_zj vz_{d,j} + f_p e_{cols[d]})_i, vz_{d,j} at vz[d*m*n + j*n]; cols[d] < 0: no
   * parameter. Overwrites out[0 .. count*n).
   */
  jvp(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ): void {
    const jac = this.problem.jac;
    if (jac?.jvp) {
      jac.jvp(t, y, z, p, this.zd, vy, vz, cols, out);
      return;
    }
    if (this.denseTangents) this.denseJvp(t, y, z, p, vy, vz, cols, out);
    else this.fdJvp(t, y, z, p, vy, vz, cols, out);
  }

  /**
   * Vector-Jacobian products ADDED into the outputs that are not null: outY += v^T f_y (n), outZ += v^T f_z (m*n, laid out
   * like z), outPt += the target entries of v^T f_p (nt, in the order of the targets).
   */
  vjp(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    v: Float64Array,
    outY: Float64Array | null,
    outZ: Float64Array | null,
    outPt: Float64Array | null,
  ): void {
    const { n, m, nt, targets } = this;
    const jac = this.problem.jac;
    if (jac?.vjp) {
      jac.vjp(t, y, z, p, this.zd, v, outY, outZ, targets, outPt);
      return;
    }
    if (outY) addTransposedProduct(v, n, this.dy(t, y, z, p), 0, n, outY, 0);
    if (outZ && m > 0) {
      const B = this.dz(t, y, z, p);
      for (let j = 0; j < m; j++) addTransposedProduct(v, n, B, j * n * n, n, outZ, j * n);
    }
    if (outPt && nt > 0) addTransposedProduct(v, n, this.dp(t, y, z, p), 0, nt, outPt, 0);
  }

  private denseJvp(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ): void {
    const { n, m } = this;
    const A = this.dy(t, y, z, p);
    const B = m > 0 ? this.dz(t, y, z, p) : this.B;
    const count = cols.length;
    for (let d = 0; d < count; d++) {
      const oy = d * n;
      const oz = d * m * n;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += A[i * n + k]! * vy[oy + k]!;
        for (let j = 0; j < m; j++) {
          const Bj = j * n * n + i * n;
          for (let k = 0; k < n; k++) acc += B[Bj + k]! * vz[oz + j * n + k]!;
        }
        out[oy + i] = acc;
      }
    }
    this.addColumns(t, y, z, p, cols, out);
  }

  /** out[d*n + i] += f_p[i, cols[d]]: from jac.dp (all columns at once) or a central difference per column. */
  private addColumns(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ): void {
    const { n, np, scratch } = this;
    const { fullDp, pw, f1, f2 } = scratch;
    const jac = this.problem.jac;
    let full = false;
    if (!jac?.dp) pw.set(p);
    for (let d = 0; d < cols.length; d++) {
      const q = cols[d]!;
      if (q < 0) continue;
      if (jac?.dp) {
        if (!full) jac.dp(t, y, z, p, fullDp, this.zd);
        full = true;
        for (let i = 0; i < n; i++) out[d * n + i] = out[d * n + i]! + fullDp[i * np + q]!;
        continue;
      }
      const h = entryDifference(this.problem, t, y, z, pw, this.zd, pw, q, scratch);
      for (let i = 0; i < n; i++) out[d * n + i] = out[d * n + i]! + (f1[i]! - f2[i]!) / (2 * h);
    }
  }

  /** Central differences of f along each direction (y, z and the parameter together): two evaluations of f each. */
  private fdJvp(
    t: number,
    y: Float64Array,
    z: Float64Array,
    p: Float64Array,
    vy: Float64Array,
    vz: Float64Array,
    cols: Int32Array,
    out: Float64Array,
  ): void {
    const { n, m } = this;
    const mn = m * n;
    const { yw, zw } = this;
    const { pw, f1, f2 } = this.scratch;
    pw.set(p);
    for (let d = 0; d < cols.length; d++) {
      const oy = d * n;
      const oz = d * mn;
      const q = cols[d]!;
      // Step: eps^(1/3) of the perturbed entries' size, per unit of the direction's largest component.
      let vmax = q >= 0 ? 1 : 0;
      let xmax = q >= 0 ? Math.abs(p[q]!) : 0;
      for (let i = 0; i < n; i++) {
        const a = Math.abs(vy[oy + i]!);
        if (a > 0) {
          vmax = Math.max(vmax, a);
          xmax = Math.max(xmax, Math.abs(y[i]!));
        }
      }
      for (let i = 0; i < mn; i++) {
        const a = Math.abs(vz[oz + i]!);
        if (a > 0) {
          vmax = Math.max(vmax, a);
          xmax = Math.max(xmax, Math.abs(z[i]!));
        }
      }
      if (vmax === 0) {
        out.fill(0, oy, oy + n);
        continue;
      }
      const h = (FD_REL * Math.max(1, xmax)) / vmax;
      for (let sgn = 1; sgn >= -1; sgn -= 2) {
        const hs = sgn * h;
        for (let i = 0; i < n; i++) yw[i] = y[i]! + hs * vy[oy + i]!;
        for (let i = 0; i < mn; i++) zw[i] = z[i]! + hs * vz[oz + i]!;
        if (q >= 0) pw[q] = p[q]! + hs;
        this.problem.f(t, yw, zw, pw, sgn > 0 ? f1 : f2, this.zd);
        if (q >= 0) pw[q] = p[q]!;
      }
      for (let i = 0; i < n; i++) out[oy + i] = (f1[i]! - f2[i]!) / (2 * h);
    }
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
    differenceColumns(this.problem, t, y, z, p, this.zd, y, 0, this.A, this.scratch);
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
    for (let j = 0; j < this.m; j++)
      differenceColumns(this.problem, t, y, z, p, this.zd, z, j * this.n, this.Bblocks[j]!, this.scratch);
    return this.B;
  }

  /** The target columns of f_p at (t, y, z) into this.Fp. */
  dp(t: number, y: Float64Array, z: Float64Array, p: Float64Array): Float64Array {
    return targetColumnsOfDp(this.problem, this.targets, t, y, z, p, this.zd, this.Fp, this.scratch);
  }
}

/** out[at + k] += sum_{i<n} v_i M[from + i*cols + k] for k < cols: v^T times the n x cols block of M at `from`. */
function addTransposedProduct(
  v: Float64Array,
  n: number,
  M: Float64Array,
  from: number,
  cols: number,
  out: Float64Array,
  at: number,
): void {
  for (let k = 0; k < cols; k++) {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += v[i]! * M[from + i * cols + k]!;
    out[at + k] = out[at + k]! + acc;
  }
}

/** Scratch of the central differences of f: its two values, a perturbed copy of p, and the full f_p from jac.dp. */
export interface DifferenceScratch {
  readonly f1: Float64Array;
  readonly f2: Float64Array;
  readonly pw: Float64Array;
  readonly fullDp: Float64Array;
}

export function differenceScratch(n: number, p: Float64Array): DifferenceScratch {
  return {
    f1: new Float64Array(n),
    f2: new Float64Array(n),
    pw: Float64Array.from(p),
    fullDp: new Float64Array(n * p.length),
  };
}

/**
 * f with entry `index` of `v` (one of y, z, zd, p, perturbed in place and restored) at x + h into s.f1 and at x - h into
 * s.f2; returns h = FD_REL max(1, |x|).
 */
function entryDifference(
  problem: DDEProblem,
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  zd: Float64Array,
  v: Float64Array,
  index: number,
  s: DifferenceScratch,
): number {
  const x = v[index]!;
  const h = FD_REL * Math.max(1, Math.abs(x));
  v[index] = x + h;
  problem.f(t, y, z, p, s.f1, zd);
  v[index] = x - h;
  problem.f(t, y, z, p, s.f2, zd);
  v[index] = x;
  return h;
}

/**
 * Central differences of f with respect to the n entries of `v` (y, z or zd) from `from`, into the n x n block `out`
 * (out[i*n + c] = d f_i / d v_{from+c}).
 */
export function differenceColumns(
  problem: DDEProblem,
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  zd: Float64Array,
  v: Float64Array,
  from: number,
  out: Float64Array,
  s: DifferenceScratch,
): void {
  const n = problem.n;
  const { f1, f2 } = s;
  for (let c = 0; c < n; c++) {
    const h = entryDifference(problem, t, y, z, p, zd, v, from + c, s);
    for (let i = 0; i < n; i++) out[i * n + c] = (f1[i]! - f2[i]!) / (2 * h);
  }
}

/** The target columns of f_p into out (n x nt): gathered from jac.dp, else a central difference per target. */
export function targetColumnsOfDp(
  problem: DDEProblem,
  targets: Int32Array,
  t: number,
  y: Float64Array,
  z: Float64Array,
  p: Float64Array,
  zd: Float64Array,
  out: Float64Array,
  s: DifferenceScratch,
): Float64Array {
  const n = problem.n;
  const nt = targets.length;
  const np = p.length;
  const { fullDp, pw, f1, f2 } = s;
  const jac = problem.jac;
  if (jac?.dp) {
    jac.dp(t, y, z, p, fullDp, zd);
    for (let i = 0; i < n; i++) for (let k = 0; k < nt; k++) out[i * nt + k] = fullDp[i * np + targets[k]!]!;
    return out;
  }
  pw.set(p);
  for (let k = 0; k < nt; k++) {
    const h = entryDifference(problem, t, y, z, pw, zd, pw, targets[k]!, s);
    for (let i = 0; i < n; i++) out[i * nt + k] = (f1[i]! - f2[i]!) / (2 * h);
  }
  return out;
}

/**
 * Central difference of the scalar fn(t, y, p) (called on `self`) in entry `index` of `v` (y or p, perturbed in place and
 * restored), with the step rule of f's differences.
 */
export function scalarDifference<S>(
  fn: (this: S, t: number, y: Float64Array, p: Float64Array) => number,
  self: S,
  t: number,
  y: Float64Array,
  p: Float64Array,
  v: Float64Array,
  index: number,
): number {
  const x = v[index]!;
  const h = FD_REL * Math.max(1, Math.abs(x));
  v[index] = x + h;
  const a = fn.call(self, t, y, p);
  v[index] = x - h;
  const b = fn.call(self, t, y, p);
  v[index] = x;
  return (a - b) / (2 * h);
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
  for (let i = 0; i < y.length; i++) out[i] = scalarDifference(g.value, g, t, y, p, y, i);
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
  for (let k = 0; k < targets.length; k++) out[k] = scalarDifference(g.value, g, t, y, p, p, targets[k]!);
  return out;
}
