import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

describe("wasm Identity (shared data, reference counted)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  it("clones share data that lives until the last reference is disposed, and leak nothing", () => {
    tf.setBackend("wasm");
    const before = tf.memory().numBytes;
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const c = tf.clone(x);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
    const str = tf.tensor1d(["a", "b"], "string");
    const s = tf.clone(str);
    expect(s.arraySync()).toEqual(["a", "b"]);
    tf.dispose([c, s, str]);
    expect(tf.memory().numBytes).toBe(before);
  });
  it("gradients that save tensors (conv, relu, max-pool) are unchanged and leak nothing", () => {
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, "float32", 3);
    const w = tf.randomNormal([3, 3, 2, 3], 0, 1, "float32", 4);
    const f = (xx: tf.Tensor) =>
      tf.sum(tf.maxPool(tf.relu(tf.conv2d(xx as tf.Tensor4D, w as tf.Tensor4D, 1, "same")), 2, 2, "valid"));
    const grad = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => tf.grad(f)(tf.tensor(x.dataSync(), x.shape)).dataSync() as Float32Array);
    };
    tf.setBackend("wasm");
    const tensors = tf.memory().numTensors;
    const ours = grad("wasm");
    tf.setBackend("wasm");
    expect(tf.memory().numTensors).toBe(tensors);
    const ref = grad("cpu");
    tf.setBackend("wasm");
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(ours[i]! - ref[i]!));
    expect(diff).toBeLessThan(1e-4);
    tf.dispose([x, w]);
  });
});
