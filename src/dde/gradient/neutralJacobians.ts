/**
 * The partial derivatives of a neutral right-hand side f(t, y, z, p, zd): A = f_y, B_j = f_zj, C_j = f_zdj (the neutral
 * terms) and the target columns of f_p, all at the actual lagged derivatives zd (the retarded Linearizer passes zd = 0).
 * From `problem.jac` when given, else central differences with the same step rule and stated accuracy as jacobians.ts.
 */
import type { DDEProblem } from "../types.js";
import {
  differenceColumns,
  differenceScratch,
  targetColumnsOfDp,
  type DifferenceScratch,
} from "./jacobians.js";
import { sidedDifference } from "./jumps.js";

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
  private readonly scratch: DifferenceScratch;
  private readonly f3: Float64Array;

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
    this.scratch = differenceScratch(n, p);
    this.f3 = new Float64Array(n);
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
    const { problem, n, m, scratch } = this;
    const jac = problem.jac;
    if (jac?.dy) jac.dy(t, y, z, p, this.A, zd);
    else differenceColumns(problem, t, y, z, p, zd, y, 0, this.A, scratch);
    if (jac?.dz) jac.dz(t, y, z, p, this.B, zd);
    else
      for (let j = 0; j < m; j++)
        differenceColumns(problem, t, y, z, p, zd, z, j * n, this.B.subarray(j * n * n), scratch);
    if (jac?.dzd) jac.dzd(t, y, z, p, this.C, zd);
    else
      for (let j = 0; j < m; j++)
        differenceColumns(problem, t, y, z, p, zd, zd, j * n, this.C.subarray(j * n * n), scratch);
    if (withDp) targetColumnsOfDp(problem, this.targets, t, y, z, p, zd, this.Fp, scratch);
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
    return sidedDifference(f, t, side, jumps, this.Ft, this.scratch.f1, this.scratch.f2, this.f3);
  }
}
