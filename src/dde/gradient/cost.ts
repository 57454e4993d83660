/**
 * Cost functionals over a DDE solution. A cost is compiled into point terms (a scalar function of y at one time: the
 * `sum`, `terminal` and `data` terms) and integral terms; gradients differentiate both kinds the same way.
 */
import { GradoptError } from "../../errors.js";
import type { DDESolution } from "../types.js";
import type { Cost, CostTerm, PointFunction } from "./cost-types.js";
import { pointDp, pointDy } from "./jacobians.js";

/** A point term: g(t, y(t), p) at one time t. */
export interface PointTerm {
  t: number;
  g: PointFunction;
  /** Index of the cost term it came from (for messages). */
  term: number;
}

export interface IntegralTerm {
  q: PointFunction;
  from: number;
  to: number;
  term: number;
}

/** Whether an integral term counts at t seen from `side`: at an end point only from inside [from, to]. */
export function integralCovers(it: IntegralTerm, t: number, side: "left" | "right"): boolean {
  return (
    (t > it.from || (t === it.from && side === "right")) && (t < it.to || (t === it.to && side === "left"))
  );
}

/**
 * The sensitivity of an integrand at t, weighted: out[at + k] += w (q_y s_k + q_p,k) for every target k (s target-major,
 * s_k at s[k*n]). qy (n) and qp (nt) are scratch, `scratch` that of q.dp (np).
 */
export function addIntegrandSensitivity(
  q: PointFunction,
  t: number,
  y: Float64Array,
  pm: Float64Array,
  targets: Int32Array,
  s: Float64Array,
  w: number,
  out: Float64Array,
  at: number,
  qy: Float64Array,
  qp: Float64Array,
  scratch: Float64Array,
): void {
  const n = y.length;
  pointDy(q, t, y, pm, qy);
  pointDp(q, t, y, pm, targets, qp, scratch);
  for (let k = 0; k < targets.length; k++) {
    let acc = qp[k]!;
    for (let i = 0; i < n; i++) acc += qy[i]! * s[k * n + i]!;
    out[at + k] = out[at + k]! + w * acc;
  }
}

/**
 * The adjoint's forcing by the integrals that cover t: out[i] += q_y,i (i < n) and, with `withDp`, out[n + k] += q_p,k.
 * qy (n) and qp (nt) are scratch, `scratch` that of q.dp (np).
 */
export function addIntegralForcing(
  integrals: readonly IntegralTerm[],
  t: number,
  side: "left" | "right",
  y: Float64Array,
  pm: Float64Array,
  targets: Int32Array,
  out: Float64Array,
  withDp: boolean,
  qy: Float64Array,
  qp: Float64Array,
  scratch: Float64Array,
): void {
  const n = y.length;
  for (const it of integrals) {
    if (!integralCovers(it, t, side)) continue;
    pointDy(it.q, t, y, pm, qy);
    for (let i = 0; i < n; i++) out[i] = out[i]! + qy[i]!;
    if (!withDp) continue;
    pointDp(it.q, t, y, pm, targets, qp, scratch);
    for (let k = 0; k < targets.length; k++) out[n + k] = out[n + k]! + qp[k]!;
  }
}

export interface CompiledCost {
  points: PointTerm[];
  integrals: IntegralTerm[];
}

/** Splits a cost into point and integral terms, checking times against the span and data shapes against n. */
export function compileCost(cost: Cost, n: number, tspan: readonly [number, number]): CompiledCost {
  const [t0, t1] = tspan;
  const points: PointTerm[] = [];
  const integrals: IntegralTerm[] = [];
  const within = (t: number, what: string) => {
    if (
      !Number.isFinite(t) ||
      t < t0 - 1e-12 * Math.max(1, Math.abs(t0)) ||
      t > t1 + 1e-12 * Math.max(1, Math.abs(t1))
    )
      throw new GradoptError("E_ARG", `${what}: time ${t} lies outside tspan [${t0}, ${t1}]`);
    return Math.min(Math.max(t, t0), t1);
  };
  cost.forEach((term: CostTerm, idx) => {
    const where = `cost term ${idx + 1} (${term.kind})`;
    switch (term.kind) {
      case "sum":
        for (const t of term.times) points.push({ t: within(t, where), g: term.g, term: idx });
        break;
      case "terminal":
        points.push({ t: t1, g: term.g, term: idx });
        break;
      case "integral": {
        const from = within(term.from ?? t0, where);
        const to = within(term.to ?? t1, where);
        if (to < from)
          throw new GradoptError("E_ARG", `${where}: integral from ${from} to ${to} runs backwards`);
        integrals.push({ q: term.q, from, to, term: idx });
        break;
      }
      case "data":
        for (const g of dataPoints(term, n, where)) points.push({ t: within(g.t, where), g: g.g, term: idx });
        break;
    }
  });
  return { points, integrals };
}

type DataTerm = Extract<CostTerm, { kind: "data" }>;

/** One point function per observation time: sum over observed columns of ((y_s - v) / sigma)^2, NaN skipped. */
function dataPoints(term: DataTerm, n: number, where: string): { t: number; g: PointFunction }[] {
  const nc = term.states.length;
  if (term.values.length !== term.times.length * nc)
    throw new GradoptError(
      "E_ARG",
      `${where}: ${term.values.length} values for ${term.times.length} times x ${nc} columns (expected ${term.times.length * nc})`,
    );
  for (const s of term.states)
    if (!Number.isInteger(s) || s < 0 || s >= n)
      throw new GradoptError("E_ARG", `${where}: state index ${s} out of range 0..${n - 1}`);
  const sigma = Float64Array.from({ length: nc }, (_, c) =>
    typeof term.sigma === "number" ? term.sigma : term.sigma[c]!,
  );
  for (const s of sigma)
    if (!(s > 0)) throw new GradoptError("E_ARG", `${where}: sigma must be positive, got ${s}`);
  return term.times.map((t, k) => {
    const row = term.values.subarray(k * nc, (k + 1) * nc);
    const g: PointFunction = {
      label: term.label ?? "data",
      value(_t, y) {
        let acc = 0;
        for (let c = 0; c < nc; c++) {
          const v = row[c]!;
          if (Number.isNaN(v)) continue;
          const r = (y[term.states[c]!]! - v) / sigma[c]!;
          acc += r * r;
        }
        return acc;
      },
      dy(_t, y, _p, out) {
        out.fill(0);
        for (let c = 0; c < nc; c++) {
          const v = row[c]!;
          if (Number.isNaN(v)) continue;
          const s = term.states[c]!;
          out[s] = out[s]! + (2 * (y[s]! - v)) / (sigma[c]! * sigma[c]!);
        }
      },
      dp(_t, _y, _p, out) {
        out.fill(0);
      },
    };
    return { t, g };
  });
}

/** Residuals of the data terms (for Gauss-Newton): r = (y_s(t_k) - v) / sigma, with their state and time. */
export interface Residual {
  t: number;
  state: number;
  value: number;
  sigma: number;
}

/** Lists the least-squares residuals of a cost; null when the cost has any term that is not `data`. */
export function residualList(cost: Cost): Residual[] | null {
  const out: Residual[] = [];
  for (const term of cost) {
    if (term.kind !== "data") return null;
    const nc = term.states.length;
    term.times.forEach((t, k) => {
      for (let c = 0; c < nc; c++) {
        const v = term.values[k * nc + c]!;
        if (Number.isNaN(v)) continue;
        out.push({
          t,
          state: term.states[c]!,
          value: v,
          sigma: typeof term.sigma === "number" ? term.sigma : term.sigma[c]!,
        });
      }
    });
  }
  return out;
}

// 5-point Gauss-Legendre on [-1, 1]: exact for degree 9, beyond any dense-output interpolant's degree on one step.
const GL_X = [0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664];
const GL_W = [
  0.5688888888888889, 0.47862867049936625, 0.47862867049936625, 0.23692688505618908, 0.23692688505618908,
];

/** Integrates h(t) over [a, b] by 5-point Gauss on the pieces cut by `grid` (the solver's steps and breaking points). */
export function integrateOnGrid(
  a: number,
  b: number,
  grid: ArrayLike<number>,
  h: (t: number) => number,
): number {
  if (!(b > a)) return 0;
  const cuts = [a];
  for (let i = 0; i < grid.length; i++) {
    const g = grid[i]!;
    if (g > a && g < b) cuts.push(g);
  }
  cuts.push(b);
  cuts.sort((x, y) => x - y);
  let acc = 0;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const lo = cuts[i]!;
    const hi = cuts[i + 1]!;
    if (!(hi > lo)) continue;
    const mid = 0.5 * (lo + hi);
    const half = 0.5 * (hi - lo);
    let s = 0;
    for (let q = 0; q < 5; q++) s += GL_W[q]! * h(mid + half * GL_X[q]!);
    acc += half * s;
  }
  return acc;
}

/**
 * The value of a cost on a solved trajectory: point terms from the dense solution, integrals by Gauss quadrature on the
 * solver's own steps. Throws when the solution did not reach the end of the span (the cost is then undefined).
 */
export function evaluateCost(solution: DDESolution, cost: Cost, p: Float64Array): number {
  if (!solution.ok)
    throw new GradoptError(
      "E_SOLVER",
      `cannot evaluate the cost: the solve failed (${solution.status}: ${solution.message})`,
    );
  const compiled = compileCost(cost, solution.n, [solution.t0, solution.tEnd]);
  return evaluateCompiled(solution, compiled, p);
}

export function evaluateCompiled(solution: DDESolution, compiled: CompiledCost, p: Float64Array): number {
  const y = new Float64Array(solution.n);
  let J = 0;
  for (const pt of compiled.points) J += pt.g.value(pt.t, solution.eval(pt.t, y), p);
  const grid = solutionGrid(solution);
  for (const it of compiled.integrals)
    J += integrateOnGrid(it.from, it.to, grid, (t) => it.q.value(t, solution.eval(t, y), p));
  return J;
}

/** The solver's accepted-step times and breaking points, merged (quadrature cuts). */
export function solutionGrid(solution: DDESolution): Float64Array {
  const g = new Float64Array(solution.t.length + solution.breakpoints.length);
  g.set(solution.t, 0);
  g.set(solution.breakpoints, solution.t.length);
  return g;
}

export { pointDp, pointDy };
