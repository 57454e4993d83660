/**
 * conv2d(x, filter) + bias as ONE op with a gradient that stays lazy per input (x, filter, bias each computed only
 * when the tape needs it): what the attack's gradient fast path (src/attack/model.ts) runs for a Conv2D layer with a
 * bias. tfjs's fused conv2d would also add the bias in the convolution, but its gradient always computes the filter
 * and bias gradients; conv2d + add costs a full-size Add kernel. On wasm the bias is added in the convolution's
 * output pass (Winograd, src/tf/simd), else the Conv2D and Add kernels run back to back; on other backends
 * `conv2dBias` is tf.add(tf.conv2d(...), bias). The same float32 values as conv2d then add. The wasm kernel is in
 * Conv2DBias_wasm.ts (this file has no backend imports: src/attack/model.ts uses it).
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, NamedAttrMap, Tensor, Tensor4D } from "@tensorflow/tfjs";

export const GRADOPT_CONV2D_BIAS = "GradoptConv2DBias";

export interface Conv2DBiasAttrs {
  strides: [number, number];
  pad: "same" | "valid";
}

/** conv2d(x, filter, strides, pad) + bias, NHWC, no dilation. */
export function conv2dBias(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor,
  strides: [number, number],
  pad: "same" | "valid",
): Tensor4D {
  const fused =
    x.dtype === "float32" &&
    filter.dtype === "float32" &&
    bias.dtype === "float32" &&
    bias.size === filter.shape[3] &&
    tf.getKernel(GRADOPT_CONV2D_BIAS, tf.getBackend()) !== undefined;
  if (fused) {
    const attrs: Conv2DBiasAttrs = { strides, pad };
    return tf
      .engine()
      .runKernel(GRADOPT_CONV2D_BIAS, { x, filter, bias }, attrs as unknown as NamedAttrMap) as Tensor4D;
  }
  return tf.tidy(() => tf.add(tf.conv2d(x, filter, strides, pad), bias));
}

export const conv2DBiasGradConfig: GradConfig = {
  kernelName: GRADOPT_CONV2D_BIAS,
  inputsToSave: ["x", "filter", "bias"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x, filter, bias] = saved as [Tensor4D, Tensor4D, Tensor];
    const g = dy as Tensor4D;
    const { strides, pad } = attrs as unknown as Conv2DBiasAttrs;
    return {
      x: () => tf.conv2dTranspose(g, filter, x.shape, strides, pad),
      filter: () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: g }, {
          strides,
          pad,
          dataFormat: "NHWC",
          filterShape: filter.shape,
        } as unknown as NamedAttrMap) as Tensor,
      bias: () => tf.reshape(tf.sum(g, [0, 1, 2]), bias.shape),
    };
  },
};
