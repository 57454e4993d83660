// Training classifiers: the bundled CNN, the training loop (standard and adversarial), evaluation, file IO.
export { buildCnn, type CnnOptions } from "./model.js";
export {
  trainClassifier,
  saveClassifier,
  loadClassifier,
  subsetDataset,
  type TrainOptions,
  type TrainResult,
  type EpochSummary,
  type BatchProgress,
  type Augmentation,
} from "./train.js";
export { adversarialBatch, type AdversarialConfig, type AdversarialMethod } from "./adversarial.js";
export {
  predictClasses,
  accuracy as classificationAccuracy,
  evaluateLoss,
  robustAccuracy,
  imageBatch,
} from "./evaluate.js";
export { fileIOHandler } from "./file-io.js";
export { bundledModelDir } from "./bundled.js";
