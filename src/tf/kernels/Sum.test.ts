import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { setSimdEnabled } from "../simd/loader.js";
import { simdModule } from "../simd/train-module.js";
import { trainWasm } from "../simd/train.wasm.js";

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
  { shape: [700, 37], axis: 0, keepDims: false }, // SIMD: 2 blocks of 16, one of 4, 1 scalar column
  { shape: [3000, 7], axis: 0, keepDims: false },
  { shape: [2048, 40], axis: 1, keepDims: false }, // trailing axis: the stock kernel
  { shape: [4, 4], axis: 0, keepDims: false }, // small: the stock kernel
  { shape: [32, 32, 32], axis: [0, 1, 2], keepDims: false }, // all axes: the stock kernel
];

describe.each([
  { path: "SIMD column sums", simd: true },
  { path: "matrix product", simd: false },
])("wasm Sum over leading axes ($path)", ({ simd }) => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  it("has the path it tests", () => {
    setSimdEnabled(true);
    expect(simdModule(tf.backend(), "train", trainWasm)).not.toBeNull();
  });
  it("leaks no tensors or heap data", () => {
    setSimdEnabled(simd);
    tf.setBackend("wasm");
    const x = tf.ones([64, 16, 16, 8]);
    tf.sum(x, [0, 1, 2]).dispose();
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) tf.sum(x, [0, 1, 2]).dispose();
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    x.dispose();
    setSimdEnabled(true);
  });
  for (const c of cases) {
    it(`matches the cpu backend: [${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims ? " keepDims" : ""}`, () => {
      setSimdEnabled(simd);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.1);
      const ref = sumOn("cpu", values, c.shape, c.axis, c.keepDims);
      const ours = sumOn("wasm", values, c.shape, c.axis, c.keepDims);
      setSimdEnabled(true);
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
