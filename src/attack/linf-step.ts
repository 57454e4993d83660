/**
 * The projected L-inf sign step of FGSM, BIM and PGD: clip(clip(x + alpha * sign(g), x0 - eps, x0 + eps), lo, hi).
 * On the wasm backend with SIMD128 one fused kernel (src/tf/kernels/LinfSignStep.ts); elsewhere the optimiser core's
 * transforms and projection over tensors (sign, step size, projectLinfBallBox), which give the same float32 values.
 */
import * as tf from "@tensorflow/tfjs";
import { chain, projectLinfBallBox, scaleByLearningRate, scaleBySign } from "../optim/index.js";
import { GRADOPT_LINF_SIGN_STEP } from "../tf/kernels/LinfSignStep.js";
import { simdKernels } from "../tf/simd/index.js";
import { tensorOps } from "./tensor-ops.js";

/** The step in one kernel where the active backend has it (float32 tensors of one shape), else undefined. */
function fused(
  x: tf.Tensor,
  g: tf.Tensor,
  x0: tf.Tensor,
  alpha: number,
  eps: number,
  lo: number,
  hi: number,
): tf.Tensor | undefined {
  if (x.dtype !== "float32" || g.dtype !== "float32" || x0.dtype !== "float32") return undefined;
  if (!tf.util.arraysEqual(x.shape, g.shape) || !tf.util.arraysEqual(x.shape, x0.shape)) return undefined;
  if (!tf.getKernel(GRADOPT_LINF_SIGN_STEP, tf.getBackend()) || !simdKernels(tf.backend())) return undefined;
  return tf
    .engine()
    .runKernel(GRADOPT_LINF_SIGN_STEP, { x, g, x0 }, { alpha, eps, lo, hi } as never) as tf.Tensor;
}

/** Ascends: x + alpha * sign(g), then projected onto the eps-ball around x0 and the box [lo, hi]. */
export function linfSignStep(
  x: tf.Tensor,
  g: tf.Tensor,
  x0: tf.Tensor,
  alpha: number,
  eps: number,
  lo: number,
  hi: number,
): tf.Tensor {
  return (
    fused(x, g, x0, alpha, eps, lo, hi) ??
    tf.tidy(() => {
      const step = chain(scaleBySign(tensorOps), scaleByLearningRate(alpha, { flipSign: false }, tensorOps));
      const [u] = step.update(g, step.init(g) as never);
      return projectLinfBallBox(tf.add(x, u), x0, eps, lo, hi, undefined, tensorOps);
    })
  );
}
