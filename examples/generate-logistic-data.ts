/**
 * Writes examples/logistic-data.csv: the delayed logistic model of logistic-fit.yaml solved with the "true" parameters
 * r = 0.8, K = 2, tau = 1.6, observed at t = 0.5, 1, ..., 20 with Gaussian noise of standard deviation 0.05 (seeded, so
 * the file is reproducible). Run: npx tsx examples/generate-logistic-data.ts
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileModel, readModelSpec, solveModel } from "../src/index.js";
import { seededUniform } from "../src/random.js";

const here = dirname(fileURLToPath(import.meta.url));
export const TRUE_PARAMS = { r: 0.8, K: 2, tau: 1.6 };
const SIGMA = 0.05;

/** Seeded uniforms (mulberry32); Box-Muller for normal deviates. */
const rng = seededUniform;

const uniform = rng(2024);
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

// the model without its data term (that is the file we are about to write)
const model = compileModel({ ...readModelSpec(join(here, "logistic-fit.yaml")), cost: [] }).withParams(
  TRUE_PARAMS,
);
const times = Array.from({ length: 40 }, (_, k) => 0.5 * (k + 1));
const { solution } = solveModel(model, { at: times, rtol: 1e-10, atol: 1e-12 });
if (!solution.ok) throw new Error(`solve failed: ${solution.message}`);
const lines = ["t,N", ...times.map((t, k) => `${t},${(solution.y[0]![k]! + SIGMA * normal()).toFixed(5)}`)];
writeFileSync(join(here, "logistic-data.csv"), lines.join("\n") + "\n");
console.log(`wrote ${times.length} observations to examples/logistic-data.csv`);
