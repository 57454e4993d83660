import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

describe("Relu gradient without the cast", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  it("is w where x > 0 and 0 elsewhere (x = 0 included), on wasm and cpu", () => {
    const xs = [-2, -0.5, 0, 0.25, 3, NaN];
    const ws = [1, 2, 3, 4, 5, 6];
    for (const backend of ["wasm", "cpu"]) {
      tf.setBackend(backend);
      const g = tf.tidy(() => {
        const w = tf.tensor1d(ws);
        return tf
          .grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), w)))(tf.tensor1d(xs))
          .dataSync();
      });
      expect(Array.from(g).slice(0, 5)).toEqual([0, 0, 0, 4, 5]);
    }
    tf.setBackend("wasm");
  });
});
