/**
 * Forward sensitivities integrated on the solver's own steps and stages (the "simultaneous corrector" of CVODES with
 * errconS off): at every stage of the state's Runge-Kutta step the sensitivities take the same stage, with the stage's
 * y and lagged z at hand (no re-interpolation of the solution) and s(t - tau) read with the very interpolation step and
 * side the state's lagged value came from. The stage derivative is
 *   S_i' = f_y S_i + sum_j f_zj s(t_i - tau_j) + f_theta,
 * computed together with f by `jac.fjvp` when the problem has it (f and its tangent share their work), else by f and
 * the tangent (jvp, dense matrices or finite differences) one after the other. Error control and step sizes stay the
 * state's (or include s: sensitivityErrorControl); the sensitivities follow with the same order (the tangent of the RK
 * step is the RK step of the tangent).
 *
 * Covered: retarded problems with constant lags, and time-dependent lags with dLagDp that no target moves (checked at
 * every stage); history and initial-value targets; constant lags as targets, with the forcing -f_zj y'(t - tau_j)
 * dtau_j/dtheta (y' from f at the lagged time, phi' before t0, sided where y' jumps) and, with a jump of y at t0, the
 * jump conditions s(xi+) = s(xi-) - [y'] dtau_j at xi = t0 + tau_j (Zivari-Piran & Enright) applied on the way.
 * Everything else (neutral terms, state-dependent lags, declared jumps or history discontinuities with delay targets,
 * events, a moving lag shorter than the step) takes the general path (src/dde/gradient/forward.ts), which integrates
 * the sensitivities after the solve. Integral cost terms are integrated afterwards by Gauss-Legendre quadrature on the
 * steps, from the dense y and s.
 */
import { GradoptError } from "../../errors.js";
import { CurrentMode, LagSource, type LagEvaluator } from "../lagged.js";
import { StepStore } from "../history.js";
import type { SolveOptions } from "../options.js";
import { solveWithCompanion, type CompanionParts } from "../solve.js";
import type { StageCompanion } from "../stepper.js";
import type { ButcherTableau } from "../tableaus/types.js";
import type { DDEProblem, DDESolution, Delay } from "../types.js";
import { assembleForward } from "./assemble.js";
import type { GradContext } from "./context.js";
import type { ForwardResult } from "./forward.js";
import type { DenseTrack, Side } from "./integrator.js";
import { addIntegrandSensitivity } from "./cost.js";
import { Linearizer } from "./jacobians.js";
import { historyDp, initialDp, lagDp, type Targets } from "./targets.js";

/**
 * True when the staged path may apply (see the module comment; the caller brings no solution or solver of its own).
 * A case it finds it cannot carry on the way (a moving lag inside the step, a lag a target moves later, a jump list
 * that differs from the context's) is handed to the general path by stagedForwardResult.
 */
export function stagedForwardApplies(
  problem: DDEProblem,
  targets: Targets,
  solverOptions: Omit<SolveOptions, "rtol" | "atol" | "dense"> | undefined,
): boolean {
  if ((solverOptions?.events?.length ?? 0) > 0) return false;
  // Time-dependent lags need dLagDp: the stages check that no target moves them (else the separate solve takes over).
  const covered = (d: Delay) =>
    d.neutral !== true && (d.kind === "constant" || (d.kind === "time" && d.dLagDp !== undefined));
  if (!problem.delays.every(covered)) return false;
  const nt = targets.indices.length;
  const pm = Float64Array.from(problem.p);
  const t0 = problem.tspan[0];
  const phi0 = new Float64Array(problem.n);
  problem.history.value(t0, pm, phi0);
  const row = new Float64Array(nt);
  const scratch = new Float64Array(Math.max(1, pm.length));
  let moves = false;
  for (const d of problem.delays) {
    lagDp(d, t0, phi0, pm, targets.indices, row, scratch);
    if (row.some((v) => v !== 0)) {
      if (d.kind !== "constant") return false;
      moves = true;
    }
  }
  if (!moves) return true;
  // Delay targets: the forcing -f_z y'(t - tau) dtau/dtheta is evaluated at the stages, and with a jump of y at t0 the
  // jump conditions at t0 + tau (declared jumps and history discontinuities take the separate solve).
  if (!problem.delays.every((d) => d.kind === "constant")) return false;
  return (problem.jumps?.length ?? 0) === 0 && (problem.history.discontinuities?.length ?? 0) === 0;
}

/** The solve with its sensitivities: the solution, and s(t) on its steps. */
export interface StagedRun {
  solution: DDESolution;
  sens: SensitivityStages;
}

/** Solves the problem with the sensitivities of every target on the same stages (stagedForwardApplies must hold). */
export function solveWithSensitivities(
  problem: DDEProblem,
  targets: Targets,
  options: SolveOptions,
  errorControl = false,
): StagedRun {
  let sens: SensitivityStages | null = null;
  const rtol = options.rtol ?? 1e-6;
  const atol = typeof options.atol === "number" ? options.atol : Math.min(1e-8, rtol);
  const solution = solveWithCompanion(
    problem,
    { ...options, dense: "full" },
    (parts) => (sens = new SensitivityStages(problem, targets, parts, errorControl ? { rtol, atol } : null)),
  );
  return { solution, sens: sens! };
}

/**
 * dJ/dtheta from a staged run, or null when the context found a jump condition the staged path does not carry (the
 * caller then takes the general path).
 */
export function stagedForwardResult(ctx: GradContext, run: StagedRun): ForwardResult | null {
  if (run.sens.lagMoved || run.sens.unsupported || !run.sens.sameJumps(ctx)) return null;
  const { n, nt } = ctx;
  const NS = n * nt;
  const nq = ctx.compiled.integrals.length > 0 ? nt : 0;
  const track = run.sens.track(ctx.T, nq);
  if (!track.final.subarray(0, NS).every(Number.isFinite))
    throw new GradoptError(
      "E_SOLVER",
      `forward sensitivities became non-finite by t = ${ctx.T} (the solve itself succeeded): the tangents of f (jvp / fjvp) return NaN or Infinity`,
    );
  if (nq > 0) integrateQuadratures(ctx, run.sens, track.final.subarray(NS));
  return { ...assembleForward(ctx, track, NS, nq), track };
}

/**
 * The sensitivities' stored steps, laid out like the solver's StepStore (s_k, then q coefficient blocks; same step
 * indices as the state's store), in chunks that double in size: no copy when it grows (at n * targets * (q + 1) doubles per
 * step, growing by doubling cost a fifth of the run at 100 targets), and the step being computed writes its
 * coefficients straight into its slot.
 */
class ChunkedSteps {
  /** Chunk c holds steps [base (2^c - 1), base (2^(c+1) - 1)): sizes double, so a few allocations and no copies. */
  private readonly chunks: Float64Array[] = [];
  private readonly ts: number[] = [];
  private readonly te: number[] = [];
  private readonly base: number;
  readonly stride: number;
  size = 0;
  /** The chunk and offset of the next slot: the step being computed writes its coefficients there (at + width). */
  next: Float64Array;
  nextBase = 0;

  constructor(
    readonly width: number,
    readonly q: number,
  ) {
    this.stride = width * (q + 1);
    // a first chunk of about 64k doubles, 4 to 64 steps
    this.base = Math.max(4, Math.min(64, Math.floor(65536 / this.stride)));
    this.next = this.chunkOf(0);
  }

  private chunkIndex(k: number): number {
    return 31 - Math.clz32(Math.floor(k / this.base) + 1);
  }

  private chunkOf(k: number): Float64Array {
    const c = this.chunkIndex(k);
    while (c >= this.chunks.length)
      this.chunks.push(new Float64Array((this.base << this.chunks.length) * this.stride));
    return this.chunks[c]!;
  }

  /** Offset of step k in its chunk. */
  private offset(k: number, c: number): number {
    return (k - this.base * ((1 << c) - 1)) * this.stride;
  }

  /** Stores the step [t, tEnd] from s, with the coefficients already in the next slot. */
  push(t: number, tEnd: number, s: Float64Array): void {
    copy(this.next, this.nextBase, s, 0, this.width);
    this.ts.push(t);
    this.te.push(tEnd);
    const k = ++this.size;
    this.next = this.chunkOf(k);
    this.nextBase = this.offset(k, this.chunkIndex(k));
  }

  /** s at time u of step k into out[0..width). */
  eval(k: number, u: number, out: Float64Array): void {
    const t = this.ts[k]!;
    const theta = (u - t) / (this.te[k]! - t);
    const { width, q } = this;
    const c = this.chunkIndex(k);
    const d = this.chunks[c]!;
    const base = this.offset(k, c);
    for (let j = 0; j < width; j++) {
      let acc = d[base + width * q + j]!;
      for (let p = q - 1; p >= 1; p--) acc = acc * theta + d[base + width * p + j]!;
      out[j] = d[base + j]! + theta * acc;
    }
  }
}

/** dst[dOff + i] = src[sOff + i] for i < len: a loop, as TypedArray.set costs more than the copy at these sizes. */
function copy(dst: Float64Array, dOff: number, src: Float64Array, sOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dOff + i] = src[sOff + i]!;
}

/** What the stages need of a tableau, worked out once per tableau. */
interface StageTableau {
  /** Per stage, its non-zero coefficients a[row][k] and their k. */
  aNonZero: Float64Array[];
  aIndex: Int32Array[];
  sMain: number;
  sAll: number;
  q: number;
  denseFlat: Float64Array;
  /** Stages whose dense-output row is not zero. */
  denseRows: number[];
  /** The last main stage is evaluated at the step's end value (FSAL, a[s-1] = b, b[s-1] = 0). */
  endIsLastStage: boolean;
}

const stageTableaus = new WeakMap<ButcherTableau, StageTableau>();

function stageTableau(tab: ButcherTableau): StageTableau {
  const known = stageTableaus.get(tab);
  if (known) return known;
  const aAll = [...tab.a, ...(tab.extra?.a ?? [])];
  const sMain = tab.c.length;
  const sAll = sMain + (tab.extra?.c.length ?? 0);
  const q = tab.dense[0]!.length;
  const denseFlat = new Float64Array(sAll * q);
  for (let i = 0; i < sAll; i++) for (let k = 0; k < q; k++) denseFlat[i * q + k] = tab.dense[i]?.[k] ?? 0;
  const last = tab.a[sMain - 1] ?? [];
  const st: StageTableau = {
    aIndex: aAll.map((row) => Int32Array.from(row.flatMap((v, k) => (v !== 0 ? [k] : [])))),
    aNonZero: aAll.map((row) => Float64Array.from(row.filter((v) => v !== 0))),
    sMain,
    sAll,
    q,
    denseFlat,
    denseRows: Array.from({ length: sAll }, (_, i) => i).filter((i) => tab.dense[i]?.some((v) => v !== 0)),
    endIsLastStage:
      tab.fsal && tab.b[sMain - 1] === 0 && tab.b.every((v, k) => k === sMain - 1 || v === (last[k] ?? 0)),
  };
  stageTableaus.set(tab, st);
  return st;
}

/** The StageCompanion of the sensitivities (target-major s[k*n + i] = dy_i/dtheta_k). */
export class SensitivityStages implements StageCompanion {
  private readonly n: number;
  private readonly m: number;
  private readonly nt: number;
  private readonly NS: number;
  private readonly f: DDEProblem["f"];
  private readonly fjvp: NonNullable<DDEProblem["jac"]>["fjvp"];
  /** The tangents' fallback when the problem has no fjvp (made on first use). */
  private lin: Linearizer | null = null;
  private readonly cols: Int32Array;
  private readonly p: Float64Array;
  private readonly pm: Float64Array;
  private readonly lag: LagEvaluator;
  /** Per stage, its non-zero coefficients a[row][k] and their k. */
  private readonly aNonZero: Float64Array[];
  private readonly aIndex: Int32Array[];
  private readonly b: readonly number[];
  private readonly q: number;
  private readonly denseFlat: Float64Array;
  private readonly sAll: number;
  /** Main stages (the last one is the next step's first in an FSAL pair). */
  private readonly sMain: number;
  /** Stage derivatives, one array per stage (FSAL swaps the last and the first). */
  private readonly rows: Float64Array[];
  /** Stage value, the step's start and end values (swapped, never copied, where one becomes the other). */
  private S: Float64Array;
  private sCur: Float64Array;
  private sNew: Float64Array;
  private readonly s0: Float64Array;
  /** Lagged sensitivities laid out for jvp: vz[k*m*n + j*n + i]. */
  private readonly vz: Float64Array;
  private readonly lagBuf: Float64Array;
  private readonly scratch: Float64Array;
  /** d phi / d theta when it does not depend on t (a constant history, or one without parameters), else null. */
  private readonly histConst: Float64Array | null;
  private readonly problem: DDEProblem;
  /** Stages whose dense-output row is not zero. */
  private readonly denseRows: readonly number[];
  /** The tableau's last main stage is evaluated at the step's end value (a[s-1] = b, b[s-1] = 0). */
  private readonly endIsLastStage: boolean;
  private lastRow = -1;
  private lastH = NaN;
  /** The lag sources vz was filled from (and the store size then). */
  private readonly lastStep: Int32Array;
  private readonly lastTime: Float64Array;
  private lagStoreEnd = -1;
  private readonly store: ChunkedSteps;
  /** The state's stored steps (same indices). */
  private readonly yStore: StepStore;
  /** Accepted step boundaries (starts, then the end). */
  readonly times: number[] = [];
  readonly t0: number;
  /** A lagged time this close below t0 is t0 (t0 + tau - tau may round below t0). */
  private readonly t0Eps: number;
  evals = 0;

  /** Time-dependent delays (their lags are checked at every stage: no target may move them). */
  private readonly timeLags: number[];
  private readonly lagDpBuf: Float64Array;
  /** Some target moved a time-dependent lag at a stage: the forcing by y'(t - tau) is missing, use the separate solve. */
  lagMoved = false;
  /** d tau_j / d theta_k (constant lags, target-major per delay: dtau[j*nt + k]) and whether delay j moves at all. */
  private readonly dtau: Float64Array;
  private readonly moving: boolean[];
  private readonly anyMoving: boolean;
  /** y'(t - tau_j) from f: the lagged state's own lagged values, and f there. */
  private readonly zPast: Float64Array;
  private readonly ypPast: Float64Array;
  private readonly zdPast: Float64Array;
  private readonly pastHints: Int32Array;
  private readonly yPast: Float64Array;
  /** The constant lags (delay targets: every lag is constant). */
  private readonly lags: Float64Array;
  /** Stages evaluated on the left of the step's end (c = 1): their lagged values are left limits. */
  private readonly leftRows: boolean[];
  /**
   * A lag fell inside the step being computed where y'(t - tau) was needed (steps longer than a moving lag): the
   * separate sensitivity solve takes over.
   */
  unsupported = false;
  /** y jumps at t0 (y0 != phi(t0)): y' jumps at t0 + tau_l, and s where a moving lag carries t0 (jump conditions). */
  private readonly yJump: boolean;
  /** Where y' jumps (t0, and t0 + tau_l with a jump of y at t0): a moving lag reading one of them needs sides. */
  private readonly yPrimeJumps: number[];
  /** f at the last stage evaluated from the left (the step's end): y'(xi-) for a jump condition. */
  private readonly dyLeft: Float64Array;
  private readonly dyRight: Float64Array;
  /** The lagged times of the last main stage (the step's end) evaluated. */
  private readonly endLagTime: Float64Array;
  /** Times where the jump conditions were applied. */
  readonly jumpTimes: number[] = [];
  /** Present when the sensitivities take part in the step-size control (see StageCompanion.errorSums). */
  errorSums?: (
    btilde: readonly number[],
    btilde3: readonly number[] | undefined,
    sums: Float64Array,
  ) => number;

  constructor(
    problem: DDEProblem,
    targets: Targets,
    parts: CompanionParts,
    tolerances: { rtol: number; atol: number } | null = null,
  ) {
    const n = problem.n;
    const m = problem.delays.length;
    const nt = targets.indices.length;
    const NS = n * nt;
    const tab: ButcherTableau = parts.tableau;
    this.problem = problem;
    this.n = n;
    this.m = m;
    this.nt = nt;
    this.NS = NS;
    this.f = problem.f;
    this.fjvp = problem.jac?.fjvp;
    this.cols = targets.indices;
    this.p = parts.p;
    this.pm = Float64Array.from(parts.p);
    this.lag = parts.lag;
    this.t0 = parts.t0;
    this.t0Eps = 1e-12 * Math.max(1, Math.abs(parts.t0), Math.abs(problem.tspan[1]));
    const st = stageTableau(tab);
    this.aIndex = st.aIndex;
    this.aNonZero = st.aNonZero;
    this.b = tab.b;
    this.sMain = st.sMain;
    this.sAll = st.sAll;
    this.q = st.q;
    this.denseFlat = st.denseFlat;
    this.denseRows = st.denseRows;
    this.endIsLastStage = st.endIsLastStage;
    this.rows = Array.from({ length: this.sAll }, () => new Float64Array(NS));
    this.S = new Float64Array(NS);
    this.sCur = new Float64Array(NS);
    this.sNew = new Float64Array(NS);
    this.vz = new Float64Array(Math.max(1, nt * m * n));
    this.lagBuf = new Float64Array(NS);
    // n x np only where the history or the initial value has parameter derivatives (they fill whole matrices)
    const wide = problem.history.dp !== undefined || problem.initial?.dp !== undefined;
    this.scratch = new Float64Array(Math.max(1, (wide ? n : 1) * this.pm.length));
    this.s0 = new Float64Array(NS);
    initialDp(problem, this.pm, this.cols, this.s0, this.scratch);
    this.sCur.set(this.s0);
    const h = problem.history;
    this.histConst = !h.dp || h.constant ? new Float64Array(NS) : null;
    if (this.histConst && h.dp) historyDp(problem, this.t0, this.pm, this.cols, this.histConst, this.scratch);
    this.store = new ChunkedSteps(NS, this.q);
    this.yStore = parts.store;
    if (tolerances) {
      const { rtol, atol } = tolerances;
      this.errorSums = (bt, bt3, sums) => {
        const { rows, sCur, sNew } = this;
        let e5 = 0;
        let e3 = 0;
        for (let i = 0; i < NS; i++) {
          let d5 = 0;
          let d3 = 0;
          for (let k = 0; k < bt.length; k++) d5 += bt[k]! * rows[k]![i]!;
          if (bt3) for (let k = 0; k < bt3.length; k++) d3 += bt3[k]! * rows[k]![i]!;
          const sc = atol + rtol * Math.max(Math.abs(sCur[i]!), Math.abs(sNew[i]!));
          e5 += (d5 / sc) ** 2;
          e3 += (d3 / sc) ** 2;
        }
        sums[0] = e5;
        sums[1] = e3;
        return NS;
      };
    }
    this.timeLags = problem.delays.flatMap((d, j) => (d.kind === "time" ? [j] : []));
    this.dtau = new Float64Array(Math.max(1, m * nt));
    const phi0 = new Float64Array(n);
    problem.history.value(this.t0, this.pm, phi0);
    const row = new Float64Array(nt);
    this.moving = problem.delays.map((d, j) => {
      if (d.kind !== "constant") return false;
      lagDp(d, this.t0, phi0, this.pm, this.cols, row, this.scratch);
      this.dtau.set(row, j * nt);
      return row.some((v) => v !== 0);
    });
    this.anyMoving = this.moving.some((v) => v);
    this.zPast = new Float64Array(Math.max(1, m * n));
    this.zdPast = new Float64Array(Math.max(1, m * n));
    this.ypPast = new Float64Array(n);
    this.pastHints = new Int32Array(m);
    this.yPast = new Float64Array(n);
    this.lags = Float64Array.from(problem.delays, (d) =>
      d.kind === "constant" ? d.lag(this.t0, phi0, this.pm) : NaN,
    );
    this.leftRows = [...tab.c, ...(tab.extra?.c ?? [])].map((c) => c === 1);
    const y0 = new Float64Array(n);
    if (problem.initial) problem.initial.value(this.pm, y0);
    this.yJump = problem.initial !== undefined && y0.some((v, i) => v !== phi0[i]);
    this.yPrimeJumps = [this.t0, ...(this.yJump ? Array.from(this.lags, (l) => this.t0 + l) : [])];
    this.dyLeft = new Float64Array(n);
    this.endLagTime = new Float64Array(m).fill(NaN);
    this.dyRight = new Float64Array(n);
    this.lagDpBuf = new Float64Array(this.timeLags.length > 0 ? this.pm.length : 1);
    this.lastStep = new Int32Array(m).fill(-99);
    this.lastTime = new Float64Array(m);
  }

  stage(
    row: number,
    h: number,
    t: number,
    y: Float64Array,
    z: Float64Array,
    zd: Float64Array,
    dy: Float64Array,
  ): void {
    const { NS, n, m, nt, S, rows, vz } = this;
    this.lastRow = row;
    this.lastH = h;
    if (row === 0 && this.yJump && this.anyMoving) this.jumpCondition(t, y, z, zd);
    // S_row = s_n + h sum_k a[row][k] KS_k (the non-zero a only)
    const sCur = this.sCur;
    const aRow = this.aNonZero[row]!;
    const aIdx = this.aIndex[row]!;
    for (let i = 0; i < NS; i++) S[i] = sCur[i]!;
    for (let r = 0; r < aRow.length; r++) {
      const ha = h * aRow[r]!;
      const kr = rows[aIdx[r]!]!;
      for (let i = 0; i < NS; i++) S[i] += ha * kr[i]!;
    }
    // s(t - tau_j) from where the state's lagged value came from; vz still holds it when the sources did not change
    // since the last stage (the c = 1 stages of FSAL pairs) and the stored steps did not either.
    let same = this.lagStoreEnd === this.store.size;
    const lag = this.lag;
    for (let j = 0; j < m && same; j++)
      same =
        lag.lagStep[j] === this.lastStep[j] &&
        lag.lagTime[j] === this.lastTime[j] &&
        lag.lagStep[j]! !== LagSource.Current;
    for (let j = 0; j < m && !same; j++) {
      this.lastStep[j] = lag.lagStep[j]!;
      this.lastTime[j] = lag.lagTime[j]!;
      const buf = m === 1 ? vz : this.lagBuf;
      this.lagged(j, buf);
      if (m > 1)
        for (let k = 0; k < nt; k++) {
          const vo = k * m * n + j * n;
          const so = k * n;
          for (let i = 0; i < n; i++) vz[vo + i] = buf[so + i]!;
        }
    }
    this.lagStoreEnd = this.store.size;
    if (this.anyMoving && !same) this.forcing(z, this.leftRows[row]!);
    if (this.anyMoving && row === this.sMain - 1)
      for (let j = 0; j < m; j++) this.endLagTime[j] = lag.lagTime[j]!;
    if (this.timeLags.length > 0 && !this.lagMoved) this.checkTimeLags(t, y);
    const out = rows[row]!;
    if (this.fjvp) this.fjvp(t, y, z, this.p, zd, S, vz, this.cols, out, dy);
    else {
      this.f(t, y, z, this.p, dy, zd);
      this.lin ??= new Linearizer(this.problem, this.cols, this.pm);
      this.lin.jvp(t, y, z, this.p, S, vz, this.cols, out);
    }
    this.evals++;
    if (this.yJump && this.anyMoving && this.leftRows[row])
      for (let i = 0; i < n; i++) this.dyLeft[i] = dy[i]!;
  }

  /**
   * At xi = t0 + tau_j, where y' jumps because y jumped at t0 (its lagged value crosses t0 here, read from the right
   * now): s(xi+) = s(xi-) - [y'(xi+) - y'(xi-)] dtau_j/dtheta (Zivari-Piran & Enright), y'(xi-) being the last stage's f.
   */
  private jumpCondition(t: number, y: Float64Array, z: Float64Array, zd: Float64Array): void {
    const { n, m, nt, lag, t0 } = this;
    let hit = -1;
    for (let j = 0; j < m; j++) {
      if (!this.moving[j] || Math.abs(lag.lagTime[j]! - t0) > this.t0Eps) continue;
      if (lag.lagStep[j] === LagSource.History) continue; // still the left side
      if (hit >= 0) {
        this.unsupported = true; // two moving lags carry t0 here: the jump of y' cannot be split between them
        return;
      }
      hit = j;
    }
    if (hit < 0 || this.jumpTimes[this.jumpTimes.length - 1] === t) return;
    this.f(t, y, z, this.p, this.dyRight, zd);
    this.evals++;
    const sCur = this.sCur;
    for (let k = 0; k < nt; k++) {
      const d = this.dtau[hit * nt + k]!;
      if (d === 0) continue;
      for (let i = 0; i < n; i++) sCur[k * n + i] -= (this.dyRight[i]! - this.dyLeft[i]!) * d;
    }
    this.jumpTimes.push(t);
  }

  /** True when the context's jump conditions are the ones applied on the way (same times, none state-dependent). */
  sameJumps(ctx: GradContext): boolean {
    const tol = 1e-10 * Math.max(1, Math.abs(ctx.t0), Math.abs(ctx.T));
    const applied = this.jumpTimes;
    if (ctx.jumps.length !== applied.length) return false;
    return ctx.jumps.every((jmp, i) => !jmp.update && Math.abs(jmp.t - applied[i]!) <= tol);
  }

  /**
   * vz_j -= y'(t - tau_j) dtau_j/dtheta for the lags that move with a target, y' from f at the lagged time (its own
   * lagged values read from the stored steps; y is continuous here, so only y' at t0 has sides: the recorded source).
   */
  private forcing(z: Float64Array, left: boolean): void {
    const { n, m, nt, vz, lag, ypPast, zPast, yPast, t0 } = this;
    const yStore = this.yStore;
    for (let j = 0; j < m; j++) {
      if (!this.moving[j]) continue;
      const src = lag.lagStep[j]!;
      let s = lag.lagTime[j]!;
      if (Math.abs(s - t0) <= this.t0Eps) s = t0;
      if (s < t0 || (s === t0 && left)) lag.historyAt(s, zPast, 0, ypPast);
      else if (s === t0) {
        // y'(t0+) = f(t0, y0, phi(t0 - tau))
        for (let i = 0; i < n; i++) yPast[i] = lag.y0[i]!;
        for (let l = 0; l < m; l++) lag.historyAt(t0 - this.lags[l]!, zPast, l * n, null);
        this.f(s, yPast, zPast, this.p, ypPast, this.zdPast);
        this.evals++;
      } else if (src === LagSource.Current) {
        this.unsupported = true;
        return;
      } else {
        for (let i = 0; i < n; i++) yPast[i] = z[j * n + i]!;
        for (let l = 0; l < m; l++) {
          let u = s - this.lags[l]!;
          if (Math.abs(u - t0) <= this.t0Eps) u = t0;
          // y jumps only at t0: the left limit there is the history's
          if (u < t0 || (u === t0 && left)) lag.historyAt(u, zPast, l * n, null);
          else if (u === t0 && this.yStore.size === 0)
            for (let i = 0; i < n; i++) zPast[l * n + i] = lag.y0[i]!;
          else if (u <= yStore.tLast) {
            const k = yStore.locate(u, this.pastHints[l]!, false);
            this.pastHints[l] = k;
            yStore.eval(k, u, zPast, l * n);
          } else {
            this.unsupported = true;
            return;
          }
        }
        this.f(s, yPast, zPast, this.p, ypPast, this.zdPast);
        this.evals++;
      }
      for (let k = 0; k < nt; k++) {
        const d = this.dtau[j * nt + k]!;
        if (d === 0) continue;
        const vo = k * m * n + j * n;
        for (let i = 0; i < n; i++) vz[vo + i] -= ypPast[i]! * d;
      }
    }
  }

  /** The first stage after a step that ended where a moving lag reads a jump of y' (t0, t0 + tau) is evaluated anew. */
  freshStart(): boolean {
    if (!this.anyMoving) return false;
    // the lagged times of the step's last main stage (dense-output stages may have been evaluated since)
    const times = this.endLagTime;
    for (let j = 0; j < this.m; j++) {
      if (!this.moving[j]) continue;
      for (const xi of this.yPrimeJumps) if (Math.abs(times[j]! - xi) <= this.t0Eps) return true;
    }
    return false;
  }

  /** Flags lagMoved when d tau_j / d theta is not zero at t for a time-dependent lag and a target. */
  private checkTimeLags(t: number, y: Float64Array): void {
    const buf = this.lagDpBuf;
    const cols = this.cols;
    for (const j of this.timeLags) {
      buf.fill(0);
      this.problem.delays[j]!.dLagDp!(t, y, this.pm, buf);
      for (let k = 0; k < cols.length; k++) if (buf[cols[k]!] !== 0) this.lagMoved = true;
    }
  }

  /** s at the lagged time of delay j, from the source the state's value came from (see LagEvaluator.lagStep). */
  private lagged(j: number, out: Float64Array): void {
    const lag = this.lag;
    const src = lag.lagStep[j]!;
    const s = lag.lagTime[j]!;
    if (src >= 0) {
      this.store.eval(src, s, out);
      return;
    }
    const NS = this.NS;
    if (src === LagSource.History) {
      if (this.histConst) out.set(this.histConst);
      else historyDp(this.problem, s, this.pm, this.cols, out, this.scratch);
      return;
    }
    if (src === LagSource.Initial) {
      out.set(this.s0);
      return;
    }
    // Inside the step being computed: the same extension the state reads.
    const base = this.sCur;
    if (lag.curMode === CurrentMode.Extrapolate) {
      this.store.eval(this.store.size - 1, s, out);
      return;
    }
    const dt = s - lag.curT;
    if (lag.curMode === CurrentMode.Linear) {
      const k0 = this.rows[0]!;
      for (let i = 0; i < NS; i++) out[i] = base[i]! + dt * k0[i]!;
      return;
    }
    const q = this.q;
    const c = this.store.next;
    const cb = this.store.nextBase + NS;
    const theta = dt / lag.curH;
    for (let i = 0; i < NS; i++) {
      let acc = c[cb + (q - 1) * NS + i]!;
      for (let p = q - 2; p >= 0; p--) acc = acc * theta + c[cb + p * NS + i]!;
      out[i] = base[i]! + theta * acc;
    }
  }

  advance(h: number): void {
    const { NS, rows } = this;
    // First same as last: the last stage's value is the step's end value (same weights, same h).
    if (this.endIsLastStage && this.lastRow === this.sMain - 1 && this.lastH === h) {
      const end = this.S;
      this.S = this.sNew;
      this.sNew = end;
      this.lastRow = -1;
      return;
    }
    const sNew = this.sNew;
    copy(sNew, 0, this.sCur, 0, NS);
    const b = this.b;
    for (let k = 0; k < b.length; k++) {
      const hb = h * b[k]!;
      if (hb === 0) continue;
      const kr = rows[k]!;
      for (let i = 0; i < NS; i++) sNew[i] += hb * kr[i]!;
    }
  }

  buildCoef(h: number): void {
    const { NS, rows, q, denseRows } = this;
    const coef = this.store.next;
    const cb = this.store.nextBase + NS;
    const end = cb + q * NS;
    for (let k = cb; k < end; k++) coef[k] = 0;
    const w = this.denseFlat;
    // One pass over a stage per non-zero dense row, all q coefficients at once (q = 4 for DP5 and Tsit5).
    for (const i of denseRows) {
      const kr = rows[i]!;
      if (q === 4) {
        const w0 = h * w[i * 4]!;
        const w1 = h * w[i * 4 + 1]!;
        const w2 = h * w[i * 4 + 2]!;
        const w3 = h * w[i * 4 + 3]!;
        for (let k = 0; k < NS; k++) {
          const kv = kr[k]!;
          coef[cb + k] += w0 * kv;
          coef[cb + NS + k] += w1 * kv;
          coef[cb + 2 * NS + k] += w2 * kv;
          coef[cb + 3 * NS + k] += w3 * kv;
        }
        continue;
      }
      for (let p = 0; p < q; p++) {
        const wp = h * w[i * q + p]!;
        if (wp === 0) continue;
        const co = cb + p * NS;
        for (let k = 0; k < NS; k++) coef[co + k] += wp * kr[k]!;
      }
    }
  }

  accept(t: number, tEnd: number): void {
    this.store.push(t, tEnd, this.sCur);
    const start = this.sCur;
    this.sCur = this.sNew;
    this.sNew = start;
    if (this.times.length === 0) this.times.push(t);
    this.times.push(tEnd);
  }

  fsal(): void {
    const rows = this.rows;
    const last = rows[this.sMain - 1]!;
    rows[this.sMain - 1] = rows[0]!;
    rows[0] = last;
  }

  /** s(t) on `side` of a step boundary: d phi / d theta before t0, the stored steps, s0 at t0, the final value at the end. */
  eval(t: number, out: Float64Array, side: Side = "right"): Float64Array {
    const tEnd = this.times.length > 0 ? this.times[this.times.length - 1]! : this.t0;
    if (t < this.t0) {
      if (this.histConst) out.set(this.histConst);
      else historyDp(this.problem, t, this.pm, this.cols, out, this.scratch);
    } else if (this.store.size === 0 || t === this.t0) out.set(this.s0);
    else if (t >= tEnd && side === "right") out.set(this.sCur);
    else {
      const u = Math.min(t, tEnd);
      const k = this.yStore.locate(u, this.yStore.end - 1, side === "left");
      this.store.eval(k, u, out);
    }
    return out;
  }

  /** The DenseTrack assembleForward reads: s, then nq quadrature slots in `final` (filled by the caller). */
  track(T: number, nq: number): DenseTrack {
    const final = new Float64Array(this.NS + nq);
    final.set(this.sCur);
    return {
      ok: true,
      message: "success",
      tEnd: T,
      steps: this.store.size,
      rejected: 0,
      rhsEvals: this.evals,
      eval: (t, out, side) => this.eval(t, out, side),
      final,
      times: this.times,
    };
  }
}

// 5-point Gauss-Legendre on [-1, 1] (exact for degree 9), as the cost's own quadrature (cost.ts).
const GL_X = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
const GL_W = [
  0.5688888888888889, 0.47862867049936625, 0.47862867049936625, 0.23692688505618908, 0.23692688505618908,
];

/**
 * out[k] = sum over integral terms of int (q_y s_k + q_p,k) dt, by Gauss-Legendre on every step (y and s are
 * polynomials on each step; the integrand is smooth there, and every breaking point is a step boundary).
 */
function integrateQuadratures(ctx: GradContext, sens: SensitivityStages, out: Float64Array): void {
  const { n, nt, traj, targets } = ctx;
  const pm = Float64Array.from(ctx.p);
  const y = new Float64Array(n);
  const s = new Float64Array(n * nt);
  const qy = new Float64Array(n);
  const qp = new Float64Array(nt);
  const scratch = new Float64Array(Math.max(1, pm.length));
  const grid = sens.times;
  out.fill(0);
  for (const it of ctx.compiled.integrals) {
    for (let g = 0; g + 1 < grid.length; g++) {
      const lo = Math.max(grid[g]!, it.from);
      const hi = Math.min(grid[g + 1]!, it.to);
      if (!(hi > lo)) continue;
      const mid = 0.5 * (lo + hi);
      const half = 0.5 * (hi - lo);
      for (let r = 0; r < 5; r++) {
        const t = mid + half * GL_X[r]!;
        const w = half * GL_W[r]!;
        traj.y(t, y);
        sens.eval(t, s);
        addIntegrandSensitivity(it.q, t, y, pm, targets.indices, s, w, out, 0, qy, qp, scratch);
      }
    }
  }
}
