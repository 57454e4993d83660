import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";

/** dL/dx of sum(depthwiseConv2d(x, f) * w) on a backend. */
function depthwiseGrad(
  backend: string,
  x: tf.Tensor4D,
  f: tf.Tensor4D,
  w: tf.Tensor,
  strides: number | [number, number],
  pad: "same" | "valid",
  dilations: number,
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const xb = tf.tensor4d(x.dataSync(), x.shape);
    const fb = tf.tensor4d(f.dataSync(), f.shape);
    const wb = tf.tensor(w.dataSync(), w.shape);
    const g = tf.grad((xx: tf.Tensor) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(xx as tf.Tensor4D, fb, strides, pad, "NHWC", dilations), wb)),
    );
    return g(xb).dataSync() as Float32Array;
  });
}

const cases = [
  {
    name: "3x3 same s1 (MobileNet block)",
    x: [2, 12, 12, 16],
    f: [3, 3, 16, 1],
    strides: 1,
    pad: "same",
    dilations: 1,
  },
  {
    name: "3x3 same s2 (MobileNet downsampling)",
    x: [2, 13, 12, 8],
    f: [3, 3, 8, 1],
    strides: 2,
    pad: "same",
    dilations: 1,
  },
  { name: "3x3 valid s1", x: [1, 7, 9, 4], f: [3, 3, 4, 1], strides: 1, pad: "valid", dilations: 1 },
  {
    name: "channel multiplier 2 (JS loop)",
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 2],
    strides: 1,
    pad: "same",
    dilations: 1,
  },
  {
    name: "multiplier 3, stride 2 (JS loop)",
    x: [1, 9, 9, 2],
    f: [3, 3, 2, 3],
    strides: 2,
    pad: "valid",
    dilations: 1,
  },
] as const;

describe("wasm DepthwiseConv2dNativeBackpropInput (missing from tfjs-backend-wasm)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  for (const c of cases) {
    it(`matches the cpu backend: ${c.name}`, () => {
      const x = tf.randomNormal([...c.x], 0, 1, "float32", 5) as tf.Tensor4D;
      const f = tf.randomNormal([...c.f], 0, 1, "float32", 6) as tf.Tensor4D;
      const outShape = tf.tidy(() => tf.depthwiseConv2d(x, f, c.strides, c.pad, "NHWC", c.dilations).shape);
      const w = tf.randomNormal(outShape, 0, 1, "float32", 7);
      const ref = depthwiseGrad("cpu", x, f, w, c.strides, c.pad, c.dilations);
      const ours = depthwiseGrad("wasm", x, f, w, c.strides, c.pad, c.dilations);
      let d = 0;
      for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
      expect(d).toBeLessThan(1e-4);
      tf.dispose([x, f, w]);
    });
  }
});
