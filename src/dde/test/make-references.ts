/**
 * Regenerates the computed reference values of references.test.ts: `npx tsx src/dde/test/make-references.ts`.
 * Each problem is solved three ways — DOP853 at rtol = atol = 1e-13, DP5 at 1e-13 (a different pair) and DOP853 with
 * a fixed step of 1/64 (no error control) — and the largest disagreement is printed next to the values.
 */
import { dop853, dp5, solve } from "../index.js";
import type { DDEProblem } from "../types.js";
import { enzymeKinetics, hairerInfection, mackeyGlass } from "./problems.js";

const cases: [string, DDEProblem, number[]][] = [
  ["Hairer infection", hairerInfection(), [10, 20, 30, 40]],
  ["enzyme kinetics", enzymeKinetics(), [20, 40, 80, 160]],
  ["Mackey-Glass", mackeyGlass(100), [50, 100]],
];
for (const [name, prob, times] of cases) {
  const a = solve(prob, { method: dop853(), rtol: 1e-13, atol: 1e-13 });
  const b = solve(prob, { method: dp5(), rtol: 1e-13, atol: 1e-13, maxSteps: 1e7 });
  const c = solve(prob, { method: dop853(), dt: 1 / 64 });
  console.log(`${name}: ${a.status} (${a.stats.steps} steps)`);
  for (const t of times) {
    const ya = a.eval(t);
    const spread = Math.max(
      ...Array.from(ya).flatMap((v, i) => [Math.abs(b.eval(t)[i]! - v), Math.abs(c.eval(t)[i]! - v)]),
    );
    console.log(
      `  [${t}, [${Array.from(ya)
        .map((v) => v.toPrecision(16))
        .join(", ")}]],  // spread ${spread.toExponential(1)}`,
    );
  }
}
