/**
 * The gradient of Relu without tfjs-core's cast: core computes dy * cast(step(x), "float32"), and on the wasm backend a
 * float32 -> float32 cast is a full copy of the activation (2-3% of an attack step on the bundled CNN). step(x) of a
 * float32 x is already float32. On the wasm backend with SIMD128, dy * step(x) is one kernel (ReluGrad.ts). Same
 * values on every backend; registered once by register.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { GradConfig, Tensor } from "@tensorflow/tfjs";
import { fusedReluGrad } from "./ReluGrad.js";

export const reluGradConfig: GradConfig = {
  kernelName: "Relu",
  inputsToSave: ["x"],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    return {
      x: () =>
        fusedReluGrad(g, x) ??
        (x.dtype === "float32" ? tf.mul(g, tf.step(x)) : tf.mul(g, tf.cast(tf.step(x), "float32"))),
    };
  },
};
