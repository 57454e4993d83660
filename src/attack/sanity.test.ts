import { describe, expect, it } from "vitest";
import { emptyStats } from "./base.js";
import {
  iterativeWeakerWarning,
  lossNotRisingWarning,
  nonMonotoneWarning,
  zeroGradientWarning,
} from "./sanity.js";

describe("sanity checks", () => {
  it("flag an iterative attack weaker than one step", () => {
    expect(iterativeWeakerWarning("pgd", [0.1, 0.2], [0.5, 0.9], [0.4, 0.8])).toBeUndefined();
    expect(iterativeWeakerWarning("pgd", [0.1, 0.2], [0.3, 0.9], [0.4, 0.8])).toMatch(
      /eps 0.1: 30.0% vs 40.0%.*gradient masking/,
    );
  });

  it("flag success that falls as eps grows, in eps order", () => {
    expect(nonMonotoneWarning([0.2, 0.1], [0.9, 0.5])).toBeUndefined();
    expect(nonMonotoneWarning([0.1, 0.2], [0.6, 0.4])).toMatch(/60.0% at eps 0.1 -> 40.0% at eps 0.2/);
  });

  it("flag zero gradients and a loss that does not rise", () => {
    const s = emptyStats();
    expect(zeroGradientWarning(s)).toBeUndefined();
    Object.assign(s, {
      gradientEntries: 100,
      zeroGradientEntries: 10,
      gradientSamples: 4,
      zeroGradientSamples: 1,
    });
    expect(zeroGradientWarning(s)).toMatch(/25.0% of inputs have an exactly-zero input gradient/);
    Object.assign(s, { zeroGradientSamples: 0, zeroGradientEntries: 80 });
    expect(zeroGradientWarning(s)).toMatch(/80.0% of input-gradient entries/);
    Object.assign(s, { lossFirst: 10, lossLast: 4, lossSamples: 2 });
    expect(lossNotRisingWarning(s, "bim")).toMatch(/fell from 5.000 to 2.000/);
    Object.assign(s, { lossLast: 12 });
    expect(lossNotRisingWarning(s, "bim")).toBeUndefined();
  });
});
