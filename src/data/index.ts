// Data sets: an IDX reader and loaders for (Fashion-)MNIST-style image classification data.
export { parseIdx, readIdx, encodeIdx, type IdxArray } from "./idx.js";
export {
  loadDataset,
  bundledDataDir,
  fullFashionMnistDir,
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  type Dataset,
  type LoadDatasetOptions,
  type Split,
} from "./dataset.js";
