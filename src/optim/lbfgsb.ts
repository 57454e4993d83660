/**
 * L-BFGS-B: limited-memory BFGS for bound constraints l ≤ x ≤ u, as Byrd, Lu, Nocedal & Zhu (1995), with the
 * subspace-step projection of Morales & Nocedal (2011, L-BFGS-B 3.0).
 *
 * Each iteration: (1) the generalised Cauchy point x^c, the first local minimiser of the quadratic model along the
 * projected steepest-descent path, found by walking its breakpoints in order (a heap) with the compact
 * representation B = θI − W M Wᵀ, W = [Y, θS]; (2) subspace minimisation of the model over the variables free at
 * x^c (direct primal method, Sherman-Morrison-Woodbury on the reduced B), projected onto the box and truncated if
 * that is not a descent direction; (3) a Moré-Thuente line search along d = x̄ − x with steps capped at the feasible
 * region; (4) the (s, y) update, skipped unless sᵀy > ε·(−sᵀg). Stops on ||P(x − g) − x||_inf ≤ gtol.
 * Without finite bounds it is plain L-BFGS (as the Fortran code, which skips the Cauchy step): it runs `lbfgs`.
 * Steps (1), (2) and the feasible step cap are this file's; the loop around them (line search, retry with the memory
 * dropped, pair test, stopping) is `runQuasiNewton` in quasiNewton.ts, shared with L-BFGS.
 *
 * @see R. H. Byrd, P. Lu, J. Nocedal, C. Zhu (1995), A limited memory algorithm for bound constrained optimization,
 *   SIAM J. Sci. Comput. 16(5), 1190-1208.
 * @see J. L. Morales, J. Nocedal (2011), Remark on "Algorithm 778: L-BFGS-B", ACM TOMS 38(1).
 */
import { expandBounds, hasFiniteBound, projectedGradientNorm, type Bounds } from "./bounds.js";
import { BreakpointHeap, dotK, matVec, solveInPlace } from "./dense.js";
import { lbfgs } from "./lbfgs.js";
import { checkStart, type ObjectiveFn } from "./objective.js";
import {
  memoryOption,
  runQuasiNewton,
  type QuasiNewtonMethod,
  type QuasiNewtonOptions,
} from "./quasiNewton.js";
import type { OptimResult } from "./status.js";
import { dot, scaledNorm2 } from "./vectorOps.js";

export interface LbfgsbOptions extends QuasiNewtonOptions {
  bounds?: Bounds;
}

const EPS = 2.220446049250313e-16;

export function lbfgsb(fg: ObjectiveFn, x0: ArrayLike<number>, options: LbfgsbOptions = {}): OptimResult {
  const x = checkStart(x0, "lbfgsb");
  const n = x.length;
  const { l, u } = expandBounds(options.bounds, n, "lbfgsb");
  const constrained = hasFiniteBound(l, u);
  // Without finite bounds L-BFGS-B is L-BFGS: run the two-loop implementation (same steps as the compact form,
  // numerically more robust on badly scaled problems), so both names take the identical path.
  if (!constrained) return { ...lbfgs(fg, x0, options), method: "lbfgsb" };
  let boxed = true;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(l[i]!) || !Number.isFinite(u[i]!)) boxed = false;
    x[i] = Math.min(Math.max(x[i]!, l[i]!), u[i]!); // start from the projection of x0
  }
  const m = memoryOption(options);
  return runQuasiNewton("lbfgsb", fg, x, options, () => compactMethod(l, u, boxed, m));
}

/**
 * L-BFGS-B's part of the iteration: the search point x̄ (Cauchy point, then subspace minimisation) gives d = x̄ − x;
 * steps are capped at the feasible region and trial points projected onto the box.
 */
function compactMethod(l: Float64Array, u: Float64Array, boxed: boolean, m: number): QuasiNewtonMethod {
  const n = l.length;
  const mem = new CompactMemory(n, m);
  const work = new Workspace(n, m);
  const xbar = work.xbar;
  return {
    gradNorm: (x, g) => projectedGradientNorm(x, g, l, u),
    memoryCount: () => mem.count,
    resetMemory: () => mem.reset(),
    direction(x, g, d) {
      // Search point x̄: the Cauchy point, then subspace minimisation over the variables free there.
      let ok = mem.prepare();
      if (!ok) mem.reset();
      cauchyPoint(x, g, l, u, mem, work);
      if (mem.count > 0 && work.nFree > 0) ok = subspaceMinimize(x, g, l, u, mem, work);
      if (!ok) return "retry";
      for (let i = 0; i < n; i++) d[i] = xbar[i]! - x[i]!;
      const dg0 = dot(g, d);
      if (!(dg0 < 0)) {
        // The model's step does not descend: round-off in B, so restart from the Cauchy point; without memory the
        // Cauchy step is zero: x is stationary for the bounds.
        return mem.count > 0 ? "retry" : "stationary";
      }

      // Step bounds: 1 on the first (memoryless) constrained step, else the largest feasible step along d.
      let stpmax = 1e10;
      if (mem.count === 0) stpmax = 1;
      else
        for (let i = 0; i < n; i++) {
          const di = d[i]!;
          if (di < 0 && Number.isFinite(l[i]!)) stpmax = Math.min(stpmax, (l[i]! - x[i]!) / di);
          else if (di > 0 && Number.isFinite(u[i]!)) stpmax = Math.min(stpmax, (u[i]! - x[i]!) / di);
        }
      stpmax = Math.max(stpmax, 1); // x̄ is feasible, so step 1 always is (guards round-off)
      const stp0 = mem.count === 0 && !boxed ? Math.min(1 / scaledNorm2(d), stpmax) : 1;
      return { dg0, stp0, stpmax };
    },
    trialPoint(stp, xPrev, d, x) {
      if (stp === 1) x.set(xbar);
      else for (let i = 0; i < n; i++) x[i] = Math.min(Math.max(xPrev[i]! + stp * d[i]!, l[i]!), u[i]!);
    },
    addPair: (x, xPrev, g, gPrev) => mem.push(x, xPrev, g, gPrev),
  };
}

/**
 * The limited memory in compact form: pairs in a ring buffer, their inner products kept up to date (sᵢᵀyⱼ, sᵢᵀsⱼ,
 * yᵢᵀyⱼ by slot), and the 2k × 2k middle matrix M = [[−D, Lᵀ], [L, θSᵀS]]⁻¹ over the k pairs in chronological order.
 */
class CompactMemory {
  readonly S: Float64Array[];
  readonly Y: Float64Array[];
  private readonly SY: Float64Array; // SY[a*m+b] = s_a·y_b (slots)
  private readonly SS: Float64Array;
  private readonly YY: Float64Array;
  count = 0;
  private head = 0;
  theta = 1;
  /** M, 2k × 2k row-major over chronological columns; valid after prepare(). */
  readonly M: Float64Array;
  private readonly K: Float64Array;
  /** S and Y columns in chronological order (set by prepare()). */
  private readonly Schron: Float64Array[] = [];
  private readonly Ychron: Float64Array[] = [];

  constructor(
    private readonly n: number,
    readonly m: number,
  ) {
    this.S = Array.from({ length: m }, () => new Float64Array(n));
    this.Y = Array.from({ length: m }, () => new Float64Array(n));
    this.SY = new Float64Array(m * m);
    this.SS = new Float64Array(m * m);
    this.YY = new Float64Array(m * m);
    this.M = new Float64Array(4 * m * m);
    this.K = new Float64Array(4 * m * m);
  }

  reset(): void {
    this.count = 0;
    this.theta = 1;
  }

  /** Slot of chronological column c (0 = oldest). */
  slot(c: number): number {
    return (this.head - this.count + c + this.m) % this.m;
  }

  push(x: Float64Array, xPrev: Float64Array, g: Float64Array, gPrev: Float64Array): void {
    const { n, m } = this;
    const h = this.head;
    const s = this.S[h]!;
    const y = this.Y[h]!;
    for (let i = 0; i < n; i++) {
      s[i] = x[i]! - xPrev[i]!;
      y[i] = g[i]! - gPrev[i]!;
    }
    this.head = (h + 1) % m;
    this.count = Math.min(this.count + 1, m);
    for (let c = 0; c < this.count; c++) {
      const j = this.slot(c);
      this.SY[h * m + j] = dot(s, this.Y[j]!);
      this.SY[j * m + h] = dot(this.S[j]!, y);
      this.SS[h * m + j] = this.SS[j * m + h] = dot(s, this.S[j]!);
      this.YY[h * m + j] = this.YY[j * m + h] = dot(y, this.Y[j]!);
    }
    this.theta = this.YY[h * m + h]! / this.SY[h * m + h]!;
  }

  sy(a: number, b: number): number {
    return this.SY[this.slot(a) * this.m + this.slot(b)]!;
  }
  ss(a: number, b: number): number {
    return this.SS[this.slot(a) * this.m + this.slot(b)]!;
  }
  yy(a: number, b: number): number {
    return this.YY[this.slot(a) * this.m + this.slot(b)]!;
  }

  /** Forms M = K⁻¹ (and the chronological views of S and Y); false when K is singular (then drop the memory). */
  prepare(): boolean {
    const k = this.count;
    for (let c = 0; c < k; c++) {
      this.Ychron[c] = this.Y[this.slot(c)]!;
      this.Schron[c] = this.S[this.slot(c)]!;
    }
    if (k === 0) return true;
    const k2 = 2 * k;
    const { K, M, theta } = this;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        K[a * k2 + b] = a === b ? -this.sy(a, a) : 0;
        K[a * k2 + k + b] = b > a ? this.sy(b, a) : 0; // Lᵀ
        K[(k + a) * k2 + b] = a > b ? this.sy(a, b) : 0; // L
        K[(k + a) * k2 + k + b] = theta * this.ss(a, b);
      }
    }
    M.fill(0, 0, k2 * k2);
    for (let i = 0; i < k2; i++) M[i * k2 + i] = 1;
    return solveInPlace(K, M, k2, k2);
  }

  /** w_i = [Y_c[i] for c; θ S_c[i] for c] into out (2k). */
  row(i: number, out: Float64Array): void {
    const k = this.count;
    const { Ychron, Schron, theta } = this;
    for (let c = 0; c < k; c++) {
      out[c] = Ychron[c]![i]!;
      out[k + c] = theta * Schron[c]![i]!;
    }
  }

  /** out = Wᵀ v (2k). */
  wtv(v: Float64Array, out: Float64Array): void {
    const k = this.count;
    for (let c = 0; c < k; c++) {
      const j = this.slot(c);
      out[c] = dot(this.Y[j]!, v);
      out[k + c] = this.theta * dot(this.S[j]!, v);
    }
  }

  /** (WᵀW)[a][b] over chronological columns, 2k × 2k, into out. */
  wtw(out: Float64Array): void {
    const k = this.count;
    const k2 = 2 * k;
    const t = this.theta;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        out[a * k2 + b] = this.yy(a, b);
        out[a * k2 + k + b] = t * this.sy(b, a); // y_a·s_b
        out[(k + a) * k2 + b] = t * this.sy(a, b);
        out[(k + a) * k2 + k + b] = t * t * this.ss(a, b);
      }
    }
  }
}

/** Buffers of one iteration, allocated once. */
class Workspace {
  readonly xbar: Float64Array; // x^c, then the subspace minimiser x̄
  readonly d: Float64Array; // the Cauchy path direction
  readonly free: Uint8Array; // 1 where the variable is free at x^c
  readonly r: Float64Array;
  readonly heap: BreakpointHeap;
  readonly p: Float64Array;
  readonly c: Float64Array;
  readonly w: Float64Array;
  readonly v: Float64Array;
  readonly v2: Float64Array;
  readonly v3: Float64Array;
  readonly A: Float64Array;
  readonly N: Float64Array;
  nFree = 0;

  constructor(n: number, m: number) {
    this.xbar = new Float64Array(n);
    this.d = new Float64Array(n);
    this.free = new Uint8Array(n);
    this.r = new Float64Array(n);
    this.heap = new BreakpointHeap(n);
    this.p = new Float64Array(2 * m);
    this.c = new Float64Array(2 * m);
    this.w = new Float64Array(2 * m);
    this.v = new Float64Array(2 * m);
    this.v2 = new Float64Array(2 * m);
    this.v3 = new Float64Array(2 * m);
    this.A = new Float64Array(4 * m * m);
    this.N = new Float64Array(4 * m * m);
  }
}

/**
 * Generalised Cauchy point (Byrd et al. 1995, Section 4): walks the projected path x(t) = P(x − t g) segment by
 * segment, tracking f'(t) and f''(t) of the model with the compact representation, and stops at the first local
 * minimiser. Leaves x^c in work.xbar, c = Wᵀ(x^c − x) in work.c and the free set in work.free.
 */
function cauchyPoint(
  x: Float64Array,
  g: Float64Array,
  l: Float64Array,
  u: Float64Array,
  mem: CompactMemory,
  work: Workspace,
): void {
  const n = x.length;
  const k = mem.count;
  const k2 = 2 * k;
  const theta = mem.theta;
  const { d, free, heap, p, c, w, v, xbar } = work;
  heap.clear();
  let f1 = 0;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    let t = Infinity;
    if (gi < 0 && Number.isFinite(u[i]!)) t = (x[i]! - u[i]!) / gi;
    else if (gi > 0 && Number.isFinite(l[i]!)) t = (x[i]! - l[i]!) / gi;
    if (t <= 0) {
      d[i] = 0; // at a bound that the gradient pushes against: fixed
      free[i] = 0;
    } else {
      d[i] = -gi;
      free[i] = 1;
      f1 -= gi * gi;
      if (t < Infinity) heap.push(t, i);
    }
  }
  xbar.set(x);
  c.fill(0, 0, k2);
  if (f1 === 0) {
    work.nFree = countFree(free);
    return; // projected gradient zero: x is the Cauchy point
  }
  heap.heapify();
  if (k > 0) mem.wtv(d, p);
  const Mp = work.v2;
  let f2 = -theta * f1 - (k > 0 ? dotK(p, matVec(mem.M, p, Mp, k2), k2) : 0);
  const f2org = f2;
  let dtmin = -f1 / f2;
  let tOld = 0;
  while (heap.size > 0) {
    const t = heap.minKey();
    const b = heap.minIndex();
    const dt = t - tOld;
    if (dtmin < dt) break;
    heap.pop();
    // Variable b reaches its bound: move along the segment, then update f', f'' and p for the next one.
    const db = d[b]!;
    const xb = db > 0 ? u[b]! : l[b]!;
    const zb = xb - x[b]!;
    xbar[b] = xb;
    const gb = g[b]!;
    let wMc = 0;
    let wMp = 0;
    let wMw = 0;
    if (k > 0) {
      for (let j = 0; j < k2; j++) c[j] = c[j]! + dt * p[j]!;
      mem.row(b, w);
      matVec(mem.M, w, v, k2); // M w_b (M is symmetric)
      wMc = dotK(v, c, k2);
      wMp = dotK(v, p, k2);
      wMw = dotK(v, w, k2);
    }
    f1 = f1 + dt * f2 + gb * gb + theta * gb * zb - gb * wMc;
    f2 = f2 - theta * gb * gb - 2 * gb * wMp - gb * gb * wMw;
    f2 = Math.max(EPS * f2org, f2);
    if (k > 0) for (let j = 0; j < k2; j++) p[j] = p[j]! + gb * w[j]!;
    d[b] = 0;
    free[b] = 0;
    dtmin = -f1 / f2;
    tOld = t;
  }
  dtmin = Math.max(dtmin, 0);
  tOld += dtmin;
  for (let i = 0; i < n; i++) if (free[i] && d[i] !== 0) xbar[i] = x[i]! + tOld * d[i]!;
  for (let j = 0; j < k2; j++) c[j] = c[j]! + dtmin * p[j]!;
  work.nFree = countFree(free);
}

function countFree(free: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < free.length; i++) s += free[i]!;
  return s;
}

/**
 * Subspace minimisation over the free variables (direct primal method, Section 5.1): with reduced gradient
 * r = Zᵀ(g + θ(x^c − x) − W M c), the reduced Newton step is d̂ = −B̂⁻¹ r with
 * B̂⁻¹ = I/θ + Zᵀ W (I − M WᵀZZᵀW / θ)⁻¹ M WᵀZ / θ². Then x̄ = P(x^c + d̂) if that descends (Morales-Nocedal),
 * else x^c + α d̂ with the largest feasible α ≤ 1. Leaves x̄ in work.xbar; false if the small system is singular.
 */
function subspaceMinimize(
  x: Float64Array,
  g: Float64Array,
  l: Float64Array,
  u: Float64Array,
  mem: CompactMemory,
  work: Workspace,
): boolean {
  const n = x.length;
  const k = mem.count;
  const k2 = 2 * k;
  const theta = mem.theta;
  const { xbar, free, r, c, w, v, v2, A, N } = work;

  // r = g + θ(x^c − x) − W M c on the free variables, 0 elsewhere.
  const Mc = matVec(mem.M, c, v2, k2);
  for (let i = 0; i < n; i++) r[i] = free[i] ? g[i]! + theta * (xbar[i]! - x[i]!) : 0;
  addWz(mem, Mc, -1, r, free);

  // u = M Wᵀ r; A = WᵀZZᵀW = WᵀW − Σ_{i bound} w_i w_iᵀ (or Σ_{i free} when fewer are free).
  mem.wtv(r, v);
  const Mv = matVec(mem.M, v, work.v3, k2);
  const nBound = n - work.nFree;
  if (nBound <= work.nFree) {
    mem.wtw(A);
    if (nBound > 0) for (let i = 0; i < n; i++) if (!free[i]) addOuter(A, mem, i, w, k2, -1);
    symmetrize(A, k2);
  } else {
    A.fill(0, 0, k2 * k2);
    for (let i = 0; i < n; i++) if (free[i]) addOuter(A, mem, i, w, k2, 1);
    symmetrize(A, k2);
  }
  // N = I − M A / θ; solve N z = M Wᵀ r.
  for (let a = 0; a < k2; a++) {
    for (let b = 0; b < k2; b++) {
      let s = 0;
      for (let j = 0; j < k2; j++) s += mem.M[a * k2 + j]! * A[j * k2 + b]!;
      N[a * k2 + b] = (a === b ? 1 : 0) - s / theta;
    }
  }
  if (!solveInPlace(N, Mv, k2, 1)) return false;

  // d̂ = −r/θ − Zᵀ W z / θ² (kept in r).
  for (let i = 0; i < n; i++) r[i] = free[i] ? -r[i]! / theta : 0;
  addWz(mem, Mv, -1 / (theta * theta), r, free);

  // Projected step (L-BFGS-B 3.0); fall back to the truncated one if it does not descend.
  let descent = 0;
  for (let i = 0; i < n; i++) {
    if (!free[i]) {
      descent += g[i]! * (xbar[i]! - x[i]!);
      continue;
    }
    const z = Math.min(Math.max(xbar[i]! + r[i]!, l[i]!), u[i]!);
    descent += g[i]! * (z - x[i]!);
  }
  if (descent < 0) {
    for (let i = 0; i < n; i++) if (free[i]) xbar[i] = Math.min(Math.max(xbar[i]! + r[i]!, l[i]!), u[i]!);
    return true;
  }
  let alpha = 1;
  for (let i = 0; i < n; i++) {
    if (!free[i]) continue;
    const di = r[i]!;
    if (di < 0 && Number.isFinite(l[i]!)) alpha = Math.min(alpha, Math.max(0, (l[i]! - xbar[i]!) / di));
    else if (di > 0 && Number.isFinite(u[i]!)) alpha = Math.min(alpha, Math.max(0, (u[i]! - xbar[i]!) / di));
  }
  for (let i = 0; i < n; i++)
    if (free[i]) xbar[i] = Math.min(Math.max(xbar[i]! + alpha * r[i]!, l[i]!), u[i]!);
  return true;
}

/** out_i += scale · w_iᵀ z for free i, where w_i = [Y[i]; θ S[i]]: column by column for contiguous access. */
function addWz(
  mem: CompactMemory,
  z: Float64Array,
  scale: number,
  out: Float64Array,
  free: Uint8Array,
): void {
  const k = mem.count;
  const n = out.length;
  for (let col = 0; col < k; col++) {
    const j = mem.slot(col);
    const a = scale * z[col]!;
    const b = scale * mem.theta * z[k + col]!;
    const y = mem.Y[j]!;
    const s = mem.S[j]!;
    for (let i = 0; i < n; i++) if (free[i]) out[i] = out[i]! + a * y[i]! + b * s[i]!;
  }
}

function addOuter(
  A: Float64Array,
  mem: CompactMemory,
  i: number,
  w: Float64Array,
  k2: number,
  sign: number,
): void {
  mem.row(i, w);
  // upper triangle only; symmetrize() mirrors it once all rows are added
  for (let a = 0; a < k2; a++) {
    const wa = sign * w[a]!;
    const row = a * k2;
    for (let b = a; b < k2; b++) A[row + b] = A[row + b]! + wa * w[b]!;
  }
}

function symmetrize(A: Float64Array, k2: number): void {
  for (let a = 0; a < k2; a++) for (let b = a + 1; b < k2; b++) A[b * k2 + a] = A[a * k2 + b]!;
}
