/**
 * `solve(problem, options)`: validates the problem (misuse throws GradoptError), sets up the breaking points, the step
 * store and the stepper, runs the integrator and wraps the outcome in a Solution (numerical failure is a status).
 */
import { GradoptError, assertArg } from "../errors.js";
import { BreakpointList, propagateConstant, resolveParents, type PendingBreakpoint } from "./breakpoints.js";
import { EventWatcher } from "./events.js";
import { StepStore } from "./history.js";
import { integrate } from "./integrator.js";
import { LagEvaluator } from "./lagged.js";
import { dp5 } from "./methods.js";
import type { SolveOptions } from "./options.js";
import { Solution } from "./solution.js";
import { RKStepper, type StageCompanion } from "./stepper.js";
import type { ButcherTableau } from "./tableaus/types.js";
import { DiscontinuityTracker } from "./track.js";
import type { DDEProblem } from "./types.js";

/**
 * Solves a DDE by the method of steps with an explicit Runge-Kutta pair (default dp5()): breaking points of t0, of a
 * jump at t0 and of declared jumps are propagated through the delays and stepped onto; state-dependent ones are
 * located by root finding; lags shorter than the step are handled by fixed-point sweeps on the step's own continuous
 * extension. Misuse (bad tspan, atol length, window without maxLag) throws GradoptError; numerical failure returns
 * a Solution with a status other than "success" and the solution up to where it stopped.
 */
export function solve(problem: DDEProblem, options: SolveOptions = {}): Solution {
  return solveWith(problem, options, null);
}

/** What a StageCompanion is built from: the method, the lagged-value reader and the step store of this solve. */
export interface CompanionParts {
  tableau: ButcherTableau;
  lag: LagEvaluator;
  store: StepStore;
  /** The parameter copy f is called with. */
  p: Float64Array;
  t0: number;
}

/**
 * solve() with a companion system integrated on the same steps and stages (forward sensitivities, see StageCompanion);
 * the solution is the same as solve()'s up to the rounding of f where the companion evaluates it.
 */
export function solveWithCompanion(
  problem: DDEProblem,
  options: SolveOptions,
  makeCompanion: (parts: CompanionParts) => StageCompanion,
): Solution {
  return solveWith(problem, options, makeCompanion);
}

function solveWith(
  problem: DDEProblem,
  options: SolveOptions,
  makeCompanion: ((parts: CompanionParts) => StageCompanion) | null,
): Solution {
  validate(problem);
  const n = problem.n;
  const [t0, tEnd] = problem.tspan;
  const p = Float64Array.from(problem.p);
  const method = options.method ?? dp5();
  const rtol = options.rtol ?? 1e-6;
  assertArg(rtol > 0 && Number.isFinite(rtol), () => `solve: rtol must be a positive number (got ${rtol})`);
  assertArg(
    options.dt === undefined || options.dt > 0,
    () => `solve: dt must be positive (got ${options.dt})`,
  );
  const atol = atolVector(options.atol ?? Math.min(1e-8, rtol), n);

  // y(t0): the initial value (a jump) or the history
  const phi0 = new Float64Array(n);
  problem.history.value(t0, p, phi0);
  const y0 = phi0.slice();
  if (problem.initial) problem.initial.value(p, y0);
  const jumpAtT0 = y0.some((v, i) => v !== phi0[i]);
  assertArg(
    y0.every(Number.isFinite),
    () => `solve: the initial value y(t0 = ${t0}) is not finite: [${Array.from(y0).join(", ")}]`,
  );

  // breaking points: t0, declared jumps, propagated through the constant delays; tstops are stepped onto only
  const scale = Math.max(1, Math.abs(t0), Math.abs(tEnd), tEnd - t0);
  const list = new BreakpointList(scale);
  const maxOrder = method.discontinuityOrder;
  list.add({ t: t0, order: jumpAtT0 ? 0 : 1, origin: "initial", delay: -1, parentT: NaN });
  for (const d of problem.history.discontinuities ?? []) {
    if (d.t < t0) list.add({ t: d.t, order: d.order, origin: "jump", delay: -1, parentT: NaN });
  }
  for (const tj of problem.jumps ?? []) {
    assertArg(Number.isFinite(tj), () => `solve: problem.jumps has a non-finite time ${tj}`);
    if (tj <= tEnd) list.add({ t: tj, order: 0, origin: "jump", delay: -1, parentT: NaN });
  }
  const constLags = problem.delays.map((d) => (d.kind === "constant" ? d.lag(t0, y0, p) : NaN));
  constLags.forEach((tau, j) =>
    assertArg(
      !(tau < 0),
      () =>
        `solve: constant delay ${j}${problem.delays[j]!.label ? ` (${problem.delays[j]!.label})` : ""} is negative (${tau})`,
    ),
  );
  propagateConstant(
    list,
    constLags,
    problem.delays.map((d) => d.neutral === true),
    t0,
    tEnd,
    maxOrder,
  );
  for (const ts of Array.from(options.tstops ?? [])) {
    if (ts > t0 && ts < tEnd) list.add({ t: ts, order: Infinity, origin: "tstop", delay: -1, parentT: NaN });
  }

  // memory: full dense output or a window of the longest lag
  const dense = options.dense ?? "full";
  let window = Infinity;
  if (dense === "window") {
    const nonConst = problem.delays.some((d) => d.kind !== "constant");
    assertArg(
      !nonConst || options.maxLag !== undefined,
      () =>
        `solve: dense: "window" with time- or state-dependent delays needs options.maxLag (an upper bound of the lag)`,
    );
    window = Math.max(options.maxLag ?? 0, ...constLags.filter(Number.isFinite), 0);
  }

  const saveat = options.saveat ? Float64Array.from(options.saveat).sort() : null;
  if (saveat) assertArg(saveat.every(Number.isFinite), () => "solve: saveat has a non-finite time");
  const store = new StepStore(n, method.tableau.dense[0]!.length);
  const lag = new LagEvaluator(problem, store, p, t0, y0);
  const stepper = new RKStepper(method.tableau, n, problem.delays, problem.f, p, lag);
  if (makeCompanion) stepper.companion = makeCompanion({ tableau: method.tableau, lag, store, p, t0 });
  const tracker = new DiscontinuityTracker(problem.delays, p, list, maxOrder, n);
  const events = new EventWatcher(options.events ?? [], p, n);
  const res = integrate(
    {
      minLag: Math.min(Infinity, ...constLags.filter((tau) => tau > 0)),
      t0,
      tEnd,
      rtol,
      atol,
      h0: options.h0,
      dt: options.dt,
      hmax: options.hmax ?? tEnd - t0,
      maxSteps: options.maxSteps ?? 1_000_000,
      fixedPointTol: method.fixedPoint.tol,
      fixedPointMaxIter: method.fixedPoint.maxIter,
      saveat,
      everyStep: dense === "full",
      window,
      signal: options.signal,
    },
    y0,
    stepper,
    lag,
    store,
    list,
    tracker,
    events,
  );

  const nOut = res.outT.length;
  const y = Array.from({ length: n }, (_, i) => {
    const col = new Float64Array(nOut);
    for (let k = 0; k < nOut; k++) col[k] = res.outY[k * n + i]!;
    return col;
  });
  const known: PendingBreakpoint[] = list.items.filter((b) => b.origin !== "tstop");
  return new Solution({
    problem,
    p,
    status: res.status,
    message: res.message || (res.status === "success" ? `reached t = ${res.tEnd}` : res.status),
    t0,
    tEnd: res.tEnd,
    stats: res.stats,
    breakpoints: Float64Array.from(res.stepped),
    breakpointInfo: resolveParents(known),
    t: Float64Array.from(res.outT),
    y,
    events: events.records,
    store,
    lag,
    method: method.name,
    dense,
    userJumps: list.items.filter((b) => b.origin === "jump" || b.origin === "tstop").map((b) => b.t),
  });
}

function atolVector(atol: number | ArrayLike<number>, n: number): Float64Array {
  const v = typeof atol === "number" ? new Float64Array(n).fill(atol) : Float64Array.from(atol);
  assertArg(v.length === n, () => `solve: atol has ${v.length} entries for ${n} states`);
  assertArg(
    v.every((a) => a >= 0 && Number.isFinite(a)),
    () => "solve: atol must be non-negative and finite",
  );
  return v;
}

function validate(problem: DDEProblem): void {
  assertArg(
    Number.isInteger(problem.n) && problem.n >= 1,
    () => `solve: problem.n must be a positive integer (got ${problem.n})`,
  );
  assertArg(typeof problem.f === "function", () => "solve: problem.f must be a function");
  const ts = problem.tspan;
  if (
    !Array.isArray(ts) ||
    ts.length !== 2 ||
    !Number.isFinite(ts[0]) ||
    !Number.isFinite(ts[1]) ||
    !(ts[1] > ts[0])
  )
    throw new GradoptError(
      "E_ARG",
      `solve: tspan must be [t0, tEnd] with finite t0 < tEnd (got ${JSON.stringify(ts)})`,
    );
  assertArg(
    problem.history && typeof problem.history.value === "function",
    () => "solve: problem.history.value is required",
  );
  problem.delays.forEach((d, j) =>
    assertArg(
      typeof d.lag === "function" && ["constant", "time", "state"].includes(d.kind),
      () => `solve: delay ${j} needs lag() and kind`,
    ),
  );
}
