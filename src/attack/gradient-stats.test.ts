import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { emptyStats, recordGradientStats } from "./base.js";

describe("recordGradientStats", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  it("counts zero entries and all-zero samples the same on the host and with device reductions", () => {
    // Three samples of 2x2x1: one all zero (with a -0), one with two zeros, one with none (NaN is not zero).
    const grad = tf.tensor4d([0, -0, 0, 0, 1, 0, -2, 0, NaN, 3, -1e-30, 5], [3, 2, 2, 1]);
    for (const backend of ["wasm", "cpu"]) {
      tf.setBackend(backend);
      const g = tf.tensor(grad.dataSync(), grad.shape);
      const before = tf.memory().numTensors;
      const host = emptyStats();
      const device = emptyStats();
      recordGradientStats(host, g);
      recordGradientStats(device, g, true);
      expect(tf.memory().numTensors).toBe(before);
      expect(host).toEqual(device);
      expect(host.zeroGradientEntries).toBe(6);
      expect(host.zeroGradientSamples).toBe(1);
      expect(host.gradientEntries).toBe(12);
      expect(host.gradientSamples).toBe(3);
      g.dispose();
    }
    tf.setBackend("wasm");
    grad.dispose();
  });
});
