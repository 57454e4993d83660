/**
 * Saving adversarial images as 8-bit PNGs, and the check experts run when doing so: quantising to uint8 can undo a
 * small perturbation, so the quantised images are classified again and their success reported next to the float one.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import { GradoptError } from "../errors.js";
import type { TfjsClassifier } from "./model.js";
import type { AttackResult } from "./run.js";

/** Rounds inputs on the model's bounds to the 256 levels of an 8-bit image (what a PNG stores). */
export function quantizeToUint8(x: tf.Tensor, bounds: readonly [number, number]): tf.Tensor {
  const [lo, hi] = bounds;
  return tf.tidy(() =>
    tf.add(tf.mul(tf.div(tf.round(tf.mul(tf.div(tf.sub(x, lo), hi - lo), 255)), 255), hi - lo), lo),
  );
}

export interface QuantizedCheck {
  eps: number;
  /** Success and accuracy of the uint8-quantised adversarials. */
  successRate: number;
  accuracy: number;
  /** Inputs adversarial as floats but not after quantisation. */
  lost: number;
}

/** Classifies the quantised adversarials of every eps again. */
export function checkQuantized(model: TfjsClassifier, result: AttackResult): QuantizedCheck[] {
  return result.results.map((r) => {
    const q = quantizeToUint8(r.clipped, model.bounds);
    const logits = model.logitsBatched(q);
    const [adv, pred] = tf.tidy(() => [result.criterion.isAdversarial(logits), tf.argMax(logits, 1)]);
    const a = adv!.dataSync();
    const p = pred!.dataSync();
    tf.dispose([q, logits, adv!, pred!]);
    let success = 0;
    let correct = 0;
    let lost = 0;
    for (let i = 0; i < result.n; i++) {
      if (a[i]) success++;
      if (p[i] === result.labels[i]) correct++;
      if (r.success[i] && !a[i]) lost++;
    }
    return { eps: r.eps, successRate: success / result.n, accuracy: correct / result.n, lost };
  });
}

function encodePng(
  pixels: Float32Array | Int32Array | Uint8Array,
  h: number,
  w: number,
  c: number,
  bounds: readonly [number, number],
): Buffer {
  const png = new PNG({
    width: w,
    height: h,
    colorType: c === 1 ? 0 : 2,
    inputColorType: c === 1 ? 0 : 2,
    inputHasAlpha: false,
  });
  const data = Buffer.alloc(w * h * 4);
  const [lo, hi] = bounds;
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 4; k++) {
      const v =
        k === 3
          ? 255
          : Math.round(((pixels[i * c + (c === 1 ? 0 : Math.min(k, c - 1))]! - lo) / (hi - lo)) * 255);
      data[i * 4 + k] = Math.max(0, Math.min(255, v));
    }
  }
  png.data = data;
  return PNG.sync.write(png, { colorType: c === 1 ? 0 : 2 });
}

/**
 * Writes `dir/eps-<eps>/<index>_true-<label>_pred-<class>.png` for every input and eps (the clean images under
 * `dir/clean/`), and returns the re-check of the quantised images.
 */
export function saveAdversarialPngs(
  model: TfjsClassifier,
  result: AttackResult,
  inputs: tf.Tensor,
  dir: string,
): QuantizedCheck[] {
  if (inputs.rank !== 4)
    throw new GradoptError(
      "E_ARG",
      `saveAdversarialPngs: expected images [n, h, w, c], got shape [${inputs.shape.join(", ")}]`,
    );
  const [, h, w, c] = inputs.shape as [number, number, number, number];
  const per = h * w * c;
  const name = (k: number) => model.classNames[k]?.replace(/[^A-Za-z0-9_-]+/g, "-") ?? String(k);
  const write = (sub: string, x: tf.Tensor, predictions: Int32Array) => {
    const folder = join(dir, sub);
    mkdirSync(folder, { recursive: true });
    const data = x.dataSync() as Float32Array;
    for (let i = 0; i < result.n; i++) {
      const file = join(
        folder,
        `${String(i).padStart(4, "0")}_true-${name(result.labels[i]!)}_pred-${name(predictions[i]!)}.png`,
      );
      writeFileSync(file, encodePng(data.subarray(i * per, (i + 1) * per), h, w, c, model.bounds));
    }
  };
  write("clean", inputs, result.clean.predictions);
  for (const r of result.results) write(`eps-${r.eps}`, r.clipped, r.predictions);
  return checkQuantized(model, result);
}

/** Reads a PNG as one image [1, h, w, channels] on the model's bounds (channels 1: luminance; 3: RGB; alpha dropped). */
export function readPngImage(
  file: string,
  bytes: Buffer,
  channels: number,
  bounds: readonly [number, number] = [0, 1],
): tf.Tensor4D {
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (err) {
    throw new GradoptError("E_DATA", `not a readable PNG image: ${(err as Error).message}`, { file });
  }
  if (channels !== 1 && channels !== 3)
    throw new GradoptError("E_DATA", `the model wants ${channels} channels; images can feed 1 or 3`, {
      file,
    });
  const { width: w, height: h, data } = png;
  const out = new Float32Array(w * h * channels);
  const [lo, hi] = bounds;
  for (let i = 0; i < w * h; i++) {
    const r = data[i * 4]!;
    const g = data[i * 4 + 1]!;
    const b = data[i * 4 + 2]!;
    if (channels === 1) out[i] = lo + ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * (hi - lo);
    else for (let k = 0; k < 3; k++) out[i * 3 + k] = lo + (data[i * 4 + k]! / 255) * (hi - lo);
  }
  return tf.tensor4d(out, [1, h, w, channels]);
}
