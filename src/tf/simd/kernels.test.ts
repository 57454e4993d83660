/**
 * gradopt's SIMD128 kernels (kernels.c) through the tfjs kernels that use them, against tfjs's cpu backend, with
 * SIMD on and off (the JS / stock fallbacks), shapes with channel tails, the tie and NaN rules, no leaked tensors,
 * and a heap that grows between calls (the module imports tfjs-wasm's memory, so it must see the new size).
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linfSignStep } from "../../attack/linf-step.js";
import { initBackend } from "../backend.js";
import { setWinogradConv, winogradConv2D } from "../kernels/Conv2D.js";
import { conv2dBias } from "../kernels/Conv2DBias.js";
import { reluMaxPool2x2 } from "../kernels/ReluMaxPool.js";
import type { WasmBackendLike } from "../kernels/Conv2DBackpropInput_util.js";
import { setSimdEnabled, simdKernels } from "./index.js";

/** f's output on the cpu backend and on wasm with SIMD on and off (inputs rebuilt from values on each backend). */
function onBackends(
  inputs: tf.Tensor[],
  f: (...xs: tf.Tensor[]) => tf.Tensor,
): { cpu: Float32Array; simd: Float32Array; plain: Float32Array } {
  const run = (backend: string, simd: boolean): Float32Array => {
    tf.setBackend(backend);
    setSimdEnabled(simd);
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const xs = inputs.map((t) => tf.tensor(t.dataSync(), t.shape, t.dtype));
      return f(...xs).dataSync() as Float32Array;
    });
    expect(tf.memory().numTensors).toBe(before);
    return out;
  };
  const cpu = run("cpu", true);
  const simd = run("wasm", true);
  const plain = run("wasm", false);
  setSimdEnabled(true);
  tf.setBackend("wasm");
  return { cpu, simd, plain };
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return m;
}

const randn = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

describe("SIMD128 kernels on tfjs-wasm's heap", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  afterAll(() => {
    setSimdEnabled(true);
    setWinogradConv(true);
    tf.setBackend("wasm");
  });

  it("load in Node (SIMD128 and the backend's memory are available)", () => {
    expect(simdKernels(tf.backend())).toBeDefined();
  });

  for (const [name, xShape, fShape, pad] of [
    ["3x3x1 -> 16, same", [3, 9, 8, 1], [3, 3, 1, 16], "same"],
    ["3x3x3 -> 32, valid", [2, 7, 9, 3], [3, 3, 3, 32], "valid"],
    ["5x5x1 -> 16, same (taps beyond a 3x3 body)", [2, 6, 7, 1], [5, 5, 1, 16], "same"],
    ["2x2x2 -> 16, same (asymmetric padding)", [2, 5, 6, 2], [2, 2, 2, 16], "same"],
  ] as const) {
    it(`Conv2D and its input gradient match cpu: ${name}`, () => {
      const x = randn([...xShape], 1);
      const w = randn([...fShape], 2);
      const fwd = onBackends([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad));
      expect(maxRelDiff(fwd.simd, fwd.cpu)).toBeLessThan(1e-5);
      expect(maxRelDiff(fwd.plain, fwd.cpu)).toBeLessThan(1e-5);
      // 3x3 with one input channel takes Winograd by default: the direct first-layer kernel too.
      setWinogradConv(false);
      const direct = onBackends([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad));
      setWinogradConv(true);
      expect(maxRelDiff(direct.simd, fwd.cpu)).toBeLessThan(1e-5);
      const dyShape = tf.tidy(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad).shape);
      const dy = randn(dyShape, 3);
      const bwd = onBackends([dy, w], (d, b) =>
        tf.conv2dTranspose(d as tf.Tensor4D, b as tf.Tensor4D, [...xShape] as never, 1, pad),
      );
      expect(maxRelDiff(bwd.simd, bwd.cpu)).toBeLessThan(1e-5);
      expect(maxRelDiff(bwd.plain, bwd.cpu)).toBeLessThan(1e-5);
      tf.dispose([x, w, dy]);
    });
  }

  for (const [name, xShape, fShape, pad] of [
    ["[3, 14, 14, 16] * [3, 3, 16, 32], same", [3, 14, 14, 16], [3, 3, 16, 32], "same"],
    ["odd sizes (partial tiles): [2, 7, 9, 8] * [3, 3, 8, 8], same", [2, 7, 9, 8], [3, 3, 8, 8], "same"],
    ["valid: [2, 9, 6, 4] * [3, 3, 4, 24]", [2, 9, 6, 4], [3, 3, 4, 24], "valid"],
    [
      "a chunk boundary (70 tiles, a remainder block): [5, 7, 8, 4] * [3, 3, 4, 8]",
      [5, 7, 8, 4],
      [3, 3, 4, 8],
      "same",
    ],
    ["one input channel, odd sizes: [2, 7, 9, 1] * [3, 3, 1, 12], same", [2, 7, 9, 1], [3, 3, 1, 12], "same"],
    ["one input channel, valid: [2, 8, 7, 1] * [3, 3, 1, 4]", [2, 8, 7, 1], [3, 3, 1, 4], "valid"],
  ] as const) {
    it(`Winograd F(2x2, 3x3) Conv2D and the input gradient through it match cpu: ${name}`, () => {
      const x = randn([...xShape], 15);
      const w = randn([...fShape], 16);
      const fwd = onBackends([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad));
      setWinogradConv(false);
      const xnnpack = onBackends([x, w], (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad));
      setWinogradConv(true);
      expect(maxRelDiff(fwd.simd, fwd.cpu)).toBeLessThan(2e-5);
      expect(maxRelDiff(xnnpack.simd, fwd.cpu)).toBeLessThan(2e-5);
      // Conv2DBackpropInput runs a Conv2D of dy with the flipped filter: Winograd too where channels allow.
      const dyShape = tf.tidy(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, pad).shape);
      const dy = randn(dyShape, 17);
      const bwd = onBackends([dy, w], (d, b) =>
        tf.conv2dTranspose(d as tf.Tensor4D, b as tf.Tensor4D, [...xShape] as never, 1, pad),
      );
      expect(maxRelDiff(bwd.simd, bwd.cpu)).toBeLessThan(2e-5);
      tf.dispose([x, w, dy]);
    });
  }

  for (const ci of [8, 1]) {
    it(`Winograd with a fused bias and relu (for fused kernels) matches cpu's conv2d + bias + relu: ${ci} input channel(s)`, () => {
      const x = randn([2, 9, 8, ci], 18);
      const w = randn([3, 3, ci, 16], 19);
      const bias = randn([16], 20);
      const ref = onBackends([x, w, bias], (a, b, c) =>
        tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), c)),
      ).cpu;
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const info = tf.backend_util.computeConv2DInfo([2, 9, 8, ci], [3, 3, ci, 16], 1, 1, "same");
        const out = winogradConv2D(tf.backend() as unknown as WasmBackendLike, x, w, info, bias, true);
        expect(out).not.toBeNull();
        return tf.engine().makeTensorFromTensorInfo(out!).dataSync() as Float32Array;
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(maxRelDiff(got, ref)).toBeLessThan(2e-5);
      expect(got.some((v) => v === 0)).toBe(true); // the relu clipped something
      tf.dispose([x, w, bias]);
    });
  }

  it("Conv2D input gradient with output channels not a multiple of 16 (remainder loops)", () => {
    const dy = randn([2, 6, 6, 21], 4);
    const w = randn([3, 3, 2, 21], 5);
    const r = onBackends([dy, w], (d, b) =>
      tf.conv2dTranspose(d as tf.Tensor4D, b as tf.Tensor4D, [2, 6, 6, 2], 1, "same"),
    );
    expect(maxRelDiff(r.simd, r.cpu)).toBeLessThan(1e-5);
  });

  for (const shape of [
    [3, 8, 10, 16],
    [2, 7, 9, 6], // odd size (uncovered last row/column) and a channel tail
  ]) {
    it(`MaxPool 2x2 and its gradient match cpu exactly: [${shape.join(", ")}]`, () => {
      const x = randn(shape, 6);
      const fwd = onBackends([x], (a) => tf.maxPool(a as tf.Tensor4D, 2, 2, "valid"));
      expect(Array.from(fwd.simd)).toEqual(Array.from(fwd.cpu));
      const outShape = tf.tidy(() => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid").shape);
      const w = randn(outShape, 7);
      const g = onBackends([x, w], (a, b) =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 2, 2, "valid"), b)))(a),
      );
      expect(Array.from(g.simd)).toEqual(Array.from(g.cpu));
      expect(Array.from(g.plain)).toEqual(Array.from(g.cpu));
      tf.dispose([x, w]);
    });
  }

  it("MaxPool gradient: ties go to the first maximum, NaN is skipped, in vector lanes and in the tail", () => {
    // 5 channels: four in one SIMD vector, one in the scalar tail; the same window pattern in every channel.
    const win = [
      [1, 1, 1, 1],
      [0, 2, 2, 1],
      [NaN, 0, 3, 3],
      [-1, -1, -2, -1],
      [NaN, NaN, NaN, NaN],
    ];
    const values: number[] = [];
    for (let pos = 0; pos < 4; pos++) for (const pattern of win) values.push(...Array(1).fill(pattern[pos]!));
    // Layout [1, 2, 2, 5]: position-major, channel innermost.
    const x = tf.tensor4d(values, [1, 2, 2, 5]);
    const w = tf.tensor4d([1, 2, 3, 4, 5], [1, 1, 1, 5]);
    const g = onBackends([x, w], (a, b) =>
      tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(xx as tf.Tensor4D, 2, 2, "valid"), b)))(a),
    );
    expect(Array.from(g.simd)).toEqual(Array.from(g.cpu));
    expect(Array.from(g.plain)).toEqual(Array.from(g.cpu));
    tf.dispose([x, w]);
  });

  for (const [name, xShape, fShape, strides, pad] of [
    ["Winograd: [2, 7, 9, 8] * [3, 3, 8, 16], same", [2, 7, 9, 8], [3, 3, 8, 16], [1, 1], "same"],
    ["one input channel: [2, 6, 5, 1] * [3, 3, 1, 16], valid", [2, 6, 5, 1], [3, 3, 1, 16], [1, 1], "valid"],
    ["XNNPACK + Add: stride 2, [2, 9, 8, 3] * [3, 3, 3, 5]", [2, 9, 8, 3], [3, 3, 3, 5], [2, 2], "same"],
  ] as const) {
    it(`conv2d + bias as one op: values and all three gradients match cpu's conv2d then add: ${name}`, () => {
      const x = randn([...xShape], 23);
      const w = randn([...fShape], 24);
      const b = randn([fShape[3]], 25);
      const v = randn(
        tf.tidy(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [...strides], pad).shape),
        26,
      );
      type Op = (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor) => tf.Tensor;
      const ours: Op = (a, f, c) => conv2dBias(a as tf.Tensor4D, f as tf.Tensor4D, c, [...strides], pad);
      const theirs: Op = (a, f, c) =>
        tf.add(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, [...strides], pad), c);
      const fwd = onBackends([x, w, b], ours);
      const ref = onBackends([x, w, b], theirs);
      expect(maxRelDiff(fwd.simd, ref.cpu)).toBeLessThan(2e-5);
      expect(Array.from(fwd.simd)).toEqual(Array.from(ref.simd)); // exactly conv2d then add on wasm
      for (const k of [0, 1, 2]) {
        const grad = (op: Op) => (a: tf.Tensor, f: tf.Tensor, c: tf.Tensor, vv: tf.Tensor) =>
          tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(op(p, q, r), vv)))([a, f, c])[
            k
          ]!;
        const g = onBackends([x, w, b, v], grad(ours));
        const gRef = onBackends([x, w, b, v], grad(theirs));
        expect(maxRelDiff(g.simd, gRef.cpu)).toBeLessThan(1e-4);
      }
      tf.dispose([x, w, b, v]);
    });
  }

  it("conv2d + bias: an input gradient alone computes no filter or bias gradient", async () => {
    const x = randn([2, 6, 6, 4], 27);
    const w = randn([3, 3, 4, 8], 28);
    const b = randn([8], 29);
    const prof = await tf.profile(() =>
      tf.dispose(
        tf.grad((xx: tf.Tensor) =>
          tf.sum(conv2dBias(xx as tf.Tensor4D, w as tf.Tensor4D, b, [1, 1], "same")),
        )(x),
      ),
    );
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain("GradoptConv2DBias");
    expect(names).toContain("Conv2DBackpropInput");
    expect(names).not.toContain("Conv2DBackpropFilter");
    expect(names.filter((n) => n === "Sum").length).toBe(1); // the loss's own sum, no bias gradient
    tf.dispose([x, w, b]);
  });

  for (const shape of [
    [3, 8, 10, 16],
    [2, 7, 9, 6], // odd size and a channel tail
  ]) {
    it(`relu + 2x2 max pooling as one op, and its gradient, match cpu's relu then maxPool: [${shape.join(", ")}]`, () => {
      const x = randn(shape, 21);
      const fwd = onBackends([x], (a) => reluMaxPool2x2(a as tf.Tensor4D));
      const ref = onBackends([x], (a) => tf.maxPool(tf.relu(a as tf.Tensor4D), 2, 2, "valid"));
      expect(Array.from(fwd.simd)).toEqual(Array.from(ref.cpu));
      expect(Array.from(fwd.plain)).toEqual(Array.from(ref.cpu));
      const outShape = tf.tidy(() => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid").shape);
      const w = randn(outShape, 22);
      const g = onBackends([x, w], (a, b) =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(reluMaxPool2x2(xx as tf.Tensor4D), b)))(a),
      );
      const gRef = onBackends([x, w], (a, b) =>
        tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(xx as tf.Tensor4D), 2, 2, "valid"), b)))(
          a,
        ),
      );
      expect(Array.from(g.simd)).toEqual(Array.from(gRef.cpu).map((v) => v + 0));
      expect(Array.from(g.plain)).toEqual(Array.from(gRef.cpu));
      tf.dispose([x, w]);
    });
  }

  for (const [name, xShape, bShape] of [
    ["conv bias [n, h, w, 16] + [16]", [4, 12, 12, 16], [16]],
    ["dense bias [n, 10] + [1, 10] (remainder channels)", [700, 10], [1, 10]],
    ["bias first: [32] + [n, 8, 8, 32]", [32], [4, 8, 8, 32]],
  ] as const) {
    it(`bias Add matches cpu exactly: ${name}`, () => {
      const a = randn([...xShape], 8);
      const b = randn([...bShape], 9);
      const r = onBackends([a, b], (p, q) => tf.add(p, q));
      expect(Array.from(r.simd)).toEqual(Array.from(r.cpu));
      tf.dispose([a, b]);
    });
  }

  it("Relu's gradient in one kernel matches cpu (NaN and inf included) and has a second-order gradient", () => {
    const xs = [-2, -0.5, 0, -0, 0.25, 3, NaN, 1, -1, Infinity, 2, 5, 1];
    const dys = [1, 2, 3, 4, 5, 6, 7, Infinity, Infinity, 1, NaN, -1, -0];
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(dys);
    const r = onBackends([x, dy], (a, d) => tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.relu(xx), d)))(a));
    expect(Array.from(r.simd)).toEqual(Array.from(r.cpu));
    // d/dx of sum(relu'(x) * v * x): relu'(x) * v (the gradient of the gradient kernel w.r.t. its dy).
    const second = onBackends([x, dy], (a, d) =>
      tf.grad((xx: tf.Tensor) =>
        tf.sum(tf.mul(tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.relu(z), xx)))(a), d)),
      )(tf.onesLike(a)),
    );
    expect(Array.from(second.simd)).toEqual(Array.from(second.cpu));
    tf.dispose([x, dy]);
  });

  it("the projected L-inf sign step matches the composite bit for bit (cpu, and wasm without SIMD)", () => {
    const shape = [3, 7, 5, 3]; // 315 values: a scalar tail
    const x0 = tf.randomUniform(shape, 0, 1, "float32", 10);
    const x = tf.tidy(() =>
      tf.clipByValue(tf.add(x0, tf.randomUniform(shape, -0.1, 0.1, "float32", 11)), 0, 1),
    );
    const g = tf.tidy(() =>
      tf.where(tf.less(tf.randomUniform(shape, 0, 1, "float32", 12), 0.2), 0, randn(shape, 13)),
    );
    for (const [alpha, eps] of [
      [0.025, 0.1],
      [0.3, 0.3],
      [1 / 255, 8 / 255],
    ] as const) {
      const r = onBackends([x, g, x0], (a, b, c) => linfSignStep(a, b, c, alpha, eps, 0, 1));
      expect(Array.from(r.simd)).toEqual(Array.from(r.cpu));
      expect(Array.from(r.plain)).toEqual(Array.from(r.cpu));
    }
    tf.dispose([x0, x, g]);
  });

  it("sign: exact in vector lanes and in the tail, with SIMD on and off", () => {
    const xs = [1e-30, -1e-30, 1e-8, -1e-7, 1.5e-7, 2e-7, 0, -0, 3, -4, NaN, Infinity, -Infinity];
    const r = onBackends([tf.tensor1d(xs)], (a) => tf.sign(a));
    expect(Array.from(r.simd)).toEqual(Array.from(r.cpu).map((v) => v + 0));
    expect(Array.from(r.plain)).toEqual(Array.from(r.cpu).map((v) => v + 0));
  });

  it("keeps working after tfjs-wasm's heap grows (the module shares the memory, not a copy of it)", () => {
    const x = randn([2, 8, 8, 16], 14);
    const before = tf.tidy(() => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid").dataSync());
    const buffer = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
    const big = tf.zeros([buffer.byteLength / 4 + (1 << 20)]); // more than the heap holds: it must grow
    expect((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer).not.toBe(buffer);
    const after = tf.tidy(() => tf.maxPool(x as tf.Tensor4D, 2, 2, "valid").dataSync());
    expect(Array.from(after)).toEqual(Array.from(before));
    tf.dispose([x, big]);
  });
});
