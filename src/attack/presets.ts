/**
 * ImageNet classifiers for photos: presets (MobileNet V1/V2/V3 from TF Hub's TensorFlow.js models, the ones
 * @tensorflow-models/mobilenet uses), local directories (a Keras model converted with tensorflowjs_converter), and URLs;
 * the ImageNet class names (1000 classes, or 1001 with "background" at index 0, TF-slim / TF Hub's layout); labels
 * given by index or by name; top-k predictions.
 */
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";
import { TfjsClassifier, type ClassifierOptions, type Preprocessing } from "./model.js";
import imagenetClasses from "./imagenet-classes.json" with { type: "json" };

export interface ImagenetPreset {
  name: string;
  /** A TF Hub TensorFlow.js graph model (loaded with fromTFHub). */
  url: string;
  inputSize: number;
  /**
   * TF Hub image models take RGB on [0, 1] ("none" here); a Keras-converted MobileNetV2 takes [-1, 1] ("mobilenet").
   * Either way it runs inside the wrapper, so eps stays on the [0, 1] scale.
   */
  preprocessing: Preprocessing;
  /** 1001: index 0 is "background". */
  classes: 1000 | 1001;
}

export const IMAGENET_PRESETS: Readonly<Record<string, ImagenetPreset>> = {
  "mobilenet-v1": {
    name: "mobilenet-v1",
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v1_100_224/classification/3/default/1",
    inputSize: 224,
    preprocessing: "none",
    classes: 1001,
  },
  "mobilenet-v2": {
    name: "mobilenet-v2",
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v2_100_224/classification/3/default/1",
    inputSize: 224,
    preprocessing: "none",
    classes: 1001,
  },
  "mobilenet-v3": {
    name: "mobilenet-v3",
    url: "https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v3_large_100_224/classification/5/default/1",
    inputSize: 224,
    preprocessing: "none",
    classes: 1001,
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
}

/**
 * Loads an image classifier from a preset name, a directory / model.json, or a URL. ImageNet-sized outputs (1000 or
 * 1001) get the ImageNet class names unless the model's metadata or `classNames` give others.
 */
export async function loadImageClassifier(
  spec: string,
  options: ImageClassifierOptions = {},
): Promise<TfjsClassifier> {
  const { flag = "--model", ...opts } = options;
  const preset = IMAGENET_PRESETS[spec];
  let model: TfjsClassifier;
  if (preset) {
    let graph: tf.GraphModel;
    try {
      graph = await tf.loadGraphModel(preset.url, { fromTFHub: true });
    } catch (err) {
      throw unreachable(`preset ${spec} (${preset.url})`, err, flag);
    }
    model = TfjsClassifier.fromModel(graph, { preprocessing: preset.preprocessing, ...opts });
  } else {
    try {
      model = await TfjsClassifier.load(spec, opts);
    } catch (err) {
      if (/^https?:\/\//.test(spec) && !(err instanceof GradoptError)) throw unreachable(spec, err, flag);
      throw err;
    }
  }
  if (opts.classNames || !model.classNames.every((c, i) => c === String(i))) return model;
  const names = imagenetNamesFor(model.numClasses);
  if (!names) return model;
  // Re-wrap with names: the classifier's names are fixed at construction.
  (model as { classNames: string[] }).classNames = names;
  return model;
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
