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

/**
 * MobileNetV2 building blocks for test models: conv-BN-ReLU6 and the inverted residual (1x1 expand, 3x3 depthwise,
 * 1x1 linear projection, residual add when shapes allow). Initialisers are He-normal with seeds counting up from
 * `firstSeed`, so a model built in the same order gets the same weights.
 */
export function mobileNetV2Blocks(firstSeed: number): {
  convBnRelu6(x: tf.SymbolicTensor, filters: number, kernel: number, strides: number): tf.SymbolicTensor;
  invertedResidual(x: tf.SymbolicTensor, expand: number, out: number, strides: number): tf.SymbolicTensor;
} {
  let seed = firstSeed;
  const init = () => tf.initializers.heNormal({ seed: seed++ });
  const relu6 = (x: tf.SymbolicTensor) => tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  const batchNorm = (x: tf.SymbolicTensor) => tf.layers.batchNormalization().apply(x) as tf.SymbolicTensor;
  const convBnRelu6 = (x: tf.SymbolicTensor, filters: number, kernel: number, strides: number) => {
    const conv = tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides,
      padding: "same",
      useBias: false,
      kernelInitializer: init(),
    });
    return relu6(batchNorm(conv.apply(x) as tf.SymbolicTensor));
  };
  const invertedResidual = (x: tf.SymbolicTensor, expand: number, out: number, strides: number) => {
    const inC = x.shape[3]!;
    let h = convBnRelu6(x, inC * expand, 1, 1);
    const depthwise = tf.layers.depthwiseConv2d({
      kernelSize: 3,
      strides,
      padding: "same",
      useBias: false,
      depthwiseInitializer: init(),
    });
    h = relu6(batchNorm(depthwise.apply(h) as tf.SymbolicTensor));
    const project = tf.layers.conv2d({
      filters: out,
      kernelSize: 1,
      padding: "same",
      useBias: false,
      kernelInitializer: init(),
    });
    h = batchNorm(project.apply(h) as tf.SymbolicTensor);
    return strides === 1 && inC === out ? (tf.layers.add().apply([x, h]) as tf.SymbolicTensor) : h;
  };
  return { convBnRelu6, invertedResidual };
}
