/**
 * Observed orders of convergence with fixed steps dt = 1/2^k (breaking points at the integers are stepped onto):
 * BS3 -> 3, DP5 -> 5, DOP853 -> 8. The method of steps keeps the order only if the continuous extension is accurate
 * enough (order q gives min(p, q + 1)), so this also checks the dense output inside the DDE.
 */
import { describe, expect, it } from "vitest";
import { bs3, dop853, dp5, solve, tsit5, type DDEMethod } from "./index.js";
import { lagOne, nonlinearScalar } from "./test/problems.js";

function orders(dts: number[], error: (dt: number) => number): number[] {
  const errs = dts.map(error);
  return errs.slice(1).map((e, i) => Math.log2(errs[i]! / e));
}

describe("observed order of convergence", () => {
  // reference: DOP853 with dt = 1/256 (agrees with adaptive DOP853 at 1e-14 to 5e-15)
  const ref = solve(nonlinearScalar(), { method: dop853(), dt: 1 / 256 }).eval(5)[0]!;
  const cases: [string, () => DDEMethod, number[], number][] = [
    ["bs3", bs3, [1 / 8, 1 / 16, 1 / 32, 1 / 64], 3],
    ["dp5", dp5, [1 / 8, 1 / 16, 1 / 32, 1 / 64], 5],
    ["tsit5", tsit5, [1 / 8, 1 / 16, 1 / 32, 1 / 64], 5],
    ["dop853", dop853, [1 / 2, 1 / 4, 1 / 8], 8],
  ];
  it.each(cases)("%s on y' = -2 y(t-1) sin y + cos t", (_n, m, dts, p) => {
    const obs = orders(dts, (dt) =>
      Math.abs(solve(nonlinearScalar(), { method: m(), dt }).eval(5)[0]! - ref),
    );
    expect(Math.abs(obs[obs.length - 1]! - p)).toBeLessThan(0.35);
  });

  it.each(cases.slice(0, 2))("%s on y' = -y(t-1) against the exact y(10)", (_n, m, dts, p) => {
    const exact = 10493 / 518400;
    const obs = orders(dts, (dt) => Math.abs(solve(lagOne(), { method: m(), dt }).eval(10)[0]! - exact));
    // the exact solution is a polynomial of degree k on [k-1, k]: low pieces are integrated exactly, so the order
    // shows up at least as p - 1 (DP5's quartic extension is exact up to degree 4)
    expect(obs[obs.length - 1]!).toBeGreaterThan(p - 1 - 0.3);
  });

  it("tolerance ladder: the error of the adaptive DP5 falls with the tolerance", () => {
    const exact = 10493 / 518400;
    const errs = [1e-4, 1e-6, 1e-8, 1e-10].map((tol) =>
      Math.abs(solve(lagOne(), { rtol: tol, atol: tol }).eval(10)[0]! - exact),
    );
    for (let i = 1; i < errs.length; i++) expect(errs[i]!).toBeLessThan(errs[i - 1]!);
    errs.forEach((e, i) => expect(e).toBeLessThan(100 * 10 ** (-4 - 2 * i)));
  });
});
