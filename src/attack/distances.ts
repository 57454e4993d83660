/**
 * Per-sample norms, normalisations and projections of a batch [n, ...]: what an attack needs that the optimiser's
 * whole-vector VectorOps cannot express (each image has its own eps-ball). L-inf is elementwise and goes through the
 * optimiser's projections; L2 is here.
 */
import * as tf from "@tensorflow/tfjs";

export type Distance = "linf" | "l2";

/** The axes of one sample: all but the first. */
export function sampleAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
}

/** Per-sample norms of `x` as an [n] tensor. */
export function sampleNorms(x: tf.Tensor, distance: Distance | "l1"): tf.Tensor1D {
  return tf.tidy(() => {
    const axes = sampleAxes(x);
    if (distance === "linf") return tf.max(tf.abs(x), axes) as tf.Tensor1D;
    if (distance === "l1") return tf.sum(tf.abs(x), axes) as tf.Tensor1D;
    return tf.sqrt(tf.sum(tf.square(x), axes)) as tf.Tensor1D;
  });
}

/** Reshapes an [n] tensor so it broadcasts against a batch shaped like `like`. */
export function perSample(v: tf.Tensor, like: tf.Tensor): tf.Tensor {
  return tf.reshape(v, [v.shape[0]!, ...new Array<number>(like.rank - 1).fill(1)]);
}

/** x / ||x|| per sample, with 0 for an all-zero sample (no division by zero). */
export function normalizePerSample(x: tf.Tensor, distance: Distance | "l1"): tf.Tensor {
  return tf.tidy(() => {
    const n = sampleNorms(x, distance);
    const safe = tf.where(tf.greater(n, 0), n, tf.onesLike(n));
    return tf.div(x, perSample(safe, x));
  });
}

/**
 * Clips a perturbation to the eps-ball per sample: elementwise for L-inf, rescaled (never enlarged) for L2.
 * `eps` is one number or one per sample.
 */
export function clipPerturbation(delta: tf.Tensor, eps: number | tf.Tensor1D, distance: Distance): tf.Tensor {
  return tf.tidy(() => {
    if (distance === "linf") {
      if (typeof eps === "number") return tf.clipByValue(delta, -eps, eps);
      const e = perSample(eps, delta);
      return tf.minimum(tf.maximum(delta, tf.neg(e)), e);
    }
    const norms = sampleNorms(delta, "l2");
    const e = typeof eps === "number" ? tf.fill(norms.shape, eps) : eps;
    const factor = tf.where(tf.greater(norms, e), tf.div(e, tf.maximum(norms, 1e-12)), tf.onesLike(norms));
    return tf.mul(delta, perSample(factor, delta));
  });
}

/**
 * x0 + clipPerturbation(x - x0), then clipped to the bounds: the driver's final projection. The radius is shrunk by
 * one float32 ulp of the bounds' magnitude (L-inf) or a relative 1e-5 (L2, whose float32 norm is inexact), so that the
 * float32 result is within eps exactly, not within eps plus a rounding error.
 */
export function projectToBallAndBounds(
  x: tf.Tensor,
  x0: tf.Tensor,
  eps: number,
  distance: Distance,
  bounds: readonly [number, number],
): tf.Tensor {
  const scale = Math.max(1, Math.abs(bounds[0]), Math.abs(bounds[1]));
  const safe = distance === "linf" ? Math.max(0, eps - scale * 2 ** -23) : eps * (1 - 1e-5);
  return tf.tidy(() => {
    const inBall = tf.add(x0, clipPerturbation(tf.sub(x, x0), safe, distance));
    return tf.clipByValue(inBall, bounds[0], bounds[1]);
  });
}
