/**
 * runBlackBox(model, images, labels, attack, { epsilons }): scores the clean inputs once (one query per image), runs a
 * score-based attack once per eps (queries cannot be shared between budgets) or a decision-based minimisation attack
 * once (an input counts as broken at eps when its smallest adversarial is within eps), scores against the TRUE labels
 * from the scores the attack already paid for, and reports queries per sample. Every image the model was asked about
 * is in the counts: total = n (clean) + the attack's queries over all eps.
 */
import { assertArg } from "../../errors.js";
import type { EpsilonSummaryRow, SweepSummaryBase } from "../base.js";
import type { BlackBoxAttack, BlackBoxBatch } from "./base.js";
import { topLabels, type BlackBoxModel } from "./model.js";

export interface BlackBoxRunOptions {
  /** Budgets on the [0, 1] pixel scale (L-inf for square / spsa, L2 for hsj). */
  epsilons: readonly number[];
  seed?: number;
  onProgress?: (epsIndex: number, epsCount: number) => void;
}

export interface QueryStats {
  mean: number;
  median: number;
  max: number;
  total: number;
}

export interface BlackBoxEpsilonResult {
  eps: number;
  adv: Float32Array;
  /** Per input: misclassified after the attack (true labels). */
  success: Uint8Array;
  predictions: Int32Array;
  accuracy: number;
  /** Among inputs classified correctly before the attack, the fraction broken. */
  attackSuccessRate: number;
  meanConfidence: number;
  maxLinf: number;
  maxL2: number;
  /** Queries per sample spent for this eps, the clean query included. */
  perSampleQueries: Int32Array;
  queries: QueryStats;
}

export interface BlackBoxSummary extends SweepSummaryBase<
  EpsilonSummaryRow & { queries: { mean: number; median: number } }
> {
  distance: "linf" | "l2";
  access: "score" | "decision";
  criterion: "misclassification";
  queries: QueryStats;
  /** Decision-based attacks: median over inputs of the L2 of the closest adversarial found by each iteration. */
  l2History?: number[];
}

export interface BlackBoxResult {
  attack: string;
  n: number;
  labels: Int32Array;
  clean: { accuracy: number; predictions: Int32Array; meanConfidence: number };
  results: BlackBoxEpsilonResult[];
  /** Every query made (clean + attack, all eps), per sample. */
  perSampleQueries: Int32Array;
  queries: QueryStats;
  /** Minimisation attacks: the smallest adversarial's L2 per input (+Infinity where none was found), and its history. */
  distances?: Float64Array;
  history?: number[][];
  summary(): BlackBoxSummary;
}

export function queryStats(q: ArrayLike<number>): QueryStats {
  const sorted = Float64Array.from(q).sort();
  const n = sorted.length;
  const total = sorted.reduce((s, v) => s + v, 0);
  const median = n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { mean: n ? total / n : 0, median, max: n ? sorted[n - 1]! : 0, total };
}

function confidences(model: BlackBoxModel, scores: Float32Array, n: number): number {
  const k = model.numClasses;
  let sum = 0;
  for (let r = 0; r < n; r++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, scores[r * k + j]!);
    if (model.output === "probabilities") sum += mx;
    else {
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(scores[r * k + j]! - mx);
      sum += 1 / z;
    }
  }
  return n ? sum / n : 0;
}

export async function runBlackBox(
  model: BlackBoxModel,
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
  attack: BlackBoxAttack,
  options: BlackBoxRunOptions,
): Promise<BlackBoxResult> {
  const epsilons = [...options.epsilons];
  assertArg(epsilons.length > 0, () => "runBlackBox: give at least one eps");
  for (const e of epsilons)
    assertArg(e >= 0 && Number.isFinite(e), () => `runBlackBox: eps must be finite and >= 0, got ${e}`);
  const d = model.inputSize;
  const x = images instanceof Float32Array ? images : Float32Array.from(images);
  assertArg(
    x.length > 0 && x.length % d === 0,
    () => `runBlackBox: ${x.length} values are not a whole number of inputs of size ${d}`,
  );
  const n = x.length / d;
  const y = Int32Array.from(labels);
  assertArg(y.length === n, () => `runBlackBox: ${y.length} labels for ${n} inputs`);
  const [lo, hi] = model.bounds;
  for (let j = 0; j < x.length; j++)
    assertArg(
      x[j]! >= lo && x[j]! <= hi,
      () => `runBlackBox: input value ${x[j]} at index ${j} is outside the bounds [${lo}, ${hi}]`,
    );
  for (let i = 0; i < n; i++)
    assertArg(
      y[i]! >= 0 && y[i]! < model.numClasses,
      () => `runBlackBox: label ${y[i]} of input ${i} is not a class of a ${model.numClasses}-class model`,
    );

  const total = new Int32Array(n).fill(1);
  const cleanScores = await model.scores(x, n);
  const cleanPred = topLabels(cleanScores, model.numClasses, n);
  let cleanCorrect = 0;
  for (let i = 0; i < n; i++) if (cleanPred[i] === y[i]) cleanCorrect++;
  const seed = options.seed ?? 0;
  const batchFor = (e: number): BlackBoxBatch => ({
    model,
    x,
    labels: y,
    n,
    cleanScores,
    seed: seed * 1_000_003 + e * 7919,
    queries: new Int32Array(n).fill(1),
  });

  const score = (
    eps: number,
    adv: Float32Array,
    scores: Float32Array,
    queries: Int32Array,
  ): BlackBoxEpsilonResult => {
    const predictions = topLabels(scores, model.numClasses, n);
    const success = new Uint8Array(n);
    let correct = 0;
    let broken = 0;
    let maxLinf = 0;
    let maxL2 = 0;
    for (let i = 0; i < n; i++) {
      success[i] = predictions[i] !== y[i] ? 1 : 0;
      if (!success[i]) correct++;
      else if (cleanPred[i] === y[i]) broken++;
      let linf = 0;
      let l2 = 0;
      for (let j = i * d; j < (i + 1) * d; j++) {
        const t = Math.abs(adv[j]! - x[j]!);
        linf = Math.max(linf, t);
        l2 += t * t;
      }
      maxLinf = Math.max(maxLinf, linf);
      maxL2 = Math.max(maxL2, Math.sqrt(l2));
    }
    for (let i = 0; i < n; i++) total[i] = total[i]! + queries[i]! - 1;
    return {
      eps,
      adv,
      success,
      predictions,
      accuracy: correct / n,
      attackSuccessRate: cleanCorrect === 0 ? 0 : broken / cleanCorrect,
      meanConfidence: confidences(model, scores, n),
      maxLinf,
      maxL2,
      perSampleQueries: queries,
      queries: queryStats(queries),
    };
  };

  const results: BlackBoxEpsilonResult[] = [];
  let distances: Float64Array | undefined;
  let history: number[][] | undefined;
  if (attack.kind === "fixed-epsilon") {
    for (let e = 0; e < epsilons.length; e++) {
      const batch = batchFor(e);
      const out = await attack.run(batch, epsilons[e]!);
      results.push(score(epsilons[e]!, out.adv, out.scores, batch.queries));
      options.onProgress?.(e + 1, epsilons.length);
    }
  } else {
    const batch = batchFor(0);
    const out = await attack.run(batch);
    distances = out.distances;
    history = out.history;
    const k = model.numClasses;
    for (let e = 0; e < epsilons.length; e++) {
      const eps = epsilons[e]!;
      const adv = Float32Array.from(x);
      const scores = Float32Array.from(cleanScores);
      for (let i = 0; i < n; i++) {
        if (out.found[i] && out.distances[i]! <= eps) {
          adv.set(out.adv.subarray(i * d, i * d + d), i * d);
          scores.set(out.scores.subarray(i * k, i * k + k), i * k);
        }
      }
      // One run serves every eps: its queries are counted once.
      results.push(score(eps, adv, scores, e === 0 ? batch.queries : new Int32Array(n).fill(1)));
      if (e > 0) results[e]!.perSampleQueries.set(batch.queries);
      if (e > 0) results[e]!.queries = queryStats(batch.queries);
    }
  }

  const cleanConfidence = confidences(model, cleanScores, n);
  const totalStats = queryStats(total);
  const summary = (): BlackBoxSummary => {
    const s: BlackBoxSummary = {
      n,
      clean: { accuracy: cleanCorrect / n, meanConfidence: cleanConfidence },
      results: results.map((r) => ({
        eps: r.eps,
        accuracy: r.accuracy,
        attackSuccessRate: r.attackSuccessRate,
        meanConfidence: r.meanConfidence,
        maxLinf: r.maxLinf,
        maxL2: r.maxL2,
        queries: { mean: r.queries.mean, median: r.queries.median },
      })),
      attack: attack.name,
      distance: attack.distance,
      access: attack.access,
      criterion: "misclassification",
      queries: totalStats,
    };
    if (history) s.l2History = medianHistory(history);
    return s;
  };
  return {
    attack: attack.name,
    n,
    labels: y,
    clean: { accuracy: cleanCorrect / n, predictions: cleanPred, meanConfidence: cleanConfidence },
    results,
    perSampleQueries: total,
    queries: totalStats,
    ...(distances ? { distances } : {}),
    ...(history ? { history } : {}),
    summary,
  };
}

/** Median over inputs of the per-iteration L2 (inputs that stopped early keep their last value). */
export function medianHistory(history: number[][]): number[] {
  const rows = history.filter((h) => h.length > 0);
  const len = rows.reduce((m, h) => Math.max(m, h.length), 0);
  const out: number[] = [];
  for (let t = 0; t < len; t++) {
    const v = Float64Array.from(rows, (h) => h[Math.min(t, h.length - 1)]!).sort();
    out.push(v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2);
  }
  return out;
}
