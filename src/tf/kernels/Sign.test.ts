import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

describe("Sign on wasm", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  it("is exact for tiny values (tfjs-wasm's own kernel returns 0 for |x| <= 1e-7), as on cpu", () => {
    const xs = [1e-30, -1e-30, 1e-8, -1e-7, 1.5e-7, 2e-7, 0, -0, 3, -4, NaN, Infinity, -Infinity];
    const want = [1, -1, 1, -1, 1, 1, 0, 0, 1, -1, 0, 1, -1];
    for (const backend of ["wasm", "cpu"]) {
      tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => tf.sign(tf.tensor1d(xs)).dataSync());
      expect(Array.from(got).map((v) => v + 0)).toEqual(want);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.setBackend("wasm");
  });
  it("keeps int32 inputs on the stock kernel", () => {
    const got = tf.tidy(() => tf.sign(tf.tensor1d([-3, 0, 5], "int32")).dataSync());
    expect(Array.from(got)).toEqual([-1, 0, 1]);
  });
});
