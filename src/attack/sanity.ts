/**
 * The checks experts run on an attack, on by default: inputs inside the declared bounds (an error: eps would be on
 * the wrong scale), outputs that look like probabilities rather than logits, gradients that are exactly zero (sign(0)
 * = 0 cannot move an input), an iterative attack weaker than one step or a loss that does not rise (gradient masking
 * or a broken attack), success that does not grow with eps, and non-finite outputs. Each returns warning text.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";
import type { AttackStats } from "./base.js";

/** Throws when inputs leave [lower, upper]; the message guesses the usual cause (0-255 pixels). */
export function checkInputBounds(x: tf.Tensor, bounds: readonly [number, number], what = "inputs"): void {
  const [lo, hi] = tf.tidy(() => [tf.min(x), tf.max(x)]);
  const min = lo!.dataSync()[0]!;
  const max = hi!.dataSync()[0]!;
  tf.dispose([lo!, hi!]);
  if (!Number.isFinite(min) || !Number.isFinite(max))
    throw new GradoptError("E_DATA", `${what} contain NaN or infinite values`);
  if (min < bounds[0] || max > bounds[1]) {
    const hint =
      max > 1.5 && bounds[1] === 1
        ? " (they look like 0-255 pixels: divide by 255; eps is on the [0, 1] scale)"
        : "";
    throw new GradoptError(
      "E_DATA",
      `${what} range over [${min}, ${max}], outside the model's declared bounds [${bounds[0]}, ${bounds[1]}]${hint}`,
    );
  }
}

/** Warns when every row of the model's output is non-negative and sums to 1: probabilities, not logits. */
export function probabilityOutputWarning(logits: tf.Tensor2D): string | undefined {
  const looks = tf.tidy(() => {
    const nonNeg = tf.all(tf.greaterEqual(logits, 0));
    const sumsToOne = tf.all(tf.less(tf.abs(tf.sub(tf.sum(logits, 1), 1)), 1e-3));
    return tf.logicalAnd(nonNeg, sumsToOne);
  });
  const yes = looks.dataSync()[0] === 1;
  looks.dispose();
  if (!yes) return undefined;
  return (
    "the model's outputs look like probabilities (non-negative rows summing to 1), not logits: the loss is then " +
    "computed on probabilities and its gradient vanishes where they saturate. Remove the final softmax (or pass output: 'probabilities')."
  );
}

export function nonFiniteWarning(count: number, n: number, where: string): string | undefined {
  if (count === 0) return undefined;
  return `${count} of ${n} inputs gave non-finite logits ${where}; they are never counted as adversarial`;
}

/** Warns about exactly-zero gradients at the first step. */
export function zeroGradientWarning(stats: AttackStats): string | undefined {
  if (stats.gradientEntries === 0) return undefined;
  const entryFraction = stats.zeroGradientEntries / stats.gradientEntries;
  const sampleFraction = stats.zeroGradientSamples / stats.gradientSamples;
  if (sampleFraction > 0) {
    return `${(100 * sampleFraction).toFixed(1)}% of inputs have an exactly-zero input gradient (the loss is flat there: saturated softmax, a non-differentiable step, or gradient masking); sign attacks cannot move them`;
  }
  if (entryFraction > 0.5) {
    return `${(100 * entryFraction).toFixed(1)}% of input-gradient entries are exactly zero; sign(0) = 0, so those pixels never move`;
  }
  return undefined;
}

/** Warns when the mean loss did not rise from the first to the last step of an iterative attack. */
export function lossNotRisingWarning(stats: AttackStats, name: string): string | undefined {
  if (stats.lossSamples === 0) return undefined;
  const first = stats.lossFirst / stats.lossSamples;
  const last = stats.lossLast / stats.lossSamples;
  if (last + 1e-6 >= first) return undefined;
  return `${name}: the mean adversarial loss fell from ${first.toPrecision(4)} to ${last.toPrecision(4)} over the steps; the step size may be too large or the gradient is masked`;
}

/** Warns when the iterative attack succeeds less often than one step of the same size at some eps (gradient masking). */
export function iterativeWeakerWarning(
  name: string,
  epsilons: readonly number[],
  iterative: readonly number[],
  single: readonly number[],
  tolerance = 0.02,
): string | undefined {
  const bad = epsilons
    .map((e, i) => ({ e, it: iterative[i]!, one: single[i]! }))
    .filter((r) => r.it + tolerance < r.one);
  if (bad.length === 0) return undefined;
  const list = bad
    .map((r) => `eps ${r.e}: ${(100 * r.it).toFixed(1)}% vs ${(100 * r.one).toFixed(1)}%`)
    .join(", ");
  return `${name} succeeds less often than a single gradient step (${list}): a sign of gradient masking or a too-small step size`;
}

/** Warns when success falls as eps grows (beyond a tolerance), which a sound attack on a sound model does not do. */
export function nonMonotoneWarning(
  epsilons: readonly number[],
  rates: readonly number[],
  tolerance = 0.01,
): string | undefined {
  const order = epsilons.map((e, i) => [e, rates[i]!] as const).sort((a, b) => a[0] - b[0]);
  const drops: string[] = [];
  for (let i = 1; i < order.length; i++) {
    if (order[i]![1] + tolerance < order[i - 1]![1])
      drops.push(
        `${(100 * order[i - 1]![1]).toFixed(1)}% at eps ${order[i - 1]![0]} -> ${(100 * order[i]![1]).toFixed(1)}% at eps ${order[i]![0]}`,
      );
  }
  if (drops.length === 0) return undefined;
  return `success does not grow with eps (${drops.join("; ")}): gradient masking, or too few steps for the larger eps`;
}
