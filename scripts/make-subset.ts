/**
 * Builds data/fashion-mnist-subset: the first 100 test images of each class (in test-set order), so 1000 images,
 * balanced, chosen without randomness. Run: `npx tsx scripts/make-subset.ts [FULL_DIR]` (default: Debian's location).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  bundledDataDir,
  encodeIdx,
  fullFashionMnistDir,
  readIdx,
  FASHION_MNIST_CLASSES,
} from "../src/data/index.js";

const PER_CLASS = 100;
const full = process.argv[2] ?? fullFashionMnistDir();
const images = readIdx(join(full, "t10k-images-idx3-ubyte.gz"));
const labels = readIdx(join(full, "t10k-labels-idx1-ubyte.gz"));
const [, h, w] = images.dims as [number, number, number];
const taken = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
const indices: number[] = [];
labels.data.forEach((label, i) => {
  if (taken[label]! < PER_CLASS) {
    taken[label]!++;
    indices.push(i);
  }
});
const n = indices.length;
const pixels = new Uint8Array(n * h * w);
indices.forEach((src, k) => pixels.set(images.data.subarray(src * h * w, (src + 1) * h * w), k * h * w));
const subsetLabels = Uint8Array.from(indices, (i) => labels.data[i]!);
const out = bundledDataDir();
mkdirSync(out, { recursive: true });
// mtime 0 in the gzip header so the files are byte-identical on every run.
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 });
writeFileSync(join(out, "t10k-images-idx3-ubyte.gz"), gz(encodeIdx({ dims: [n, h, w], data: pixels })));
writeFileSync(join(out, "t10k-labels-idx1-ubyte.gz"), gz(encodeIdx({ dims: [n], data: subsetLabels })));
writeFileSync(join(out, "classes.json"), JSON.stringify(FASHION_MNIST_CLASSES) + "\n");
writeFileSync(join(out, "indices.json"), JSON.stringify(indices) + "\n");
console.log(`wrote ${n} images (${taken.join("/")} per class) to ${out}`);
