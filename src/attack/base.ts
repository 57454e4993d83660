/**
 * What an attack is (Foolbox's split, as plain objects because TypeScript has no `final`): a fixed-epsilon attack
 * returns, for each eps, inputs within that eps of the originals; a minimisation attack returns the smallest
 * adversarial it found, run once for all eps and then clipped to each. Attack objects hold only hyperparameters; the
 * one driver (run.ts) owns bounds, epsilons, batching, clipping, scoring and the sanity checks.
 */
import * as tf from "@tensorflow/tfjs";
import { assertArg } from "../errors.js";
import type { Criterion } from "./criteria.js";
import type { Distance } from "./distances.js";
import type { TfjsClassifier } from "./model.js";

/** Counters an attack fills in for the sanity checks. */
export interface AttackStats {
  /** Gradient entries seen at the first step, and how many were exactly zero (sign(0) = 0: no step there). */
  gradientEntries: number;
  zeroGradientEntries: number;
  /** Inputs whose whole gradient was exactly zero at the first step (a sign attack cannot move them). */
  zeroGradientSamples: number;
  gradientSamples: number;
  /** Sum over inputs of the loss at the first and the last step (iterative attacks): the loss should rise. */
  lossFirst: number;
  lossLast: number;
  lossSamples: number;
  /** Forward+backward passes spent. */
  gradientEvaluations: number;
}

/** One epsilon's row of a sweep summary (the contract's --json), shared by white- and black-box runs. */
export interface EpsilonSummaryRow {
  eps: number;
  /** Robust accuracy: the fraction still classified correctly. */
  accuracy: number;
  attackSuccessRate: number;
  meanConfidence: number;
  maxLinf: number;
  maxL2: number;
}

/** What every sweep summary starts with: the sample count, clean figures and the attack's name. */
export interface SweepSummaryBase<Row extends EpsilonSummaryRow> {
  n: number;
  clean: { accuracy: number; meanConfidence: number };
  results: Row[];
  attack: string;
}

export function emptyStats(): AttackStats {
  return {
    gradientEntries: 0,
    zeroGradientEntries: 0,
    zeroGradientSamples: 0,
    gradientSamples: 0,
    lossFirst: 0,
    lossLast: 0,
    lossSamples: 0,
    gradientEvaluations: 0,
  };
}

/** One batch handed to an attack: inputs on the pixel scale, inside the model's bounds. */
export interface AttackBatch {
  readonly model: TfjsClassifier;
  readonly x: tf.Tensor;
  readonly criterion: Criterion;
  /** Seed for random starts (different per batch and restart, reproducible per run). */
  readonly seed: number;
  readonly stats: AttackStats;
}

export interface FixedEpsilonAttack {
  readonly kind: "fixed-epsilon";
  readonly name: string;
  readonly distance: Distance;
  /** True for multi-step attacks (the gradient-masking check compares them with one step). */
  readonly iterative: boolean;
  /** One tensor per eps, each within that eps of batch.x (the driver still projects and clips exactly). */
  run(batch: AttackBatch, epsilons: readonly number[]): tf.Tensor[];
}

export interface MinimizationAttack {
  readonly kind: "minimization";
  readonly name: string;
  readonly distance: Distance;
  readonly iterative: true;
  /** The smallest adversarial found per input (the input itself where none was found). */
  run(batch: AttackBatch): tf.Tensor;
}

export type Attack = (FixedEpsilonAttack | MinimizationAttack) & {
  /** The reverse step: move TOWARDS the true class (success = classified correctly). */
  readonly reverse?: boolean;
};

/**
 * Records the first-step gradient statistics. On backends whose tensors live in CPU memory (wasm, cpu) one read of
 * the gradient and a count here (six kernels and two reads otherwise: ~0.5 ms of a 25 ms FGSM step at batch 128);
 * elsewhere (WebGL, WebGPU) the counts are reduced on the device and only two numbers are read back.
 */
export function recordGradientStats(
  stats: AttackStats,
  grad: tf.Tensor,
  onDevice = !["wasm", "cpu"].includes(tf.getBackend()),
): void {
  const n = grad.shape[0]!;
  stats.gradientEntries += grad.size;
  stats.gradientSamples += n;
  if (!onDevice) {
    const g = grad.dataSync();
    const d = grad.size / n;
    for (let i = 0; i < n; i++) {
      let zeros = 0;
      for (let j = i * d; j < (i + 1) * d; j++) if (g[j] === 0) zeros++;
      stats.zeroGradientEntries += zeros;
      if (zeros === d) stats.zeroGradientSamples++;
    }
    return;
  }
  const [zeros, deadSamples] = tf.tidy(() => {
    const isZero = tf.equal(grad, 0);
    const axes = Array.from({ length: grad.rank - 1 }, (_, i) => i + 1);
    return [tf.sum(tf.cast(isZero, "int32")), tf.sum(tf.cast(tf.all(isZero, axes), "int32"))];
  });
  stats.zeroGradientEntries += zeros!.dataSync()[0]!;
  stats.zeroGradientSamples += deadSamples!.dataSync()[0]!;
  tf.dispose([zeros!, deadSamples!]);
}

/** Validates a list of epsilons (finite, >= 0). */
export function checkEpsilons(epsilons: readonly number[], where: string): void {
  for (const e of epsilons) {
    assertArg(e >= 0 && Number.isFinite(e), () => `${where}: eps must be finite and >= 0, got ${e}`);
  }
}
