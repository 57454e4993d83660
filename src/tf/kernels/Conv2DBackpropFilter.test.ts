/** The wasm weight-gradient kernels agree with the cpu backend's (tfjs's reference) on every geometry we support. */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { registerWasmKernels } from "./register.js";
import { simdModule } from "../simd/train-module.js";
import { setSimdMatMul } from "./BatchMatMul.js";
import { trainWasm } from "../simd/train.wasm.js";
import {
  setIm2colMaxPatch,
  setSimdFilterGrad,
  setWinogradFilterGrad,
  IM2COL_MAX_PATCH,
} from "./Conv2DBackpropFilter.js";

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

async function onBackend(name: string, fn: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(name);
  return tf.tidy(fn).data() as Promise<Float32Array>;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / scale;
}

beforeAll(async () => {
  registerWasmKernels();
  expect(await tf.setBackend("wasm")).toBe(true);
});

type Case = { x: number[]; f: number[]; stride: number; pad: "same" | "valid" | number };
const conv2dCases: Case[] = [
  { x: [3, 9, 9, 2], f: [3, 3, 2, 4], stride: 1, pad: "same" },
  { x: [2, 9, 8, 3], f: [3, 3, 3, 5], stride: 2, pad: "same" },
  { x: [2, 10, 10, 1], f: [3, 3, 1, 4], stride: 3, pad: "valid" },
  { x: [2, 11, 7, 2], f: [5, 2, 2, 3], stride: 2, pad: "valid" },
  { x: [1, 7, 7, 2], f: [3, 3, 2, 2], stride: 1, pad: 2 },
  // Output channels a multiple of 4: the SIMD kernel's geometry (blocks of 8 and 4 channels, 4 (kw, ci) entries
  // with a partial last block), incl. the bundled CNN's two layers and leftover rows under VALID.
  { x: [3, 9, 9, 2], f: [3, 3, 2, 12], stride: 1, pad: "same" },
  { x: [2, 9, 8, 3], f: [3, 3, 3, 8], stride: 2, pad: "same" },
  { x: [2, 11, 7, 5], f: [5, 2, 5, 4], stride: 2, pad: "valid" },
  { x: [2, 10, 9, 3], f: [3, 3, 3, 20], stride: 3, pad: 1 },
  { x: [4, 28, 28, 1], f: [3, 3, 1, 16], stride: 1, pad: "same" },
  { x: [4, 14, 14, 16], f: [3, 3, 16, 32], stride: 1, pad: "same" },
  // Winograd F(3x3, 2x2) (3x3 stride 1, ci % 4 == 0): odd output sizes (a half tile), VALID, explicit padding,
  // more tiles than one chunk.
  { x: [3, 9, 7, 4], f: [3, 3, 4, 8], stride: 1, pad: "same" },
  { x: [2, 10, 9, 8], f: [3, 3, 8, 12], stride: 1, pad: "valid" },
  { x: [2, 8, 8, 4], f: [3, 3, 4, 4], stride: 1, pad: 2 },
  { x: [6, 15, 15, 4], f: [3, 3, 4, 8], stride: 1, pad: "same" },
];

const strategies = [
  { strategy: "auto", patch: IM2COL_MAX_PATCH, simd: true, winograd: "auto" as const },
  { strategy: "Winograd where it applies", patch: IM2COL_MAX_PATCH, simd: true, winograd: "on" as const },
  { strategy: "direct SIMD", patch: IM2COL_MAX_PATCH, simd: true, winograd: "off" as const },
  { strategy: "transposed conv", patch: 0, simd: false, winograd: "off" as const },
  { strategy: "im2col", patch: Infinity, simd: false, winograd: "off" as const },
];

describe("Conv2DBackpropFilter (wasm)", () => {
  it("has its SIMD kernel on this runtime (else 'auto' would test a fallback)", async () => {
    await tf.setBackend("wasm");
    expect(simdModule(tf.backend(), "train", trainWasm)).not.toBeNull();
  });

  it.each(strategies.flatMap((s) => conv2dCases.map((c) => ({ ...s, ...c }))))(
    "$strategy matches cpu for x=$x f=$f stride=$stride pad=$pad",
    async (c) => {
      setIm2colMaxPatch(c.patch);
      setSimdFilterGrad(c.simd);
      setWinogradFilterGrad(c.winograd);
      const grad = () => {
        const x = rand(c.x, 1);
        const f = rand(c.f, 2);
        return tf.grad((w: tf.Tensor) =>
          tf
            .conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
            .square()
            .sum(),
        )(f);
      };
      const cpu = await onBackend("cpu", grad);
      const wasm = await onBackend("wasm", grad);
      setIm2colMaxPatch(IM2COL_MAX_PATCH);
      setSimdFilterGrad(true);
      setWinogradFilterGrad("auto");
      expect(wasm.length).toBe(cpu.length);
      expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
    },
  );

  it.each([
    [2, 3],
    [16, 3],
    [3, 8],
    [4, 8],
    [8, 128], // Winograd (auto: 1024 channel pairs)
  ])("leaks no tensors or heap data (%i input, %i output channels)", async (channels, out) => {
    await tf.setBackend("wasm");
    const x = rand([2, 6, 6, channels], 3) as tf.Tensor4D;
    const dy = rand([2, 6, 6, out], 4) as tf.Tensor4D;
    const run = () =>
      (
        tf
          .engine()
          .runKernel(
            "Conv2DBackpropFilter",
            { x, dy },
            { strides: 1, pad: "same", dataFormat: "NHWC", filterShape: [3, 3, channels, out] },
          ) as tf.Tensor
      ).dispose();
    run();
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    x.dispose();
    dy.dispose();
  });
});

describe("DepthwiseConv2dNativeBackpropFilter (wasm)", () => {
  it.each([
    { x: [2, 8, 8, 3], f: [3, 3, 3, 2], stride: 1, pad: "same" as const },
    { x: [2, 9, 9, 2], f: [3, 3, 2, 1], stride: 2, pad: "valid" as const },
  ])("matches cpu for x=$x f=$f stride=$stride pad=$pad", async (c) => {
    const grad = () => {
      const x = rand(c.x, 5);
      const f = rand(c.f, 6);
      return tf.grad((w: tf.Tensor) =>
        tf
          .depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
          .square()
          .sum(),
      )(f);
    };
    const cpu = await onBackend("cpu", grad);
    const wasm = await onBackend("wasm", grad);
    expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
  });
});

describe("BatchMatMul with transposes (wasm)", () => {
  // Small ones take the stock kernel; the large ones the SIMD GEMM (row tails of 1-3, column blocks of 8 and 4, K
  // over several chunks of 256, batches and broadcasting), checked with the GEMM on and off.
  it.each(
    [true, false].flatMap((simd) =>
      [
        { a: [5, 7], b: [6, 7], tA: false, tB: true },
        { a: [7, 5], b: [7, 6], tA: true, tB: false },
        { a: [7, 5], b: [6, 7], tA: true, tB: true },
        { a: [2, 7, 5], b: [2, 7, 6], tA: true, tB: false },
        { a: [3, 4], b: [4, 2], tA: false, tB: false },
        { a: [37, 600], b: [600, 20], tA: false, tB: false },
        { a: [600, 37], b: [600, 64], tA: true, tB: false },
        { a: [38, 300], b: [36, 300], tA: false, tB: true },
        { a: [2, 300, 39], b: [2, 28, 300], tA: true, tB: true },
        { a: [1, 50, 70], b: [3, 70, 40], tA: false, tB: false },
        { a: [3, 50, 70], b: [70, 40], tA: false, tB: false },
        { a: [64, 300], b: [300, 10], tA: false, tB: false },
      ].map((c) => ({ ...c, simd })),
    ),
  )("matches cpu for a=$a b=$b tA=$tA tB=$tB (SIMD GEMM $simd)", async (c) => {
    setSimdMatMul(c.simd);
    const mm = () => tf.matMul(rand(c.a, 7), rand(c.b, 8), c.tA, c.tB);
    const cpu = await onBackend("cpu", mm);
    const wasm = await onBackend("wasm", mm);
    setSimdMatMul(true);
    expect(wasm.length).toBe(cpu.length);
    expect(maxRelDiff(wasm, cpu)).toBeLessThan(1e-5);
  });

  it("leaks no tensors or heap data", async () => {
    await tf.setBackend("wasm");
    const a = rand([64, 300], 9);
    const b = rand([40, 300], 10);
    const run = () => tf.matMul(a, b, false, true).dispose();
    run();
    const before = tf.memory();
    const ids = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numBytes).toBe(before.numBytes);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    tf.dispose([a, b]);
  });
});
