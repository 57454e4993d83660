import { describe, expect, it } from "vitest";
import { moreThuente } from "./index.js";
import { armijoBacktrack } from "./linesearch/armijo.js";

/**
 * The test functions of Moré & Thuente (1994), Section 5: φ1(α) = −α/(α² + β) (β = 2), φ2(α) = (α + β)^5 − 2(α + β)^4
 * (β = 0.004), φ3 (a wiggly perturbation of 1 − α with l = 39, β = 0.01), and φ4-6 of Yanai, Ozawa & Kaneko. Each is
 * run from α0 ∈ {1e-3, 1e-1, 1e1, 1e3} and the strong Wolfe conditions are checked at the returned step.
 */
type Phi = (a: number) => [number, number];
const phi1: Phi = (a) => [-a / (a * a + 2), (a * a - 2) / (a * a + 2) ** 2];
const phi2: Phi = (a) => {
  const b = 0.004;
  return [(a + b) ** 5 - 2 * (a + b) ** 4, 5 * (a + b) ** 4 - 8 * (a + b) ** 3];
};
const phi3: Phi = (a) => {
  const beta = 0.01;
  const l = 39;
  const base =
    a <= 1 - beta
      ? [1 - a, -1]
      : a >= 1 + beta
        ? [a - 1, 1]
        : [(a - 1) ** 2 / (2 * beta) + beta / 2, (a - 1) / beta];
  const w = (2 * (1 - beta)) / (l * Math.PI);
  return [
    base[0]! + w * Math.sin((l * Math.PI * a) / 2),
    base[1]! + (1 - beta) * Math.cos((l * Math.PI * a) / 2),
  ];
};
const yanai = (b1: number, b2: number): Phi => {
  const g = (b: number) => Math.sqrt(1 + b * b) - b;
  return (a) => {
    const s1 = Math.sqrt((1 - a) ** 2 + b2 * b2);
    const s2 = Math.sqrt(a * a + b1 * b1);
    return [g(b1) * s1 + g(b2) * s2, (-g(b1) * (1 - a)) / s1 + (g(b2) * a) / s2];
  };
};
const FUNCTIONS: [string, Phi, number, number][] = [
  ["phi1", phi1, 1e-3, 0.1],
  ["phi2", phi2, 0.1, 0.1],
  ["phi3", phi3, 0.1, 0.1],
  ["phi4", yanai(0.001, 0.001), 0.001, 0.001],
  ["phi5", yanai(0.01, 0.001), 0.001, 0.001],
  ["phi6", yanai(0.001, 0.01), 0.001, 0.001],
];

describe("Moré-Thuente line search on the paper's test functions", () => {
  for (const [name, phi, ftol, gtol] of FUNCTIONS) {
    it.each([1e-3, 1e-1, 1e1, 1e3])(`${name} from α0 = %d satisfies the strong Wolfe conditions`, (a0) => {
      const [f0, g0] = phi(0);
      const r = moreThuente(
        (a, p) => {
          [p.f, p.dg] = phi(a);
        },
        f0,
        g0,
        a0,
        { ftol, gtol, xtol: 1e-10, maxEvals: 40 },
      );
      expect(r.status).toBe("converged");
      expect(r.f).toBeLessThanOrEqual(f0 + ftol * r.stp * g0);
      expect(Math.abs(r.dg)).toBeLessThanOrEqual(gtol * Math.abs(g0));
      expect(r.evaluations).toBeLessThanOrEqual(20);
    });
  }

  it("phi1 from 1e-3 ends at the paper's step 1.4 (±0.05) and refuses an ascent direction", () => {
    const [f0, g0] = phi1(0);
    const r = moreThuente((a, p) => ([p.f, p.dg] = phi1(a)) && undefined, f0, g0, 1e-3, {
      ftol: 1e-3,
      gtol: 0.1,
    });
    expect(r.stp).toBeGreaterThan(1.35);
    expect(r.stp).toBeLessThan(1.45);
    expect(moreThuente(() => undefined, 0, 1, 1).status).toBe("not_descent");
  });

  it("backs off from trial steps where φ is not finite", () => {
    // φ(α) = (α − 1)², undefined beyond α = 1.5
    const r = moreThuente(
      (a, p) => {
        if (a > 1.5) [p.f, p.dg] = [NaN, NaN];
        else [p.f, p.dg] = [(a - 1) ** 2, 2 * (a - 1)];
      },
      1,
      -2,
      100,
    );
    expect(r.sufficientDecrease).toBe(true);
    expect(r.stp).toBeLessThanOrEqual(1.5);
    expect(r.f).toBeLessThan(1);
  });
});

describe("Armijo backtracking", () => {
  it("halves until sufficient decrease (hand-computed on φ(α) = (α − 1)², slope −2)", () => {
    const r = armijoBacktrack((a) => [(a - 1) ** 2, -2 * a], 1, 8);
    // α = 8: 49 > 1; 4: 9; 2: 1 (not < 1); 1: 0 ≤ 1 − 2e-4 → accepted after 4 trials
    expect(r).toMatchObject({ accepted: true, alpha: 1, f: 0, evaluations: 4 });
    expect(armijoBacktrack(() => [Infinity, -1], 0, 1, { maxBacktracks: 3 }).accepted).toBe(false);
  });
});
