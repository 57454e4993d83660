/** Test helpers (not exported from the barrel): the tiny Fashion-MNIST CNN fixture and the bundled test images. */
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { loadDataset } from "../data/index.js";
import { initBackend } from "../tf/backend.js";
import { TfjsClassifier } from "./model.js";

export const TINY_CNN_DIR = fileURLToPath(new URL("../../test/fixtures/attack/tiny-cnn/", import.meta.url));

/** The wasm backend with gradopt's kernels, the fixture CNN, and the first `n` bundled test images. */
export async function tinySetup(
  n: number,
): Promise<{ model: TfjsClassifier; x: tf.Tensor4D; labels: Int32Array }> {
  await initBackend("wasm");
  const model = await TfjsClassifier.load(TINY_CNN_DIR, { onWarning: () => {} });
  const ds = loadDataset("bundled", { limit: n });
  return { model, x: tf.tensor4d(ds.images, ds.shape), labels: ds.labels };
}

/** Largest per-sample distance between two batches, computed in float64 from the float32 values. */
export function maxDistance(a: tf.Tensor, b: tf.Tensor, distance: "linf" | "l2"): number {
  const x = a.dataSync();
  const y = b.dataSync();
  const n = a.shape[0]!;
  const d = x.length / n;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d; j < (i + 1) * d; j++) {
      const diff = Math.abs(x[j]! - y[j]!);
      s = distance === "linf" ? Math.max(s, diff) : s + diff * diff;
    }
    worst = Math.max(worst, distance === "linf" ? s : Math.sqrt(s));
  }
  return worst;
}
