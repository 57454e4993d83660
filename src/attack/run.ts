/**
 * run(model, inputs, labels, attack, { epsilons }): the one driver. It checks the inputs, scores the clean model,
 * splits the data into batches, runs the attack once per batch for ALL epsilons (single-step attacks reuse one
 * gradient; minimisation attacks run once and are clipped to each eps), projects every result exactly onto its
 * eps-ball and the bounds, scores it against the TRUE labels, and runs the sanity checks.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import {
  checkEpsilons,
  emptyStats,
  type Attack,
  type AttackStats,
  type EpsilonSummaryRow,
  type SweepSummaryBase,
} from "./base.js";
import {
  misclassification,
  targetedMisclassification,
  topKMisclassification,
  type Criterion,
} from "./criteria.js";
import { projectToBallAndBounds, sampleNorms, type Distance } from "./distances.js";
import { singleStepAttack } from "./fgsm.js";
import type { TfjsClassifier } from "./model.js";
import {
  checkInputBounds,
  iterativeWeakerWarning,
  lossNotRisingWarning,
  nonFiniteWarning,
  nonMonotoneWarning,
  probabilityOutputWarning,
  zeroGradientWarning,
} from "./sanity.js";

export interface RunOptions {
  /** Perturbation budgets on the [0, 1] pixel scale (L-inf or L2 as the attack's distance). */
  epsilons: readonly number[];
  /** Target class for every input, or one per input: a targeted attack. */
  targeted?: number | ArrayLike<number>;
  /** Top-k criterion: adversarial when the true label leaves the top k. */
  topK?: number;
  /** A criterion of your own (overrides targeted / topK). */
  criterion?: Criterion;
  /** Seed of random starts (default 0). */
  seed?: number;
  /** Sanity checks (default true). */
  sanity?: boolean;
  /** Called after each batch. */
  onProgress?: (done: number, total: number) => void;
}

/** Per-eps results (Foolbox's raw / clipped / success, plus scores). Tensors are owned by the result: call dispose(). */
export interface EpsilonResult {
  eps: number;
  /** What the attack returned. */
  raw: tf.Tensor;
  /** raw projected onto the eps-ball around the input and into the bounds: the adversarial inputs. */
  clipped: tf.Tensor;
  /** Per input: the clipped input meets the criterion. */
  success: Uint8Array;
  predictions: Int32Array;
  /** Softmax probability of the predicted class, and of the true class. */
  confidence: Float32Array;
  trueConfidence: Float32Array;
  /** Fraction classified correctly (TRUE labels): robust accuracy. */
  accuracy: number;
  /** Fraction meeting the criterion among inputs that did not meet it before the attack (0 when there are none). */
  attackSuccessRate: number;
  meanConfidence: number;
  meanTrueConfidence: number;
  /** Largest and mean perturbation of the clipped inputs. */
  maxLinf: number;
  maxL2: number;
  meanL2: number;
}

export interface AttackSummary extends SweepSummaryBase<EpsilonSummaryRow & { meanTrueConfidence: number }> {
  distance: Distance;
  criterion: string;
  warnings: string[];
}

export interface AttackResult {
  attack: string;
  distance: Distance;
  criterion: Criterion;
  n: number;
  labels: Int32Array;
  classNames: string[];
  clean: {
    accuracy: number;
    predictions: Int32Array;
    confidence: Float32Array;
    trueConfidence: Float32Array;
    success: Uint8Array;
    meanConfidence: number;
  };
  results: EpsilonResult[];
  /** Epsilon-wise success of a single gradient step, for iterative attacks (the gradient-masking check). */
  singleStepSuccessRate?: number[];
  stats: AttackStats;
  warnings: string[];
  /** The contract's --json document. */
  summary(): AttackSummary;
  dispose(): void;
}

interface Scores {
  success: Uint8Array;
  predictions: Int32Array;
  confidence: Float32Array;
  trueConfidence: Float32Array;
  nonFinite: number;
}

function score(model: TfjsClassifier, x: tf.Tensor, criterion: Criterion, labels: Int32Array): Scores {
  const logits = model.logitsBatched(x);
  const t = tf.tidy(() => {
    const p = tf.softmax(logits);
    return {
      success: criterion.isAdversarial(logits),
      predictions: tf.argMax(logits, 1),
      confidence: tf.max(p, 1),
      trueConfidence: tf.sum(tf.mul(p, tf.oneHot(tf.tensor1d(labels, "int32"), logits.shape[1]!)), 1),
      finite: tf.sum(tf.cast(tf.logicalNot(tf.all(tf.isFinite(logits), 1)), "int32")),
    };
  });
  const out: Scores = {
    success: Uint8Array.from(t.success.dataSync()),
    predictions: t.predictions.dataSync() as Int32Array,
    confidence: t.confidence.dataSync() as Float32Array,
    trueConfidence: t.trueConfidence.dataSync() as Float32Array,
    nonFinite: t.finite.dataSync()[0]!,
  };
  tf.dispose([logits, t.success, t.predictions, t.confidence, t.trueConfidence, t.finite]);
  return out;
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length === 0 ? 0 : s / a.length;
}

function makeCriterion(attack: Attack, labels: Int32Array, options: RunOptions): Criterion {
  if (attack.reverse) return targetedMisclassification(labels);
  if (options.criterion) return options.criterion;
  if (options.targeted !== undefined) return targetedMisclassification(options.targeted, labels.length);
  if (options.topK !== undefined) return topKMisclassification(labels, options.topK);
  return misclassification(labels);
}

/** Runs an attack on `inputs` ([n, ...inputShape], pixel scale) with true `labels`, for every eps at once. */
export async function run(
  model: TfjsClassifier,
  inputs: tf.Tensor,
  labels: ArrayLike<number>,
  attack: Attack,
  options: RunOptions,
): Promise<AttackResult> {
  const epsilons = [...options.epsilons];
  assertArg(epsilons.length > 0, () => "run: give at least one eps");
  checkEpsilons(epsilons, "run");
  const n = inputs.shape[0]!;
  const y = Int32Array.from(labels);
  assertArg(y.length === n, () => `run: ${y.length} labels for ${n} inputs`);
  assertArg(n > 0, () => "run: no inputs");
  const sanity = options.sanity ?? true;
  const x = reshapeToModel(model, inputs);
  const warnings: string[] = [];
  const warn = (m: string | undefined) => {
    if (m !== undefined && !warnings.includes(m)) {
      warnings.push(m);
      model.warn(m);
    }
  };
  if (sanity) checkInputBounds(x, model.bounds);
  for (const l of y)
    assertArg(
      l < model.numClasses || model.numClasses < 0,
      () => `run: label ${l} but the model has ${model.numClasses} classes`,
    );
  const criterion = makeCriterion(attack, y, options);

  // Clean scores; the probability check looks at the first batch's raw outputs.
  const clean = score(model, x, criterion, y);
  if (sanity) {
    const first = tf.tidy(() => model.logits(tf.slice(x, 0, Math.min(n, model.batchSize))));
    warn(probabilityOutputWarning(first));
    first.dispose();
    warn(nonFiniteWarning(clean.nonFinite, n, "on the clean inputs"));
  }

  const stats = emptyStats();
  const raws: tf.Tensor[][] = epsilons.map(() => []);
  const clipped: tf.Tensor[][] = epsilons.map(() => []);
  const singleSuccess = new Float64Array(epsilons.length);
  const compareSingle = sanity && attack.kind === "fixed-epsilon" && attack.iterative;
  const single = compareSingle ? singleStepAttack("single-step", attack.distance) : undefined;
  const seed = options.seed ?? 0;

  for (let start = 0, b = 0; start < n; start += model.batchSize, b++) {
    const size = Math.min(model.batchSize, n - start);
    const xb = tf.slice(x, start, size);
    const cb = criterion.slice(start, start + size);
    const batch = { model, x: xb, criterion: cb, seed: seed * 1_000_003 + b * 101, stats };
    let out: tf.Tensor[];
    if (attack.kind === "fixed-epsilon") out = attack.run(batch, epsilons);
    else {
      const once = attack.run(batch);
      out = epsilons.map(() => once.clone());
      once.dispose();
    }
    for (let k = 0; k < epsilons.length; k++) {
      raws[k]!.push(out[k]!);
      clipped[k]!.push(projectToBallAndBounds(out[k]!, xb, epsilons[k]!, attack.distance, model.bounds));
    }
    if (single) {
      const ref = single.run({ model, x: xb, criterion: cb, seed: 0, stats: emptyStats() }, epsilons);
      for (let k = 0; k < epsilons.length; k++) {
        const adv = tf.tidy(() => tf.sum(tf.cast(cb.isAdversarial(model.logits(ref[k]!)), "int32")));
        singleSuccess[k] = singleSuccess[k]! + adv.dataSync()[0]!;
        adv.dispose();
      }
      tf.dispose(ref);
    }
    xb.dispose();
    options.onProgress?.(start + size, n);
    await Promise.resolve();
  }

  const eligible = clean.success.reduce((s, v) => s + (v ? 0 : 1), 0);
  const results: EpsilonResult[] = epsilons.map((eps, k) => {
    const raw = tf.concat(raws[k]!);
    const adv = tf.concat(clipped[k]!);
    tf.dispose([...raws[k]!, ...clipped[k]!]);
    const s = score(model, adv, criterion, y);
    if (sanity) warn(nonFiniteWarning(s.nonFinite, n, `at eps ${eps}`));
    const [linf, l2] = tf.tidy(() => {
      const delta = tf.sub(adv, x);
      return [sampleNorms(delta, "linf"), sampleNorms(delta, "l2")];
    });
    const linfs = linf!.dataSync() as Float32Array;
    const l2s = l2!.dataSync() as Float32Array;
    tf.dispose([linf!, l2!]);
    let correct = 0;
    let newly = 0;
    for (let i = 0; i < n; i++) {
      if (s.predictions[i] === y[i]) correct++;
      if (s.success[i] && !clean.success[i]) newly++;
    }
    return {
      eps,
      raw,
      clipped: adv,
      success: s.success,
      predictions: s.predictions,
      confidence: s.confidence,
      trueConfidence: s.trueConfidence,
      accuracy: correct / n,
      attackSuccessRate: eligible === 0 ? 0 : newly / eligible,
      meanConfidence: mean(s.confidence),
      meanTrueConfidence: mean(s.trueConfidence),
      maxLinf: linfs.reduce((m, v) => Math.max(m, v), 0),
      maxL2: l2s.reduce((m, v) => Math.max(m, v), 0),
      meanL2: mean(l2s),
    };
  });

  let cleanCorrect = 0;
  for (let i = 0; i < n; i++) if (clean.predictions[i] === y[i]) cleanCorrect++;
  const singleRates = single ? Array.from(singleSuccess, (v) => v / n) : undefined;
  if (sanity) {
    warn(zeroGradientWarning(stats));
    if (attack.iterative) warn(lossNotRisingWarning(stats, attack.name));
    const rates = results.map((r) => mean(r.success));
    if (singleRates) warn(iterativeWeakerWarning(attack.name, epsilons, rates, singleRates));
    if (attack.kind === "fixed-epsilon") warn(nonMonotoneWarning(epsilons, rates));
  }
  if (x !== inputs) x.dispose();

  const result: AttackResult = {
    attack: attack.name,
    distance: attack.distance,
    criterion,
    n,
    labels: y,
    classNames: model.classNames,
    clean: {
      accuracy: cleanCorrect / n,
      predictions: clean.predictions,
      confidence: clean.confidence,
      trueConfidence: clean.trueConfidence,
      success: clean.success,
      meanConfidence: mean(clean.confidence),
    },
    results,
    ...(singleRates ? { singleStepSuccessRate: singleRates } : {}),
    stats,
    warnings,
    summary: () => ({
      n,
      clean: { accuracy: cleanCorrect / n, meanConfidence: mean(clean.confidence) },
      results: results.map((r) => ({
        eps: r.eps,
        accuracy: r.accuracy,
        attackSuccessRate: r.attackSuccessRate,
        meanConfidence: r.meanConfidence,
        maxLinf: r.maxLinf,
        maxL2: r.maxL2,
        meanTrueConfidence: r.meanTrueConfidence,
      })),
      attack: attack.name,
      distance: attack.distance,
      criterion:
        criterion.kind === "top-k"
          ? `top-${criterion.k}`
          : attack.reverse
            ? "reverse (classified as the true label)"
            : criterion.kind,
      warnings,
    }),
    dispose: () => tf.dispose(results.flatMap((r) => [r.raw, r.clipped])),
  };
  return result;
}

/** Inputs reshaped to [n, ...model.inputShape] when they have the same size per sample (e.g. [n, 28, 28] -> [n, 28, 28, 1]). */
function reshapeToModel(model: TfjsClassifier, x: tf.Tensor): tf.Tensor {
  const want = model.inputShape;
  const have = x.shape.slice(1);
  if (want.length === 0 || want.some((d) => d < 0)) return x;
  if (want.length === have.length && want.every((d, i) => d === have[i])) return x;
  const per = want.reduce((a, b) => a * b, 1);
  assertArg(
    x.size / x.shape[0]! === per,
    () => `run: inputs of shape [${x.shape.join(", ")}] do not fit the model's input [${want.join(", ")}]`,
  );
  return tf.reshape(x, [x.shape[0]!, ...want]);
}
