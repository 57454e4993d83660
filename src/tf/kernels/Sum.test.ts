import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

function sumOn(
  backend: string,
  values: Float32Array,
  shape: number[],
  axis: number | number[],
  keepDims: boolean,
) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const r = tf.sum(tf.tensor(values, shape), axis, keepDims);
    return { shape: r.shape, values: r.dataSync() as Float32Array };
  });
}

const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
  { shape: [16, 28, 28, 16], axis: [0, 1, 2], keepDims: false }, // a bias gradient
  { shape: [16, 28, 28, 16], axis: [0, 1, 2], keepDims: true },
  { shape: [64, 14, 14, 32], axis: [2, 1, 0], keepDims: false }, // unsorted axes
  { shape: [2048, 40], axis: 0, keepDims: false },
  { shape: [2048, 40], axis: 1, keepDims: false }, // trailing axis: the stock kernel
  { shape: [4, 4], axis: 0, keepDims: false }, // small: the stock kernel
  { shape: [32, 32, 32], axis: [0, 1, 2], keepDims: false }, // all axes: the stock kernel
];

describe("wasm Sum (leading axes as a matrix product)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  for (const c of cases) {
    it(`matches the cpu backend: [${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? " keepDims" : ""}`, () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.1);
      const ref = sumOn("cpu", values, c.shape, c.axis, c.keepDims);
      const ours = sumOn("wasm", values, c.shape, c.axis, c.keepDims);
      tf.setBackend("wasm");
      expect(ours.shape).toEqual(ref.shape);
      let scale = 1;
      let diff = 0;
      for (let i = 0; i < ref.values.length; i++) {
        scale = Math.max(scale, Math.abs(ref.values[i]!));
        diff = Math.max(diff, Math.abs(ours.values[i]! - ref.values[i]!));
      }
      expect(diff / scale).toBeLessThan(1e-5);
    });
  }
});
