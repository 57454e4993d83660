/**
 * HopSkipJump, L2, untargeted (Chen, Jordan, Wainwright, IEEE S&P 2020): a decision-based attack that reads only the
 * top label. From an adversarial start (uniform noise, pulled in by a binary search on the line to the original) it
 * repeats: binary search to the decision boundary; estimate the boundary's normal from label flips at random unit
 * directions around the boundary point (Monte Carlo with a baseline, evals growing as sqrt(iteration)); step along it
 * with a geometric step size (halved until still adversarial); binary search back towards the original. The L2
 * distance of the closest adversarial so far is recorded per iteration and input; that adversarial is returned.
 */
import { assertArg } from "../../errors.js";
import { fillGaussian, seededUniform, type Uniform } from "../../optim/estimators/rng.js";
import type { BlackBoxBatch, MinimizationBlackBox } from "./base.js";
import { topLabels } from "./model.js";

export interface HopSkipJumpOptions {
  /** Queries per input, the clean one included (default 5000). */
  maxQueries?: number;
  /** Iterations (default 40). */
  iterations?: number;
  /** Gradient-estimate queries at the first iteration (default 100), growing as sqrt(t), capped by maxEvals (default 10000). */
  initialEvals?: number;
  maxEvals?: number;
  /** Binary-search precision gamma (theta = gamma / d^1.5, default 1). */
  gamma?: number;
  /** Random starts tried before giving up on an input (default 100). */
  initTrials?: number;
}

export function hopSkipJump(options: HopSkipJumpOptions = {}): MinimizationBlackBox {
  const o = {
    maxQueries: options.maxQueries ?? 5000,
    iterations: options.iterations ?? 40,
    initialEvals: options.initialEvals ?? 100,
    maxEvals: options.maxEvals ?? 10000,
    gamma: options.gamma ?? 1,
    initTrials: options.initTrials ?? 100,
  };
  for (const key of ["maxQueries", "iterations", "initialEvals", "maxEvals", "initTrials"] as const) {
    assertArg(
      Number.isInteger(o[key]) && o[key] >= 1,
      () => `hopSkipJump: ${key} must be a positive integer, got ${o[key]}`,
    );
  }
  assertArg(o.gamma > 0, () => `hopSkipJump: gamma must be > 0, got ${o.gamma}`);
  return {
    kind: "minimization",
    name: "hsj",
    distance: "l2",
    access: "decision",
    async run(batch) {
      const { model, n, x, labels } = batch;
      const d = model.inputSize;
      const k = model.numClasses;
      const adv = Float32Array.from(x);
      const scores = Float32Array.from(batch.cleanScores);
      const found = new Uint8Array(n);
      const distances = new Float64Array(n).fill(Infinity);
      const history: number[][] = [];
      const clean = topLabels(batch.cleanScores, k, n);
      for (let i = 0; i < n; i++) {
        history.push([]);
        if (clean[i] !== labels[i]) {
          found[i] = 1;
          distances[i] = 0;
          continue;
        }
        const r = await attackOne(batch, i, o, seededUniform((batch.seed ^ 0x45a3) + 7919 * i));
        if (r) {
          found[i] = 1;
          distances[i] = r.distance;
          adv.set(r.adv, i * d);
          scores.set(r.scores, i * k);
          history[i] = r.history;
        }
      }
      return { adv, scores, found, distances, history };
    },
  };
}

type Settings = Required<HopSkipJumpOptions>;

async function attackOne(
  batch: BlackBoxBatch,
  i: number,
  o: Settings,
  rand: Uniform,
): Promise<{ adv: Float32Array; scores: Float32Array; distance: number; history: number[] } | undefined> {
  const { model } = batch;
  const d = model.inputSize;
  const k = model.numClasses;
  const [lo, hi] = model.bounds;
  const label = batch.labels[i]!;
  const x0 = batch.x.subarray(i * d, i * d + d);
  const budget = () => o.maxQueries - batch.queries[i]!;
  let lastScores: Float32Array = new Float32Array(k);

  /** Which of m images are adversarial (top label != true label); counts m queries. */
  const decide = async (
    images: Float32Array,
    m: number,
  ): Promise<{ adversarial: Uint8Array; scores: Float32Array }> => {
    const s = await model.scores(images, m);
    batch.queries[i] = batch.queries[i]! + m;
    const top = topLabels(s, k, m);
    return { adversarial: Uint8Array.from(top, (t) => (t !== label ? 1 : 0)), scores: s };
  };
  const blend = (a: number, target: Float32Array, out: Float32Array) => {
    for (let j = 0; j < d; j++) out[j] = (1 - a) * x0[j]! + a * target[j]!;
    return out;
  };
  const dist = (p: Float32Array) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (p[j]! - x0[j]!) ** 2;
    return Math.sqrt(s);
  };

  // Adversarial start: uniform noise in the bounds.
  let current: Float32Array = new Float32Array(d);
  let ok = false;
  for (let t = 0; t < o.initTrials && budget() > 0; t++) {
    for (let j = 0; j < d; j++) current[j] = lo + (hi - lo) * rand();
    const r = await decide(current, 1);
    if (r.adversarial[0]) {
      ok = true;
      lastScores = r.scores;
      break;
    }
  }
  if (!ok) return undefined;

  /** Binary search on the segment x0 -> p for the boundary; keeps the adversarial end. */
  const trial = new Float32Array(d);
  const boundary = async (p: Float32Array, threshold: number): Promise<Float32Array> => {
    let low = 0;
    let high = 1;
    while (high - low > threshold && budget() > 0) {
      const mid = (low + high) / 2;
      const r = await decide(blend(mid, p, trial), 1);
      if (r.adversarial[0]) {
        high = mid;
        lastScores = r.scores;
      } else low = mid;
    }
    return blend(high, p, new Float32Array(d));
  };

  const theta = o.gamma / (d * Math.sqrt(d));
  current = await boundary(current, Math.max(theta, 1e-3));
  current = await boundary(current, theta);
  let distance = dist(current);
  const history = [distance];
  // The iterate can move away from x0 on a bad estimate: the best boundary point seen is what we return.
  let best: { adv: Float32Array; scores: Float32Array; distance: number } = {
    adv: current,
    scores: lastScores,
    distance,
  };
  const u = new Float64Array(d);
  const grad = new Float64Array(d);
  const cand = new Float32Array(d);

  for (let it = 1; it <= o.iterations && budget() > 2; it++) {
    // Gradient direction at the boundary point from label flips.
    const delta = it === 1 ? 0.1 * (hi - lo) : Math.sqrt(d) * theta * distance;
    const evals = Math.min(Math.floor(o.initialEvals * Math.sqrt(it)), o.maxEvals, budget() - 2);
    if (evals < 2) break;
    const dirs = new Float64Array(evals * d);
    const probes = new Float32Array(evals * d);
    for (let e = 0; e < evals; e++) {
      fillGaussian(u, rand);
      let norm = 0;
      for (let j = 0; j < d; j++) norm += u[j]! * u[j]!;
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < d; j++) {
        const v = Math.min(Math.max(current[j]! + (delta * u[j]!) / norm, lo), hi);
        probes[e * d + j] = v;
        dirs[e * d + j] = (v - current[j]!) / delta; // the direction actually taken after clipping
      }
    }
    const { adversarial } = await decide(probes, evals);
    let meanPhi = 0;
    for (let e = 0; e < evals; e++) meanPhi += adversarial[e] ? 1 : -1;
    meanPhi /= evals;
    grad.fill(0);
    for (let e = 0; e < evals; e++) {
      const phi = adversarial[e] ? 1 : -1;
      // Baseline: subtract the mean vote (unless all votes agree, then the plain mean of the signed directions).
      const w = Math.abs(meanPhi) === 1 ? phi : phi - meanPhi;
      for (let j = 0; j < d; j++) grad[j] = grad[j]! + w * dirs[e * d + j]!;
    }
    let gnorm = 0;
    for (let j = 0; j < d; j++) gnorm += grad[j]! * grad[j]!;
    gnorm = Math.sqrt(gnorm);
    if (!(gnorm > 0)) break;

    // Geometric step along the estimate: halve until the point is still adversarial.
    let step = distance / Math.sqrt(it);
    let moved = false;
    while (budget() > 1 && step > 1e-8) {
      for (let j = 0; j < d; j++)
        cand[j] = Math.min(Math.max(current[j]! + (step * grad[j]!) / gnorm, lo), hi);
      const r = await decide(cand, 1);
      if (r.adversarial[0]) {
        moved = true;
        lastScores = r.scores;
        break;
      }
      step /= 2;
    }
    if (moved) current = await boundary(cand, theta);
    distance = dist(current);
    if (distance < best.distance) best = { adv: current, scores: lastScores, distance };
    history.push(best.distance);
  }
  return { ...best, history };
}
