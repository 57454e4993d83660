import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

/** dL/dx of sum(maxPool(x) * w) on a backend, for fixed x and w given as values. */
function poolGrad(
  backend: string,
  x: tf.Tensor4D,
  w: tf.Tensor,
  filter: [number, number],
  strides: [number, number],
  pad: "same" | "valid",
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xb = tf.tensor4d(x.dataSync(), x.shape);
    const wb = tf.tensor(w.dataSync(), w.shape);
    const g = tf.grad((xx: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, filter, strides, pad), wb)),
    );
    return g(xb).dataSync() as Float32Array;
  });
}

const cases = [
  { name: "2x2 s2 valid", x: [4, 28, 28, 8], filter: [2, 2], strides: [2, 2], pad: "valid" },
  {
    name: "3x3 s2 same (overlapping windows)",
    x: [2, 9, 11, 3],
    filter: [3, 3],
    strides: [2, 2],
    pad: "same",
  },
  { name: "3x3 s1 same", x: [2, 6, 6, 5], filter: [3, 3], strides: [1, 1], pad: "same" },
  { name: "2x2 s2 odd size", x: [1, 7, 7, 2], filter: [2, 2], strides: [2, 2], pad: "valid" },
] as const;

// tfjs-backend-wasm 4.22's own MaxPoolGrad disagrees with the cpu backend on most shapes (e.g. [1, 6, 6, 1], 2x2
// stride 2: max difference 3 on a gradient of magnitude ~10); ours must agree with cpu.
describe("wasm MaxPoolGrad (JS over the wasm heap)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  for (const c of cases) {
    it(`matches the cpu backend: ${c.name}`, () => {
      const x = tf.randomNormal([...c.x], 0, 1, "float32", 3) as tf.Tensor4D;
      const outShape = tf.tidy(() => tf.maxPool(x, c.filter as never, c.strides as never, c.pad).shape);
      const w = tf.randomNormal(outShape, 0, 1, "float32", 4);
      const args = [c.filter, c.strides, c.pad] as unknown as [
        [number, number],
        [number, number],
        "same" | "valid",
      ];
      const ref = poolGrad("cpu", x, w, ...args);
      const ours = poolGrad("wasm", x, w, ...args);
      let d = 0;
      for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
      expect(d).toBeLessThan(1e-5);
      tf.dispose([x, w]);
    });
  }

  it("routes a tie to the first maximum in the window, like the cpu backend", () => {
    const x = tf.tensor4d([1, 1, 1, 1, 1, 1, 0, 0], [1, 2, 4, 1]);
    const w = tf.ones([1, 1, 2, 1]);
    const ref = poolGrad("cpu", x, w, [2, 2], [2, 2], "valid");
    const ours = poolGrad("wasm", x, w, [2, 2], [2, 2], "valid");
    expect(Array.from(ours)).toEqual(Array.from(ref));
    expect(Array.from(ours)).toEqual([1, 0, 1, 0, 0, 0, 0, 0]);
    tf.dispose([x, w]);
  });
});
