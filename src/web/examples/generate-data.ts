/**
 * Regenerates hutchinson-obs.csv for the playground's fit example: solve hutchinson-fit.yaml at the true parameters
 * (r = 1.4, K = 1, tau = 1), observe y every 0.5 time units and add N(0, 0.02^2) noise from a seeded generator.
 * Run: npx tsx src/web/examples/generate-data.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { solve } from "../../dde/index.js";
import { compileModel } from "../../model/compile.js";

const here = dirname(fileURLToPath(import.meta.url));
const text = readFileSync(join(here, "hutchinson-fit.yaml"), "utf8").replace(/^cost:[\s\S]*$/m, "");
const model = compileModel({ text, file: "hutchinson-fit.yaml", dir: here }).withParams({
  r: 1.4,
  K: 1,
  tau: 1,
});
const times = Array.from({ length: 31 }, (_, k) => k * 0.5);
const sol = solve(model.problem, { rtol: 1e-10, atol: 1e-12, saveat: times });
if (!sol.ok) throw new Error(`solve failed: ${sol.message}`);

// Park-Miller generator + Box-Muller: reproducible noise without dependencies.
let seed = 20261129;
const uniform = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());

const rows = times.map((t, k) => `${t},${(sol.y[0]![k]! + 0.02 * normal()).toFixed(5)}`);
writeFileSync(join(here, "hutchinson-obs.csv"), ["t,y", ...rows].join("\n") + "\n");
console.log(`wrote ${rows.length} observations`);
