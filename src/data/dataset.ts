/**
 * Image-classification data sets stored as IDX pairs (images + labels), e.g. MNIST / Fashion-MNIST:
 * `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` with prefix `t10k` (test) or `train`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GradoptError } from "../errors.js";
import { readIdx } from "./idx.js";

export type Split = "test" | "train";

/** Images as float32 NHWC in [0, 1] (pixel / 255), integer labels, and the class names. */
export interface Dataset {
  images: Float32Array;
  labels: Int32Array;
  /** [n, height, width, channels] */
  shape: [number, number, number, number];
  classNames: string[];
  /** The directory the data came from. */
  source: string;
}

export interface LoadDatasetOptions {
  split?: Split;
  /** Keep only the first `limit` examples. */
  limit?: number;
}

export const FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/** Where Debian's `dataset-fashion-mnist` package installs the full data set (override: GRADOPT_FASHION_MNIST_DIR). */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The repository root (this file is src/data/dataset.ts or dist/data/dataset.js). */
const packageRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The balanced 1000-image Fashion-MNIST test subset shipped in the package (data/fashion-mnist-subset). */
export function bundledDataDir(): string {
  return join(packageRoot, "data", "fashion-mnist-subset");
}

/** The full Fashion-MNIST directory: $GRADOPT_FASHION_MNIST_DIR, else Debian's location. */
export function fullFashionMnistDir(): string {
  return process.env.GRADOPT_FASHION_MNIST_DIR ?? DEBIAN_FASHION_MNIST_DIR;
}

function findFile(dir: string, base: string): string {
  for (const name of [`${base}.gz`, base]) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  const hint = resolve(dir) === resolve(DEBIAN_FASHION_MNIST_DIR) ? " (install Debian's dataset-fashion-mnist package)" : "";
  throw new GradoptError("E_IO", `no ${base}[.gz] in this directory${hint}`, { file: dir });
}

function classNamesFor(dir: string, count: number): string[] {
  const file = join(dir, "classes.json");
  if (existsSync(file)) {
    let names: unknown;
    try {
      names = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new GradoptError("E_DATA", `not valid JSON: ${(err as Error).message}`, { file });
    }
    if (!Array.isArray(names) || !names.every((n) => typeof n === "string")) {
      throw new GradoptError("E_DATA", "expected a JSON array of class-name strings", { file });
    }
    if (names.length < count) throw new GradoptError("E_DATA", `${names.length} class names but labels go up to ${count - 1}`, { file });
    return names as string[];
  }
  if (/fashion/i.test(dir) && count <= FASHION_MNIST_CLASSES.length) return [...FASHION_MNIST_CLASSES];
  return Array.from({ length: count }, (_, i) => String(i));
}

/**
 * Loads the images and labels of one split from a directory of IDX files. `dir` defaults to the full Fashion-MNIST set
 * (fullFashionMnistDir()); pass `"bundled"` (or bundledDataDir()) for the shipped 1000-image test subset.
 * Class names come from `classes.json` in the directory when present.
 */
export function loadDataset(dir?: string, options: LoadDatasetOptions = {}): Dataset {
  const split = options.split ?? "test";
  const root = dir === undefined ? fullFashionMnistDir() : dir === "bundled" ? bundledDataDir() : dir;
  if (!existsSync(root)) {
    const hint = resolve(root) === resolve(DEBIAN_FASHION_MNIST_DIR) ? " (install Debian's dataset-fashion-mnist package, or use the bundled subset)" : "";
    throw new GradoptError("E_IO", `data directory does not exist${hint}`, { file: root });
  }
  const prefix = split === "test" ? "t10k" : "train";
  const imageFile = findFile(root, `${prefix}-images-idx3-ubyte`);
  const labelFile = findFile(root, `${prefix}-labels-idx1-ubyte`);
  const images = readIdx(imageFile);
  const labels = readIdx(labelFile);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new GradoptError("E_DATA", `expected images of shape [n, height, width] or [n, height, width, channels], got [${images.dims.join(", ")}]`, { file: imageFile });
  }
  if (labels.dims.length !== 1) throw new GradoptError("E_DATA", `expected labels of shape [n], got [${labels.dims.join(", ")}]`, { file: labelFile });
  const [count, height, width] = images.dims as [number, number, number];
  const channels = images.dims[3] ?? 1;
  if (labels.dims[0] !== count) {
    throw new GradoptError("E_DATA", `${labels.dims[0]} labels for ${count} images in ${imageFile}`, { file: labelFile });
  }
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new GradoptError("E_ARG", `loadDataset: limit must be a positive integer, got ${options.limit}`);
  }
  const n = Math.min(count, options.limit ?? count);
  const per = height * width * channels;
  const pixels = new Float32Array(n * per);
  const src = images.data;
  for (let i = 0; i < pixels.length; i++) pixels[i] = src[i]! / 255;
  const labelValues = Int32Array.from(labels.data.subarray(0, n));
  let maxLabel = 0;
  for (const l of labels.data) maxLabel = Math.max(maxLabel, l);
  return { images: pixels, labels: labelValues, shape: [n, height, width, channels], classNames: classNamesFor(root, maxLabel + 1), source: root };
}
