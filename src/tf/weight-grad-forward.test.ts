/** applyForWeightGradients: the same loss and weight gradients as model.apply, without the first layer's input gradient. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCnn } from "../train/model.js";
import { initBackend } from "./backend.js";
import { applyForWeightGradients } from "./weight-grad-forward.js";

beforeAll(async () => {
  await initBackend("wasm");
});

function lossAndGrads(model: tf.LayersModel, apply: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, y: tf.Tensor) {
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const r = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, apply(x)) as tf.Scalar, vars);
  const out = { loss: r.value.dataSync()[0]!, grads: vars.map((v) => r.grads[v.name]!.dataSync()) };
  tf.dispose([r.value, ...Object.values(r.grads)]);
  return out;
}

describe("applyForWeightGradients", () => {
  it("gives model.apply's loss and weight gradients and skips the input layer's Conv2DBackpropInput", async () => {
    const model = buildCnn({ filters: [4, 8], dense: 16, seed: 5 });
    const x = tf.randomUniform([6, 28, 28, 1], 0, 1, "float32", 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5], "int32"), 10);
    const ref = lossAndGrads(model, (t) => model.apply(t, { training: true }) as tf.Tensor, x, y);
    const ours = lossAndGrads(model, (t) => applyForWeightGradients(model, t), x, y);
    expect(ours.loss).toBeCloseTo(ref.loss, 6);
    ours.grads.forEach((g, k) => {
      const want = ref.grads[k]!;
      let scale = 1e-8;
      let diff = 0;
      for (let j = 0; j < g.length; j++) {
        scale = Math.max(scale, Math.abs(want[j]!));
        diff = Math.max(diff, Math.abs(g[j]! - want[j]!));
      }
      expect(diff / scale).toBeLessThan(1e-5);
    });
    // Count the input-gradient convolutions each way: one fewer (the first layer's).
    const count = async (apply: (t: tf.Tensor) => tf.Tensor) => {
      const info = await tf.profile(() => {
        const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
        const r = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, apply(x)) as tf.Scalar, vars);
        tf.dispose([r.value, ...Object.values(r.grads)]);
      });
      return info.kernels.filter((k) => k.name === "Conv2DBackpropInput").length;
    };
    const before = await count((t) => model.apply(t, { training: true }) as tf.Tensor);
    const after = await count((t) => applyForWeightGradients(model, t));
    expect(before).toBe(2);
    expect(after).toBe(1);
    // The model's own call is back.
    expect(Object.prototype.hasOwnProperty.call(model.layers[0]!, "call")).toBe(false);
    tf.dispose([x, y]);
    model.dispose();
  });
});
