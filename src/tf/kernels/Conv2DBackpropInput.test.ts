import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { COL2IM_MAX_PATCH, setCol2imMaxPatch } from "./Conv2DBackpropInput.js";
import { setStockInputGradKernels } from "./input-grads.js";

/** Runs a kernel by name on a backend with inputs built from plain arrays; returns the output values. */
function runOn(
  backend: string,
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: object,
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const moved: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) moved[k] = tf.tensor(v.dataSync(), v.shape, v.dtype);
    const out = tf.engine().runKernel(name, moved as never, attrs as never) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const cases = [
  { name: "3x3 same s1", x: [3, 9, 9, 4], f: [3, 3, 4, 5], strides: 1, pad: "same" },
  { name: "3x3 valid s1", x: [2, 8, 7, 3], f: [3, 3, 3, 6], strides: 1, pad: "valid" },
  { name: "3x3 same s2", x: [2, 9, 10, 3], f: [3, 3, 3, 4], strides: 2, pad: "same" },
  { name: "5x3 valid s2x1", x: [2, 11, 8, 2], f: [5, 3, 2, 3], strides: [2, 1], pad: "valid" },
  { name: "1x1 s1", x: [2, 5, 5, 8], f: [1, 1, 8, 16], strides: 1, pad: "valid" },
  {
    name: "explicit pad",
    x: [1, 6, 6, 2],
    f: [3, 3, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
] as const;

describe("wasm Conv2DBackpropInput (transposed convolution via XNNPACK)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  for (const c of cases) {
    it(`matches the cpu backend: ${c.name}`, () => {
      const out = tf.tidy(() => {
        tf.setBackend("wasm");
        const y = tf.conv2d(
          tf.zeros([...c.x]) as tf.Tensor4D,
          tf.zeros([...c.f]) as tf.Tensor4D,
          c.strides as never,
          c.pad as never,
        );
        return y.shape;
      });
      const dy = tf.randomNormal(out, 0, 1, "float32", 1);
      const filter = tf.randomNormal(c.f as unknown as number[], 0, 1, "float32", 2);
      const attrs = {
        strides: c.strides,
        pad: c.pad,
        dataFormat: "NHWC",
        inputShape: c.x,
        dimRoundingMode: undefined,
      };
      const ref = runOn("cpu", "Conv2DBackpropInput", { dy, filter }, attrs);
      const ours = runOn("wasm", "Conv2DBackpropInput", { dy, filter }, attrs);
      // Both of gradopt's strategies, whichever the patch size picks by default.
      setCol2imMaxPatch(Infinity);
      const col2im = runOn("wasm", "Conv2DBackpropInput", { dy, filter }, attrs);
      setCol2imMaxPatch(0);
      const transposed = runOn("wasm", "Conv2DBackpropInput", { dy, filter }, attrs);
      setCol2imMaxPatch(COL2IM_MAX_PATCH);
      setStockInputGradKernels(true);
      const stock = runOn("wasm", "Conv2DBackpropInput", { dy, filter }, attrs);
      setStockInputGradKernels(false);
      expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-4);
      expect(maxAbsDiff(col2im, ref)).toBeLessThan(1e-4);
      expect(maxAbsDiff(transposed, ref)).toBeLessThan(1e-4);
      expect(maxAbsDiff(stock, ref)).toBeLessThan(1e-4);
      tf.dispose([dy, filter]);
    });
  }
});
