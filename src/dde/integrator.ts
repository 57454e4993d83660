/**
 * The step loop of the method of steps: step exactly onto breaking points, iterate on the step's own continuous
 * extension when a lag falls inside the step, control the error with a PI controller, track state-dependent
 * discontinuities, watch events, and end with a typed status (never a throw) on numerical failure.
 */
import type { BreakpointList } from "./breakpoints.js";
import { PIController, initialStep, rmsScaled as rms } from "./control.js";
import type { EventWatcher } from "./events.js";
import type { StepStore } from "./history.js";
import { CurrentMode, type LagEvaluator } from "./lagged.js";
import { nextDouble, type RKStepper } from "./stepper.js";
import type { DiscontinuityTracker } from "./track.js";
import type { SolveStats, SolveStatus } from "./types.js";

export interface IntegratorConfig {
  /** Smallest constant lag (Infinity if none): steps longer than it need fixed-point sweeps. */
  minLag: number;
  t0: number;
  tEnd: number;
  rtol: number;
  atol: Float64Array;
  h0: number | undefined;
  /** Fixed step (no error control), or undefined. */
  dt: number | undefined;
  hmax: number;
  maxSteps: number;
  fixedPointTol: number;
  fixedPointMaxIter: number;
  /** Sorted output times, or null for "every step". */
  saveat: Float64Array | null;
  /** Record every step when saveat is null (full mode); else only the end points. */
  everyStep: boolean;
  /** Window length (window mode), or Infinity. */
  window: number;
  signal: AbortSignal | undefined;
}

export interface IntegratorResult {
  status: SolveStatus;
  message: string;
  tEnd: number;
  yEnd: Float64Array;
  stats: SolveStats;
  outT: number[];
  outY: number[];
  /** Times of breaking points actually stepped onto. */
  stepped: number[];
}

export function integrate(
  cfg: IntegratorConfig,
  y0: Float64Array,
  stepper: RKStepper,
  lag: LagEvaluator,
  store: StepStore,
  list: BreakpointList,
  tracker: DiscontinuityTracker,
  events: EventWatcher,
): IntegratorResult {
  const n = y0.length;
  const { t0, tEnd, rtol, atol } = cfg;
  const tab = stepper.tab;
  const s = stepper.s;
  const K = stepper.K;
  const scale = Math.max(1, Math.abs(t0), Math.abs(tEnd), tEnd - t0);
  const controller = new PIController(tab.embeddedOrder);
  const y = y0.slice();
  const yprev = new Float64Array(n);
  const tmp = new Float64Array(n);
  const stats: SolveStats = { steps: 0, rejected: 0, rhsEvals: 0 };
  const outT: number[] = [];
  const outY: number[] = [];
  const stepped: number[] = [];
  let saveIdx = 0;
  const saveat = cfg.saveat;
  let t = t0;
  let status = "success" as SolveStatus;
  let message = "";

  const emit = (tt: number, yy: Float64Array): void => {
    outT.push(tt);
    for (let j = 0; j < n; j++) outY.push(yy[j]!);
  };
  const fail = (st: SolveStatus, msg: string): void => {
    status = st;
    message = msg;
  };
  const lagMessage = (): string => {
    const f = lag.failure!;
    return f.kind === "future-lag"
      ? `delay ${f.delay} would look into the future at t = ${f.t} (lag ${f.lag} < 0)`
      : `delay ${f.delay} at t = ${f.t} (lag ${f.lag}) reaches before the kept history window; raise maxLag or use dense: "full"`;
  };
  const lagStatus = (): SolveStatus =>
    lag.failure!.kind === "future-lag" ? "future-lag" : "lag-outside-window";
  // lags below -negLagTol are a model error, smaller negative ones the rounding of a vanishing delay
  const negLagTol = 10 * Math.max(rtol, ...Array.from(atol));
  const delays = stepper.delays;
  /** Stage values may dip a vanishing lag below 0; the accepted end point must not (beyond rounding). */
  const lagsOk = (tt: number, yy: Float64Array): boolean => {
    for (let j = 0; j < delays.length; j++) {
      const l = delays[j]!.lag(tt, yy, stepper.p);
      if (l < -negLagTol * Math.max(1, Math.abs(tt))) {
        fail("future-lag", `delay ${j} would look into the future at t = ${tt} (lag ${l} < 0)`);
        return false;
      }
    }
    return true;
  };
  const hmin = (tt: number): number => 16 * Number.EPSILON * Math.max(Math.abs(tt), 1);
  const rmsScaled = (a: Float64Array, b: Float64Array | null, ref: Float64Array): number =>
    rms(a, b, ref, rtol, atol);

  // f(t0, y0) with lags from the right
  lag.curT = t0;
  lag.curY.set(y);
  lag.curMode = CurrentMode.Linear;
  if (!stepper.evalRhs(t0, y, 0, false)) fail(lagStatus(), lagMessage());
  else if (!K.subarray(0, n).every(Number.isFinite))
    fail("non-finite", `non-finite derivative at t = ${t0} (the initial point)`);
  if (saveat) {
    while (saveIdx < saveat.length && saveat[saveIdx]! <= t0) {
      if (saveat[saveIdx] === t0) emit(t0, y);
      saveIdx++;
    }
  } else emit(t0, y);
  if (events.active) events.init(t0, y);

  let h = cfg.dt ?? cfg.h0 ?? initialStep(stepper, lag, t0, y, rtol, atol, cfg.hmax, tEnd - t0);
  let lastRejected = false;
  let nonFinite = 0;
  let lastSweeps = 0;

  const signal = cfg.signal;
  const hmax = cfg.hmax;
  const dt = cfg.dt;
  const trackerActive = tracker.active;
  const eventsActive = events.active;
  while (status === "success" && t < tEnd) {
    if (signal?.aborted) {
      fail("aborted", `aborted at t = ${t}`);
      break;
    }
    if (stats.steps >= cfg.maxSteps) {
      fail("max-steps", `step budget of ${cfg.maxSteps} steps exhausted at t = ${t}`);
      break;
    }
    const nextIdx = list.nextAfter(t);
    const bp = list.items[nextIdx];
    // a breaking point a rounding short of tEnd (sums of lags: 0.7 + ... + 1.1 = 9.299999999999999 for 9.3) is tEnd,
    // or the step after it would be a sliver below hmin
    const target = bp && bp.t < tEnd - hmin(tEnd) ? bp.t : tEnd;
    let hh = Math.min(h, hmax);
    // a step just longer than the smallest lag costs (sweeps + 1) stage sets; below (sweeps + 1) lags it is cheaper to
    // step at the lag (no sweeps) -- much longer steps still iterate
    if (dt === undefined && hh > cfg.minLag && (lastSweeps + 1) * cfg.minLag > hh) hh = cfg.minLag;
    const landing = t + 1.1 * hh >= target;
    const tnew = landing ? target : t + hh;
    // a declared jump of f in t: the step ending there sees f's left value, the next one its right value
    const userJump = landing && target < tEnd && (bp!.origin === "jump" || bp!.origin === "tstop");
    stepper.endTime = userJump ? nextDouble(tnew, -1) : NaN;
    hh = tnew - t;
    if (hh < hmin(t)) {
      fail("step-size-underflow", `step size underflow at t = ${t} (h = ${hh})`);
      break;
    }

    // stages; sweeps on the step's own extension when a lag falls inside it
    lag.curT = t;
    lag.curH = hh;
    for (let j = 0; j < n; j++) {
      lag.curY[j] = y[j]!;
      lag.curK1[j] = K[j]!;
    }
    lag.curMode = store.size > 0 ? CurrentMode.Extrapolate : CurrentMode.Linear;
    lag.inStep = false;
    lag.minLag = 0;
    if (!stepper.stages(t, hh, y, 1, s)) {
      fail(lagStatus(), lagMessage());
      break;
    }
    stepper.advance(hh, y);
    let denseReady = false;
    if (lag.inStep) {
      let converged = false;
      let dPrev = Infinity;
      for (let it = 0; it < cfg.fixedPointMaxIter && stepper.finite(); it++) {
        lastSweeps = it + 1;
        stepper.stages(t, hh, y, s, stepper.sAll);
        stepper.buildCoef(hh);
        lag.curCoef.set(stepper.coef);
        lag.curMode = CurrentMode.Own;
        yprev.set(stepper.ynew);
        if (!stepper.stages(t, hh, y, 1, s)) break;
        stepper.advance(hh, y);
        const d = rmsScaled(stepper.ynew, yprev, y);
        if (d <= cfg.fixedPointTol) {
          converged = true;
          break;
        }
        if (d > 0.8 * dPrev) break; // not contracting: a shorter step will
        dPrev = d;
      }
      if (lag.failure) {
        fail(lagStatus(), lagMessage());
        break;
      }
      if (!converged && stepper.finite() && dt === undefined) {
        h = hh * 0.5;
        stats.rejected++;
        lastRejected = true;
        continue;
      }
    }
    // a NaN or infinite stage or y_{n+1} makes the error estimate non-finite, so this one check covers them all
    const err = stepper.errorNorm(hh, y, rtol, atol);
    if (!Number.isFinite(err)) {
      nonFinite++;
      stats.rejected++;
      h = hh * 0.25;
      lastRejected = true;
      if (h < hmin(t))
        fail(
          "non-finite",
          `non-finite derivative at t = ${t} (every step size down to ${hh} gave NaN/Infinity)`,
        );
      continue;
    }
    if (err > 1 && dt === undefined) {
      stats.rejected++;
      h = hh * controller.reject(err);
      lastRejected = true;
      continue;
    }
    if (lag.minLag < 0 && !lagsOk(tnew, stepper.ynew)) break;
    if (!denseReady) {
      stepper.stages(t, hh, y, s, stepper.sAll);
      stepper.buildCoef(hh);
      denseReady = true;
    }
    let landedOnBreak = landing && target < tEnd;
    // f itself may jump at the point (its lagged y, a neutral y', or f in t): then the next step needs f's right value
    let fJumps = landedOnBreak && (userJump || bp!.order <= 1);
    if (trackerActive) {
      const root = tracker.find(t, hh, y, stepper.coef, stepper.q, scale);
      if (root && root.t < tnew - 1e-12 * scale) {
        list.addTracked(
          { t: root.t, order: root.order, origin: "tracked", delay: root.delay, parentT: root.parentT },
          t,
        );
        stats.rejected++;
        continue;
      }
      if (root) {
        list.addTracked(
          { t: tnew, order: root.order, origin: "tracked", delay: root.delay, parentT: root.parentT },
          t,
        );
        landedOnBreak = true;
        fJumps ||= root.order <= 1;
      }
    }

    // accept
    store.push(t, tnew, y, stepper.coef);
    stepper.companion?.accept(t, tnew);
    stats.steps++;
    nonFinite = 0;
    const last = store.end - 1;
    let tStop = tnew;
    if (eventsActive) {
      const te = events.check(t, hh, y, stepper.coef, stepper.q, stepper.ynew);
      if (te !== null) {
        tStop = te;
        fail("terminated", `terminated by event at t = ${te}`);
      }
    }
    if (saveat) {
      while (saveIdx < saveat.length && saveat[saveIdx]! <= tStop) {
        store.eval(last, saveat[saveIdx]!, tmp, 0);
        emit(saveat[saveIdx]!, tmp);
        saveIdx++;
      }
    }
    if ((status as SolveStatus) === "terminated") {
      store.eval(last, tStop, y, 0);
      t = tStop;
      if (!saveat) emit(t, y);
      break;
    }
    if (landedOnBreak) stepped.push(tnew);
    t = tnew;
    y.set(stepper.ynew);
    if (!saveat && cfg.everyStep) emit(t, y);
    if (tab.fsal && !fJumps && !(stepper.companion?.freshStart?.() ?? false)) {
      for (let j = 0; j < n; j++) K[j] = K[(s - 1) * n + j]!;
      stepper.companion?.fsal();
    } else {
      lag.curMode = CurrentMode.Linear;
      if (!stepper.evalRhs(userJump ? nextDouble(t, 1) : t, y, 0, false)) {
        fail(lagStatus(), lagMessage());
        break;
      }
    }
    const fac = controller.accept(err, lastRejected);
    h = dt ?? (landing ? Math.max(hh * fac, Math.min(h, hh * 10)) : hh * fac);
    lastRejected = false;
    if (cfg.window < Infinity) store.trimBefore(t - cfg.window);
  }
  if (!saveat && !cfg.everyStep && status !== "terminated" && outT[outT.length - 1] !== t) emit(t, y);
  stats.rhsEvals = stepper.rhsEvals;
  void nonFinite;
  return { status, message, tEnd: t, yEnd: y, stats, outT, outY, stepped };
}
