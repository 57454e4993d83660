/**
 * The partial derivatives of a neutral right-hand side f(t, y, z, p, zd): A = f_y, B_j = f_zj, C_j = f_zdj (the neutral
 * terms) and the target columns of f_p, all at the actual lagged derivatives zd (the retarded Linearizer passes zd = 0).
 * From `problem.jac` when given, else central differences with the same step rule and stated accuracy as jacobians.ts.
 */
import type { DDEProblem } from "../types.js";
import { sidedDifference } from "./jumps.js";

const FD_REL = Math.cbrt(Number.EPSILON);

export class NeutralLinearizer {
  readonly n: number;
  readonly m: number;
  readonly np: number;
  readonly nt: number;
  /** f_y, n x n. */
  readonly A: Float64Array;
  /** f_zj, m blocks of n x n. */
  readonly B: Float64Array;
  /** f_zdj, m blocks of n x n (zero blocks for retarded delays). */
  readonly C: Float64Array;
  /** f_p at the targets, n x nt. */
  readonly Fp: Float64Array;
  /** f_t (central difference in t with the other arguments frozen). */
  readonly Ft: Float64Array;
  private readonly fullDp: Float64Array;
  private readonly f1: Float64Array;
  private readonly f2: Float64Array;
  private readonly f3: Float64Array;
  private readonly pw: Float64Array;

  constructor(
    readonly problem: DDEProblem,
    readonly targets: Int32Array,
    p: Float64Array,
  ) {
    const n = problem.n;
    const m = problem.delays.length;
    this.n = n;
    this.m = m;
    this.np = p.length;
    this.nt = targets.length;
    this.A = new Float64Array(n * n);
    this.B = new Float64Array(m * n * n);
    this.C = new Float64Array(m * n * n);
    this.Fp = new Float64Array(n * this.nt);
    this.Ft = new Float64Array(n);
    this.fullDp = new Float64Array(n * this.np);
    this.f1 = new Float64Array(n);
    this.f2 = new Float64Array(n);
    this.f3 = new Float64Array(n);
    this.pw = Float64Array.from(p);
  }

  /**
   * Fills A, B, C and (unless `withDp` is false) Fp at (t, y, z, zd). y, z and zd are perturbed in place and restored.
   */
  linearize(
    t: number,
    y: Float64Array,
    z: Float64Array,
    zd: Float64Array,
    p: Float64Array,
    withDp = true,
  ): void {
    const { n, m, nt, np, targets } = this;
    const jac = this.problem.jac;
    if (jac?.dy) jac.dy(t, y, z, p, this.A, zd);
    else this.fd(t, y, z, zd, p, y, 0, this.A);
    if (jac?.dz) jac.dz(t, y, z, p, this.B, zd);
    else for (let j = 0; j < m; j++) this.fd(t, y, z, zd, p, z, j * n, this.B.subarray(j * n * n));
    if (jac?.dzd) jac.dzd(t, y, z, p, this.C, zd);
    else for (let j = 0; j < m; j++) this.fd(t, y, z, zd, p, zd, j * n, this.C.subarray(j * n * n));
    if (!withDp) return;
    if (jac?.dp) {
      jac.dp(t, y, z, p, this.fullDp, zd);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < nt; k++) this.Fp[i * nt + k] = this.fullDp[i * np + targets[k]!]!;
      return;
    }
    const pw = this.pw;
    pw.set(p);
    for (let k = 0; k < nt; k++) {
      const q = targets[k]!;
      const x = pw[q]!;
      const h = FD_REL * Math.max(1, Math.abs(x));
      pw[q] = x + h;
      this.problem.f(t, y, z, pw, this.f1, zd);
      pw[q] = x - h;
      this.problem.f(t, y, z, pw, this.f2, zd);
      pw[q] = x;
      for (let i = 0; i < n; i++) this.Fp[i * nt + k] = (this.f1[i]! - this.f2[i]!) / (2 * h);
    }
  }

  /**
   * f_t at (t, y, z, zd) into Ft: differences in t alone, one-sided at and near the declared jumps of f in t (`jumps`,
   * on `side` at a jump itself): a central difference across one would be a smeared Dirac the integrator resolves.
   */
  dt(
    t: number,
    y: Float64Array,
    z: Float64Array,
    zd: Float64Array,
    p: Float64Array,
    side: "left" | "right",
    jumps: readonly number[],
  ): Float64Array {
    const f = (u: number, o: Float64Array) => this.problem.f(u, y, z, p, o, zd);
    return sidedDifference(f, t, side, jumps, this.Ft, this.f1, this.f2, this.f3);
  }

  /** Central differences of f in the n entries of `v` from `from`, into the n x n block `out`. */
  private fd(
    t: number,
    y: Float64Array,
    z: Float64Array,
    zd: Float64Array,
    p: Float64Array,
    v: Float64Array,
    from: number,
    out: Float64Array,
  ): void {
    const n = this.n;
    for (let c = 0; c < n; c++) {
      const x = v[from + c]!;
      const h = FD_REL * Math.max(1, Math.abs(x));
      v[from + c] = x + h;
      this.problem.f(t, y, z, p, this.f1, zd);
      v[from + c] = x - h;
      this.problem.f(t, y, z, p, this.f2, zd);
      v[from + c] = x;
      for (let i = 0; i < n; i++) out[i * n + c] = (this.f1[i]! - this.f2[i]!) / (2 * h);
    }
  }
}
