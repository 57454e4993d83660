/**
 * gradopt/attack: gradient attacks on TensorFlow.js classifiers, Foolbox style. A TfjsClassifier owns bounds and
 * preprocessing; attacks are small objects holding hyperparameters; run() drives them for many epsilons at once and
 * returns per-eps raw / clipped adversarials, per-input success and the contract's summary.
 */
export {
  TfjsClassifier,
  DEFAULT_INPUT_SIDE,
  type ClassifierOptions,
  type Preprocessing,
  type OutputKind,
} from "./model.js";
export { loadTfjsModel, fileSystemHandler, detectFormat, type LoadedModel, type ModelFormat } from "./io.js";
export {
  misclassification,
  targetedMisclassification,
  topKMisclassification,
  type Criterion,
  type CriterionKind,
} from "./criteria.js";
export { crossEntropy, logitMargin, adversarialLoss, lossAndGradient, adversarialGradient } from "./loss.js";
export { tensorOps } from "./tensor-ops.js";
export {
  clipPerturbation,
  projectToBallAndBounds,
  sampleNorms,
  normalizePerSample,
  type Distance,
} from "./distances.js";
export type { Attack, FixedEpsilonAttack, MinimizationAttack, AttackBatch, AttackStats } from "./base.js";
export type { GradientDescentOptions } from "./gradient-descent.js";
export { fgsm, fgm } from "./fgsm.js";
export { bim } from "./bim.js";
export { pgd, linfPgd, l2Pgd } from "./pgd.js";
export { miFgsm } from "./miFgsm.js";
export { reverseStep } from "./reverse.js";
export { run, type RunOptions, type AttackResult, type EpsilonResult, type AttackSummary } from "./run.js";
export { carliniWagnerL2, type CarliniWagnerOptions } from "./cw.js";
export { deepFool, type DeepFoolOptions } from "./deepfool.js";
export {
  quantizeToUint8,
  checkQuantized,
  saveAdversarialPngs,
  readPngImage,
  type QuantizedCheck,
} from "./save.js";
export * from "./blackbox/index.js";
export * from "./image/index.js";
export {
  IMAGENET_PRESETS,
  imagenetClassNames,
  imagenetNamesFor,
  inferPreprocessing,
  loadImageClassifier,
  loadImageClassifierWithInfo,
  preprocessingForRange,
  resolveLabel,
  topK,
  type ImagenetPreset,
  type ImageClassifierOptions,
  type PreprocessingChoice,
  type TopPrediction,
} from "./presets.js";
