/**
 * Measures a bundled classifier and records the numbers in its model.json metadata (userDefinedMetadata.gradopt.eval):
 * clean accuracy on the full Fashion-MNIST test set (10,000 images) and on the bundled subset, and accuracy under
 * PGD-40 (L-inf, eps 0.1, step 0.01, uniform random start, true labels) on the first N test images, built from
 * src/attack's PGD steps (src/train/adversarial.ts) and scored on the last iterate. Random starts are seeded per
 * worker, so the figure depends on the worker count (default: one per core), which is recorded with it.
 * Run: `npx tsx scripts/eval-bundled.ts models/fashion-cnn [N=2000] [WORKERS]`
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDataset, fullFashionMnistDir } from "../src/data/index.js";
import { initBackend } from "../src/tf/backend.js";
import { ModelWorkerPool } from "../src/tf/workers/index.js";
import { classificationAccuracy, loadClassifier } from "../src/train/index.js";

const dir = process.argv[2] ?? "models/fashion-cnn";
const robustCount = Number(process.argv[3] ?? 2000);
const workers = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
await initBackend("wasm");
const model = await loadClassifier(dir);
const pool = await ModelWorkerPool.create(model, workers === undefined ? {} : { size: workers });
const t0 = performance.now();
const full = loadDataset(fullFashionMnistDir(), { split: "test" });
const subset = loadDataset("bundled");
const clean = classificationAccuracy(await pool.predictClasses(full.images, full.shape), full.labels);
const cleanSubset = classificationAccuracy(
  await pool.predictClasses(subset.images, subset.shape),
  subset.labels,
);
console.log(`${dir}: clean accuracy ${clean} (10,000 test images), ${cleanSubset} (bundled subset)`);
const few = loadDataset(fullFashionMnistDir(), { split: "test", limit: robustCount });
const attack = { method: "pgd" as const, eps: 0.1, steps: 40, stepSize: 0.01 };
const { correct } = await pool.attack(few.images, few.shape, few.labels, 10, attack, 1);
const robust = correct / few.shape[0];
console.log(
  `${dir}: PGD-40 eps 0.1 accuracy ${robust} (first ${few.shape[0]} test images); ${((performance.now() - t0) / 1000).toFixed(0)} s`,
);
await pool.close();

const file = join(dir, "model.json");
const json = JSON.parse(readFileSync(file, "utf8"));
json.userDefinedMetadata ??= {};
json.userDefinedMetadata.gradopt ??= {};
json.userDefinedMetadata.gradopt.eval = {
  cleanAccuracy: { value: clean, examples: full.shape[0], data: "Fashion-MNIST test set" },
  cleanAccuracySubset: { value: cleanSubset, examples: subset.shape[0], data: "bundled subset" },
  pgd40: {
    value: robust,
    examples: few.shape[0],
    eps: attack.eps,
    stepSize: attack.stepSize,
    steps: attack.steps,
    randomStart: true,
    scored: "last iterate",
    workers: pool.size,
    data: `first ${few.shape[0]} Fashion-MNIST test images`,
  },
};
writeFileSync(file, JSON.stringify(json));
