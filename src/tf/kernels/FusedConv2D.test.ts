/** The SIMD FusedConv2D agrees with the cpu backend (tfjs's reference) and falls back where it does not apply. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { setSimdConv2D } from "./FusedConv2D.js";

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / scale;
}

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
});

type Case = {
  x: number[];
  f: number[];
  stride: number;
  pad: "same" | "valid" | number;
  act: "linear" | "relu" | "elu";
  bias: boolean;
};
// Pixel tails of 1-3 per row, channel blocks of 8 and 4, strides, VALID with leftover rows, and fallbacks (6 output
// channels, elu).
const cases: Case[] = [
  { x: [2, 14, 14, 16], f: [3, 3, 16, 32], stride: 1, pad: "same", act: "linear", bias: true },
  { x: [3, 9, 9, 2], f: [3, 3, 2, 12], stride: 1, pad: "same", act: "relu", bias: true },
  { x: [2, 9, 7, 3], f: [3, 3, 3, 8], stride: 2, pad: "same", act: "relu", bias: false },
  { x: [2, 11, 10, 5], f: [5, 2, 5, 4], stride: 2, pad: "valid", act: "linear", bias: true },
  { x: [2, 10, 9, 3], f: [3, 3, 3, 20], stride: 3, pad: 1, act: "relu", bias: true },
  { x: [2, 28, 28, 1], f: [3, 3, 1, 16], stride: 1, pad: "same", act: "linear", bias: true },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 6], stride: 1, pad: "same", act: "relu", bias: true },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 8], stride: 1, pad: "same", act: "elu", bias: true },
];

function run(c: Case, backend: string): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomUniform(c.x as [number, number, number, number], -1, 1, "float32", 1) as tf.Tensor4D;
    const f = tf.randomUniform(c.f as [number, number, number, number], -1, 1, "float32", 2) as tf.Tensor4D;
    const bias = c.bias ? tf.randomUniform([c.f[3]!], -1, 1, "float32", 3) : undefined;
    return tf.fused
      .conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias, activation: c.act })
      .dataSync();
  }) as Float32Array;
}

describe("FusedConv2D (wasm)", () => {
  it.each(cases.flatMap((c) => [true, false].map((simd) => ({ ...c, simd }))))(
    "matches cpu: x=$x f=$f stride=$stride pad=$pad $act bias=$bias (SIMD $simd)",
    (c) => {
      setSimdConv2D(c.simd);
      const cpu = run(c, "cpu");
      const wasm = run(c, "wasm");
      setSimdConv2D(true);
      expect(wasm.length).toBe(cpu.length);
      expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
    },
  );

  it("keeps gradients through tfjs-layers' Conv2D (bias, then relu) equal to cpu's", () => {
    const grads = (backend: string) => {
      tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomUniform([2, 10, 10, 4], -1, 1, "float32", 4) as tf.Tensor4D;
        const f = tf.randomUniform([3, 3, 4, 8], -1, 1, "float32", 5) as tf.Tensor4D;
        const b = tf.randomUniform([8], -1, 1, "float32", 6);
        const g = tf.grads((xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) =>
          tf.fused
            .conv2d({
              x: xx as tf.Tensor4D,
              filter: ff as tf.Tensor4D,
              strides: 1,
              pad: "same",
              bias: bb,
              activation: "relu",
            })
            .square()
            .sum(),
        )([x, f, b]);
        return g.map((t) => t.dataSync() as Float32Array);
      });
    };
    const cpu = grads("cpu");
    const wasm = grads("wasm");
    for (let i = 0; i < 3; i++) expect(maxRelDiff(wasm[i]!, cpu[i]!)).toBeLessThan(1e-5);
  });

  it("leaks no tensors or heap data", () => {
    tf.setBackend("wasm");
    const x = tf.randomUniform([2, 9, 9, 8]) as tf.Tensor4D;
    const f = tf.randomUniform([3, 3, 8, 16]) as tf.Tensor4D;
    const bias = tf.zeros([16]);
    const once = () =>
      tf.fused.conv2d({ x, filter: f, strides: 1, pad: "same", bias, activation: "relu" }).dispose();
    once();
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) once();
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    tf.dispose([x, f, bias]);
  });
});
