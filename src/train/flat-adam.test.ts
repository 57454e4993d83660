/** FlatAdam reproduces tf.train.adam bit for bit (the data-parallel step relies on it for its numbers). */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { mulberry32 } from "./rng.js";
import { FlatAdam, setSimdFlatAdam } from "./flat-adam.js";

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
});

describe("FlatAdam", () => {
  it.each([
    { name: "wasm", simd: true },
    { name: "wasm", simd: false },
    { name: "cpu", simd: true },
  ])(
    "gives tf.train.adam's weights exactly on $name over changing learning rates (SIMD kernel $simd)",
    async ({ name, simd }) => {
      setSimdFlatAdam(simd);
      await tf.setBackend(name);
      const rng = mulberry32(5);
      const sizes = [37, 300, 4, 1]; // vector blocks of 4 and scalar tails
      const scales = [1, 1e-4, 30, 3];
      const init = sizes.map((n) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1));
      const vars = init.map((w) => tf.variable(tf.tensor1d(w)));
      const optimizer = tf.train.adam(1e-3);
      const flat = new FlatAdam(sizes, { epsilon: tf.backend().epsilon() });
      const weights = init.map((w) => w.slice());
      for (let step = 0; step < 6; step++) {
        const lr = [1e-3, 3e-2, 2e-5][step % 3]!;
        // Gradients with zeros, tiny and large values (bias correction and epsilon both matter).
        const grads = sizes.map((n, k) =>
          Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : (rng.next() - 0.5) * scales[k]!)),
        );
        (optimizer as unknown as { learningRate: number }).learningRate = lr;
        tf.tidy(() =>
          optimizer.applyGradients(vars.map((v, k) => ({ name: v.name, tensor: tf.tensor1d(grads[k]!) }))),
        );
        flat.step(weights, grads, lr);
      }
      // The path under test ran (the SIMD kernel's state exists only on that path).
      expect((flat as unknown as { simd: unknown }).simd !== null).toBe(simd);
      for (let k = 0; k < sizes.length; k++) {
        const expected = vars[k]!.dataSync() as Float32Array;
        expect(Array.from(weights[k]!)).toEqual(Array.from(expected));
      }
      optimizer.dispose();
      tf.dispose(vars);
      setSimdFlatAdam(true);
      await tf.setBackend("wasm");
    },
  );

  it("rejects arrays of the wrong layout", () => {
    const flat = new FlatAdam([3]);
    expect(() => flat.step([new Float32Array(2)], [new Float32Array(2)], 1e-3)).toThrow(/weight 0/);
    expect(() => flat.step([], [], 1e-3)).toThrow(/1 weight/);
  });
});
