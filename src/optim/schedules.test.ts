import { describe, expect, it } from "vitest";
import {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecaySchedule,
  joinSchedules,
  linearSchedule,
  scaleByLearningRate,
  stepSchedule,
  warmupCosineDecaySchedule,
  warmupSchedule,
} from "./index.js";

describe("schedules, checked against hand-computed values", () => {
  it("constant", () => {
    expect(constantSchedule(0.3)(0)).toBe(0.3);
    expect(constantSchedule(0.3)(1e6)).toBe(0.3);
  });

  it("step decay: every k steps, or at boundaries", () => {
    const s = stepSchedule(1, { every: 10, rate: 0.5 });
    expect([s(0), s(9), s(10), s(25)]).toEqual([1, 1, 0.5, 0.25]);
    const b = stepSchedule(2, { boundaries: [5, 3], rate: 0.1 });
    expect(b(2)).toBe(2);
    expect(b(3)).toBeCloseTo(0.2, 15);
    expect(b(5)).toBeCloseTo(0.02, 15);
    expect(() => stepSchedule(1, { rate: 0.5 })).toThrow(/every/);
  });

  it("exponential and linear", () => {
    expect(exponentialDecaySchedule(1, 0.5, 10)(20)).toBeCloseTo(0.25, 15);
    const l = linearSchedule(1, 0, 4);
    expect([l(0), l(1), l(4), l(9)]).toEqual([1, 0.75, 0, 0]);
  });

  it("cosine decay: init at 0, mean at the half, alpha·init at the end and after", () => {
    const c = cosineDecaySchedule(2, 100, 0.1);
    expect(c(0)).toBeCloseTo(2, 15);
    expect(c(50)).toBeCloseTo(0.2 + 0.9 * 2 * 0.5, 12); // (1 − α) · ½ · init + α · init = 1.1
    expect(c(100)).toBeCloseTo(0.2, 12);
    expect(c(500)).toBeCloseTo(0.2, 12);
  });

  it("warm-up then decay", () => {
    const w = warmupSchedule(1, 4, constantSchedule(0.5));
    expect([w(0), w(1), w(2), w(4), w(10)]).toEqual([0, 0.25, 0.5, 0.5, 0.5]);
    const wc = warmupCosineDecaySchedule(0, 1, 10, 110, 0.1);
    expect(wc(5)).toBeCloseTo(0.5, 15);
    expect(wc(10)).toBeCloseTo(1, 15);
    expect(wc(60)).toBeCloseTo(0.1 + 0.9 * 0.5, 12);
    expect(wc(110)).toBeCloseTo(0.1, 12);
  });

  it("join", () => {
    const j = joinSchedules([constantSchedule(1), linearSchedule(1, 0, 10)], [5]);
    expect([j(4), j(5), j(10)]).toEqual([1, 1, 0.5]);
  });

  it("drives scaleByLearningRate by the step count", () => {
    const t = scaleByLearningRate(stepSchedule(1, { every: 2, rate: 0.1 }));
    let s = t.init(new Float64Array(1));
    const seen: number[] = [];
    for (let k = 0; k < 5; k++) {
      let u: Float64Array;
      [u, s] = t.update(Float64Array.of(1), s);
      seen.push(u[0]!);
    }
    expect(seen.map((v) => +v.toPrecision(12))).toEqual([-1, -1, -0.1, -0.1, -0.01]);
  });
});
