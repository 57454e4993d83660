/**
 * The optimiser core's `VectorOps` for TensorFlow.js tensors, so attacks reuse src/optim's transforms (sign, momentum,
 * Adam, chain) and projections instead of re-implementing them. Tensors are immutable: every op returns a new tensor
 * and ignores `out` (the VectorOps contract allows this). Reductions (dot, norms) treat the whole tensor as one vector
 * and read back one number; per-sample norms and projections of a batch live in distances.ts.
 *
 * Call these inside tf.tidy (the attack drivers do), or dispose what they return.
 */
import * as tf from "@tensorflow/tfjs";
import type { VectorOps } from "../optim/index.js";

function scalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

export const tensorOps: VectorOps<tf.Tensor> = {
  name: "tfjs",
  size: (x) => x.size,
  zerosLike: (x) => tf.zerosLike(x),
  clone: (x) => tf.clone(x),
  scale: (x, a) => tf.mul(x, a),
  axpby: (a, x, b, y) => tf.tidy(() => tf.add(tf.mul(x, a), tf.mul(y, b))),
  axpbySquare: (a, x, b, y) => tf.tidy(() => tf.add(tf.mul(x, a), tf.mul(tf.square(y), b))),
  rsqrtScale: (x, v, a, b, eps) => tf.tidy(() => tf.div(tf.mul(x, a), tf.add(tf.sqrt(tf.mul(v, b)), eps))),
  mul: (x, y) => tf.mul(x, y),
  sign: (x) => tf.sign(x),
  clamp: (x, lower, upper) => tf.tidy(() => tf.minimum(tf.maximum(x, lower), upper)),
  clampAround: (x, center, radius) =>
    tf.tidy(() => tf.minimum(tf.maximum(x, tf.sub(center, radius)), tf.add(center, radius))),
  dot: (x, y) => scalar(tf.tidy(() => tf.sum(tf.mul(x, y)))),
  norm2: (x) => scalar(tf.tidy(() => tf.sqrt(tf.sum(tf.square(x))))),
  normInf: (x) => scalar(tf.tidy(() => tf.max(tf.abs(x)))),
  dist2: (x, y) => scalar(tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.sub(x, y)))))),
  distInf: (x, y) => scalar(tf.tidy(() => tf.max(tf.abs(tf.sub(x, y))))),
};
