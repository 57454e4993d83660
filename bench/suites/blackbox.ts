/**
 * Black-box attacks on the bundled Fashion-MNIST CNN through its probabilities (classifierAsBlackBox), 100 bundled test
 * images, eps 0.1 (L-inf): robust accuracy and queries per image of Square Attack and SPSA-PGD next to white-box PGD-40
 * in the same run, and the attacks' bookkeeping overhead: queries/s inside the attack divided by the bare forward
 * pass's images/s (1.0 = the attack costs nothing beyond the model).
 */
import * as tf from "@tensorflow/tfjs";
import {
  classifierAsBlackBox,
  pgd,
  run,
  runBlackBox,
  spsaAttack,
  squareAttack,
  TfjsClassifier,
} from "../../src/attack/index.js";
import { loadDataset } from "../../src/data/index.js";
import { initBackend } from "../../src/tf/backend.js";
import { bestTime, printTable, writeResult } from "../util.js";

export default async function blackbox(): Promise<void> {
  await initBackend("wasm");
  const classifier = await TfjsClassifier.load("models/fashion-cnn", { onWarning: () => {} });
  const ds = loadDataset("bundled", { limit: 100 });
  const n = ds.labels.length;
  const bb = classifierAsBlackBox(classifier);
  const forward = await bestTime(() => bb.scores(ds.images, n), 5);
  const forwardRate = n / (forward.ms / 1000);

  const rows: Record<string, string | number>[] = [];
  const t0 = performance.now();
  const white = await run(classifier, tf.tensor4d(ds.images, ds.shape), ds.labels, pgd({ steps: 40 }), {
    epsilons: [0.1],
    sanity: false,
  });
  rows.push({
    attack: "pgd-40 (white-box)",
    accuracy: white.results[0]!.accuracy,
    "queries mean": "40 grads",
    "queries median": "",
    seconds: (performance.now() - t0) / 1000,
    "overhead ratio": "",
  });
  white.dispose();
  for (const [name, attack] of [
    ["square (1000)", squareAttack({ maxQueries: 1000 })],
    ["spsa (2000, 32 pairs)", spsaAttack({ maxQueries: 2000 })],
  ] as const) {
    const start = performance.now();
    const r = await runBlackBox(bb, ds.images, ds.labels, attack, { epsilons: [0.1] });
    const seconds = (performance.now() - start) / 1000;
    const s = r.summary();
    rows.push({
      attack: name,
      accuracy: s.results[0]!.accuracy,
      "queries mean": s.queries.mean,
      "queries median": s.queries.median,
      seconds,
      "overhead ratio": forwardRate / (s.queries.total / seconds),
    });
  }
  console.log(`bare forward pass: ${forwardRate.toFixed(0)} images/s (batch ${n}, wasm)`);
  printTable(rows);
  writeResult("blackbox", { forwardImagesPerSecond: forwardRate, rows });
}
