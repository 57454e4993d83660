/**
 * ImageNet classifiers for photos: presets (MobileNet V1/V2/V3 from TF Hub's TensorFlow.js models, the ones
 * @tensorflow-models/mobilenet uses), local directories (a Keras model converted with tensorflowjs_converter), and URLs;
 * the ImageNet class names (1000 classes, or 1001 with "background" at index 0, TF-slim / TF Hub's layout); labels
 * given by index or by name; top-k predictions.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";
import { loadTfjsModel, type LoadedModel } from "./io.js";
import { TfjsClassifier, type ClassifierOptions, type Preprocessing } from "./model.js";
import imagenetClasses from "./imagenet-classes.json" with { type: "json" };

export interface ImagenetPreset {
  name: string;
  /** A TF Hub TensorFlow.js graph model (loaded with fromTFHub). */
  url: string;
  /** Input height = width; the graph may leave it open (V1's is [-1, -1, -1, 3]), so the preset says it. */
  inputSize: number;
  /** The pixel range the model was trained on; the wrapper maps [0, 1] onto it, so eps stays on the [0, 1] scale. */
  inputRange: readonly [number, number];
  preprocessing: Preprocessing;
  /** 1001: index 0 is "background". */
  classes: 1000 | 1001;
  /** Where the input range comes from. */
  evidence: string;
}

/**
 * Preprocessing mapping pixels on [0, 1] onto `range`: "none" for [0, 1], "mobilenet" (2x - 1) for [-1, 1], else
 * (x - mean) / std with mean = -lo / (hi - lo), std = 1 / (hi - lo) (e.g. [0, 255]: std 1/255).
 */
export function preprocessingForRange(range: readonly [number, number]): Preprocessing {
  const [lo, hi] = range;
  if (!(hi > lo))
    throw new GradoptError("E_ARG", `input range must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
  if (lo === 0 && hi === 1) return "none";
  if (lo === -1 && hi === 1) return "mobilenet";
  return { mean: lo === 0 ? 0 : -lo / (hi - lo), std: 1 / (hi - lo) };
}

// Every TF Hub MobileNet takes RGB on [0, 1] and returns LOGITS over 1001 classes (background first), at 224x224:
// - the model pages in github.com/tensorflow/tfhub.dev (assets/docs/google/models/imagenet/<model>/classification/<v>.md,
//   and .../default/tfjs/1.md for the TF.js conversions) say "The input images are expected to have color values in
//   the range [0,1]" and "Logits with shape [batch_size, num_classes]" with num_classes = 1001;
// - @tensorflow-models/mobilenet 2.1.1 (dist/index.js, MODEL_INFO) loads the same TF Hub classification models with
//   `inputRange: [0, 1]` for every V1 and V2 alpha and normalises [0, 255] pixels to that range before predict();
//   its [-1, 1] default applies only to a user's own modelUrl.
// - The TF.js page of mobilenet_v3_large_100_224/classification/5 divides the 0..255 crop by 255 before predict().
const TFHUB_EVIDENCE =
  "TF Hub model page: 'input images are expected to have color values in the range [0,1]'; " +
  "@tensorflow-models/mobilenet 2.1.1 MODEL_INFO inputRange [0, 1]";

export const IMAGENET_PRESETS: Readonly<Record<string, ImagenetPreset>> = {
  "mobilenet-v1": {
    name: "mobilenet-v1",
    // classification/3 "supports variable input size": its graph input is [-1, -1, -1, 3], 224 by default.
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v1_100_224/classification/3/default/1",
    inputSize: 224,
    inputRange: [0, 1],
    preprocessing: "none",
    classes: 1001,
    evidence: TFHUB_EVIDENCE,
  },
  "mobilenet-v2": {
    name: "mobilenet-v2",
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v2_100_224/classification/3/default/1",
    inputSize: 224,
    inputRange: [0, 1],
    preprocessing: "none",
    classes: 1001,
    evidence: TFHUB_EVIDENCE,
  },
  "mobilenet-v3": {
    name: "mobilenet-v3",
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v3_large_100_224/classification/5/default/1",
    inputSize: 224,
    inputRange: [0, 1],
    preprocessing: "none",
    classes: 1001,
    evidence: "TF Hub TF.js page of mobilenet_v3_large_100_224/classification/5: [0, 1], fixed 224x224",
  },
};

/** The 1000 ImageNet (ILSVRC-2012) class names in Keras order (source recorded in imagenet-classes.json). */
export function imagenetClassNames(): string[] {
  return imagenetClasses.names.slice();
}

/** Class names for an ImageNet model with `numClasses` outputs (1000, or 1001 with background first), else undefined. */
export function imagenetNamesFor(numClasses: number): string[] | undefined {
  if (numClasses === 1000) return imagenetClassNames();
  if (numClasses === 1001) return ["background", ...imagenetClassNames()];
  return undefined;
}

function unreachable(what: string, err: unknown, flag: string): GradoptError {
  return new GradoptError(
    "E_IO",
    `${flag}: cannot load the model from ${what} (${(err as Error).message}). If this machine is offline, download the model ` +
      "(model.json and its weight files) and pass the local directory instead",
  );
}

export interface ImageClassifierOptions extends ClassifierOptions {
  /** The flag named in errors (default "--model"). */
  flag?: string;
  /** fetch for URLs and presets (default: the global fetch), e.g. to go through a proxy or serve files in tests. */
  fetchFunc?: typeof fetch;
}

/** The preprocessing an image classifier got, and why (shown to the user: a wrong input range ruins every number). */
export interface PreprocessingChoice {
  preprocessing: Preprocessing;
  /** "option": given by the caller; "preset"; "tfhub": a tfhub.dev URL (TF Hub's image convention, [0, 1]);
   * "keras-mobilenet": a converted Keras MobileNet / MobileNetV2, by its model name; "rescaling-layer": the model
   * starts by rescaling 0..255 pixels itself; "default": assumed [0, 1]. */
  source: "option" | "preset" | "tfhub" | "keras-mobilenet" | "rescaling-layer" | "default";
  reason: string;
}

/** tfhub.dev addresses (google/imagenet/..., google/tfjs-model/...), loaded with fromTFHub. */
const TFHUB_URL = /^https?:\/\/(www\.)?tfhub\.dev\//;

/** Keras names its application models "mobilenet_<alpha>_<rows>" (V1) and "mobilenetv2_<alpha>_<rows>". */
const KERAS_MOBILENET = /^mobilenet(v2)?_\d+(\.\d+)?_\d+$/i;
/** Keras's MobileNetV3: "MobilenetV3large" / "MobilenetV3small". */
const KERAS_MOBILENET_V3 = /^mobilenetv3(large|small)$/i;

/**
 * The preprocessing a converted Layers model needs when the caller gave none. Keras MobileNet V1/V2 expect their
 * `preprocess_input` (x / 127.5 - 1 on 0..255 pixels, i.e. [-1, 1]) done outside the model; Keras models that begin with
 * a Rescaling layer of scale 1/255 or 1/127.5 (MobileNetV3 and EfficientNet with include_preprocessing) take raw
 * 0..255 pixels; a Keras MobileNetV3 built without it takes [-1, 1]. Anything else is assumed to take [0, 1].
 */
export function inferPreprocessing(loaded: LoadedModel): PreprocessingChoice {
  if (loaded.format === "layers-model") {
    const name = loaded.model.name;
    if (KERAS_MOBILENET.test(name))
      return {
        preprocessing: "mobilenet",
        source: "keras-mobilenet",
        reason: `Keras ${/v2/i.test(name) ? "MobileNetV2" : "MobileNet"} (model name ${name}): its preprocess_input maps pixels to [-1, 1]`,
      };
    const first = loaded.model.layers.find((l) => l.getClassName() !== "InputLayer");
    if (first?.getClassName() === "Rescaling") {
      const { scale } = first.getConfig() as { scale?: number };
      const span = scale === undefined ? NaN : Math.abs(scale) * 255;
      if (Math.abs(span - 1) < 1e-3 || Math.abs(span - 2) < 1e-3)
        return {
          preprocessing: preprocessingForRange([0, 255]),
          source: "rescaling-layer",
          reason: `the model's first layer rescales by ${scale}: it takes pixels on [0, 255]`,
        };
    }
    if (KERAS_MOBILENET_V3.test(name))
      return {
        preprocessing: "mobilenet",
        source: "keras-mobilenet",
        reason: `Keras MobileNetV3 without its Rescaling layer (model name ${name}): it takes pixels on [-1, 1]`,
      };
  }
  return {
    preprocessing: "none",
    source: "default",
    reason: "assumed: the model takes pixels on [0, 1] (pass the preprocessing if it expects another range)",
  };
}

/**
 * Loads an image classifier from a preset name, a directory / model.json, or a URL, and says which preprocessing it
 * chose (the caller's, the preset's, or inferred: see inferPreprocessing). ImageNet-sized outputs (1000 or 1001) get the
 * ImageNet class names unless the model's metadata or `classNames` give others.
 */
export async function loadImageClassifierWithInfo(
  spec: string,
  options: ImageClassifierOptions = {},
): Promise<{ model: TfjsClassifier; preprocessing: PreprocessingChoice }> {
  const { flag = "--model", fetchFunc, ...opts } = options;
  const fetchOpt = fetchFunc ? { fetchFunc } : {};
  const preset = IMAGENET_PRESETS[spec];
  let loaded: LoadedModel;
  let choice: PreprocessingChoice | undefined;
  let hubSize: number | undefined;
  if (preset) {
    try {
      const model = await tf.loadGraphModel(preset.url, { fromTFHub: true, ...fetchOpt });
      loaded = { format: "graph-model", model, metadata: (model.metadata as Record<string, unknown>) ?? {} };
    } catch (err) {
      const e = unreachable(`preset ${spec} (${preset.url})`, err, flag);
      // The local copy loses the preset's facts: say them.
      e.message += ` (this preset takes pixels on [${preset.inputRange.join(", ")}] at ${preset.inputSize}x${preset.inputSize}: --preprocessing ${typeof preset.preprocessing === "string" ? preset.preprocessing : "MEAN:STD"} --input-size ${preset.inputSize})`;
      throw e;
    }
    choice = {
      preprocessing: preset.preprocessing,
      source: "preset",
      reason: `preset ${spec}: pixels on [${preset.inputRange.join(", ")}] (${preset.evidence})`,
    };
  } else if (TFHUB_URL.test(spec)) {
    // A TF Hub address as @tensorflow-models/mobilenet and the model pages give it: a graph model fetched with
    // TF Hub's ?tfjs-format=file query; image models there take [0, 1] and name their input size last.
    try {
      const model = await tf.loadGraphModel(spec, { fromTFHub: true, ...fetchOpt });
      loaded = { format: "graph-model", model, metadata: (model.metadata as Record<string, unknown>) ?? {} };
    } catch (err) {
      throw unreachable(spec, err, flag);
    }
    choice = {
      preprocessing: "none",
      source: "tfhub",
      reason: "a TF Hub image model: 'input images are expected to have color values in the range [0,1]'",
    };
    const side = /_(\d{2,3})\/(classification|feature_vector)\//.exec(spec);
    if (side && opts.inputSize === undefined) hubSize = Number(side[1]);
  } else {
    try {
      loaded = await loadTfjsModel(spec, fetchOpt);
    } catch (err) {
      if (/^https?:\/\//.test(spec) && !(err instanceof GradoptError)) throw unreachable(spec, err, flag);
      throw err;
    }
  }
  if (opts.preprocessing !== undefined)
    choice = { preprocessing: opts.preprocessing, source: "option", reason: "given" };
  choice ??= inferPreprocessing(loaded);
  const metaNames = loaded.metadata.classNames ?? loaded.metadata.classes;
  const classNames =
    opts.classNames ??
    (Array.isArray(metaNames) && metaNames.every((n) => typeof n === "string")
      ? (metaNames as string[])
      : undefined);
  const inputSize = opts.inputSize ?? preset?.inputSize ?? hubSize;
  let model: TfjsClassifier;
  try {
    model = TfjsClassifier.fromModel(loaded, {
      ...opts,
      preprocessing: choice.preprocessing,
      ...(inputSize !== undefined ? { inputSize } : {}),
      ...(classNames && classNames.length > 0 ? { classNames } : {}),
    });
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
  if (!model.classNames.every((c, i) => c === String(i))) return { model, preprocessing: choice };
  const names = imagenetNamesFor(model.numClasses);
  // The classifier's names are fixed at construction; ImageNet-sized outputs get the ImageNet names.
  if (names) (model as { classNames: string[] }).classNames = names;
  return { model, preprocessing: choice };
}

/** loadImageClassifierWithInfo without the info. */
export async function loadImageClassifier(
  spec: string,
  options: ImageClassifierOptions = {},
): Promise<TfjsClassifier> {
  return (await loadImageClassifierWithInfo(spec, options)).model;
}

/** A class given by index or by name (case-insensitive; spaces and underscores alike). */
export function resolveLabel(classNames: readonly string[], text: string, flag = "--label"): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const k = Number(t);
    if (k >= classNames.length)
      throw new GradoptError(
        "E_FLAG",
        `${flag}: class index ${k} out of range [0, ${classNames.length - 1}]`,
      );
    return k;
  }
  const norm = (s: string) => s.toLowerCase().replace(/[\s_]+/g, "_");
  const key = norm(t);
  const k = classNames.findIndex((c) => norm(c) === key);
  if (k >= 0) return k;
  const near = classNames.filter((c) => norm(c).includes(key)).slice(0, 5);
  throw new GradoptError(
    "E_FLAG",
    `${flag}: unknown class name '${text}'${near.length ? ` (did you mean ${near.join(", ")}?)` : ""}`,
  );
}

export interface TopPrediction {
  index: number;
  name: string;
  probability: number;
}

/** The k most probable classes of each input (softmax of the logits). */
export function topK(model: TfjsClassifier, x: tf.Tensor, k = 5): TopPrediction[][] {
  const logits = model.logitsBatched(x);
  const { values, indices } = tf.tidy(() => tf.topk(tf.softmax(logits), Math.min(k, model.numClasses)));
  const v = values.arraySync() as number[][];
  const i = indices.arraySync() as number[][];
  tf.dispose([logits, values, indices]);
  return i.map((row, r) =>
    row.map((index, j) => ({
      index,
      name: model.classNames[index] ?? String(index),
      probability: v[r]![j]!,
    })),
  );
}
