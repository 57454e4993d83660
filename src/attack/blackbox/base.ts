/** What a black-box attack sees (the originals, true labels, the clean scores already paid for) and returns. */
import type { BlackBoxModel } from "./model.js";

export interface BlackBoxBatch {
  readonly model: BlackBoxModel;
  /** n originals, model.inputSize floats each, within the bounds. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
  /** Scores of the originals (one query each, already counted in `queries`). */
  readonly cleanScores: Float32Array;
  readonly seed: number;
  /** Per-sample queries: the attack adds every image it asks the model about. */
  readonly queries: Int32Array;
}

export interface BlackBoxOutput {
  /** The adversarial candidates (the original where nothing better was found). */
  adv: Float32Array;
  /** Scores the model gave `adv` (no re-query needed to score the result). */
  scores: Float32Array;
}

export interface FixedEpsilonBlackBox {
  readonly kind: "fixed-epsilon";
  readonly name: string;
  readonly distance: "linf";
  /** "score" attacks read probabilities; "decision" attacks only the top label. */
  readonly access: "score";
  run(batch: BlackBoxBatch, eps: number): Promise<BlackBoxOutput>;
}

export interface MinimizationBlackBox {
  readonly kind: "minimization";
  readonly name: string;
  readonly distance: "l2";
  readonly access: "decision";
  /** Smallest adversarial per input; `distances` is +Infinity where none was found; `history[i]` the best L2 after each iteration. */
  run(
    batch: BlackBoxBatch,
  ): Promise<BlackBoxOutput & { found: Uint8Array; distances: Float64Array; history: number[][] }>;
}

export type BlackBoxAttack = FixedEpsilonBlackBox | MinimizationBlackBox;

/** Copies the rows `rows` of `src` (row length `d`) into `dst`. */
export function gatherRows(
  src: Float32Array,
  rows: ArrayLike<number>,
  d: number,
  dst: Float32Array,
): Float32Array {
  for (let r = 0; r < rows.length; r++) dst.set(src.subarray(rows[r]! * d, rows[r]! * d + d), r * d);
  return dst;
}
