/**
 * The seed article's figure set for one photo: the input, the signed gradient as an image, and the adversarial image
 * per eps, each captioned with the top prediction and its confidence (and the true class's), as PNGs at the model's
 * resolution, the adversarials also at the photo's own resolution, and a figures.html that shows them with captions.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { TfjsClassifier } from "../model.js";
import type { AttackResult } from "../run.js";
import type { RgbImage } from "./decode.js";
import { encodePng, perturbationOnOriginal, regionToInput, type Photo } from "./photo.js";
import { signedGradientImage } from "./signed-gradient.js";

export interface EpsPrediction {
  eps: number;
  top: number;
  topName: string;
  confidence: number;
  trueConfidence: number;
}

/** Per eps, input `i`'s top class, its softmax confidence and the true class's confidence (eps 0 = clean when listed). */
export function perEpsPredictions(
  result: AttackResult,
  classNames: readonly string[],
  i = 0,
): EpsPrediction[] {
  return result.results.map((r) => ({
    eps: r.eps,
    top: r.predictions[i]!,
    topName: classNames[r.predictions[i]!] ?? String(r.predictions[i]),
    confidence: r.confidence[i]!,
    trueConfidence: r.trueConfidence[i]!,
  }));
}

function tensorToRgb(x: tf.Tensor): RgbImage {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const v = x.dataSync();
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < 3; k++) data[3 * i + k] = v[c === 3 ? 3 * i + k : i]!;
  return { width: w, height: h, data };
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!);

/** One picture of the figure set: its file name, what it is, its caption, and the pixels. */
export interface PhotoFigure {
  file: string;
  /** "input", "signed-gradient", "adversarial" (at the model's resolution) or "adversarial-full" (the photo's). */
  kind: "input" | "signed-gradient" | "adversarial" | "adversarial-full";
  /** The eps of an adversarial. */
  eps?: number;
  caption: string;
  image: RgbImage;
  /** For "adversarial-full": the full-resolution image cropped and resized again and classified (does it still fool?). */
  recheck?: FullResolutionCheck;
}

export interface FullResolutionCheck {
  top: number;
  topName: string;
  confidence: number;
  trueConfidence: number;
}

/**
 * Classifies a full-resolution image the way the photo was: the same region (crop box) resized to the model's input. The
 * resampled perturbation is smoother than the one found at the model's resolution, so its effect can differ.
 */
export function recheckFullResolution(
  model: TfjsClassifier,
  photo: Photo,
  full: RgbImage,
  label: number,
): FullResolutionCheck {
  const again = regionToInput(full, photo.box, photo.input.shape.slice(1));
  const [top, conf, trueConf] = tf.tidy(() => {
    const p = tf.softmax(model.logits(again.input));
    return [tf.argMax(p, 1), tf.max(p, 1), tf.slice(p, [0, label], [1, 1])];
  });
  const k = top!.dataSync()[0]!;
  const out = {
    top: k,
    topName: model.classNames[k] ?? String(k),
    confidence: conf!.dataSync()[0]!,
    trueConfidence: trueConf!.dataSync()[0]!,
  };
  tf.dispose([top!, conf!, trueConf!, again.input]);
  return out;
}

const pct = (p: number) => `${(100 * p).toFixed(2)}%`;

/**
 * The seed article's figure set for input 0 of `result` (photo = its source): the input, the signed gradient, and
 * the adversarial image per eps at the model's resolution and mapped back onto the photo's own resolution, captioned
 * with the top prediction and its confidence and the true class's confidence. `fullResolution: false` skips the
 * full-resolution ones (each costs a resample and a PNG at the photo's size).
 */
export function photoFigures(
  model: TfjsClassifier,
  photo: Photo,
  result: AttackResult,
  options: { fullResolution?: boolean } = {},
): PhotoFigure[] {
  const names = model.classNames;
  const label = result.labels[0]!;
  const clean = result.clean;
  const out: PhotoFigure[] = [
    {
      file: "input.png",
      kind: "input",
      caption: `Input: ${names[clean.predictions[0]!]} ${pct(clean.confidence[0]!)} (true class ${names[label]}: ${pct(clean.trueConfidence[0]!)})`,
      image: tensorToRgb(photo.input),
    },
  ];
  const sg = signedGradientImage(model, photo.input, result.labels);
  out.push({
    file: "signed-gradient.png",
    kind: "signed-gradient",
    caption: `sign of the loss gradient for ${names[label]} (black -1, grey 0, white +1)`,
    image: tensorToRgb(sg),
  });
  sg.dispose();
  for (const p of perEpsPredictions(result, names)) {
    const r = result.results.find((e) => e.eps === p.eps)!;
    const caption = `eps = ${p.eps}: ${p.topName} ${pct(p.confidence)} (true class ${names[label]}: ${pct(p.trueConfidence)})`;
    out.push({
      file: `eps-${p.eps}.png`,
      kind: "adversarial",
      eps: p.eps,
      caption,
      image: tensorToRgb(r.clipped),
    });
    if (options.fullResolution === false) continue;
    const full = perturbationOnOriginal(photo, r.clipped);
    const recheck = recheckFullResolution(model, photo, full, label);
    out.push({
      file: `eps-${p.eps}-full.png`,
      kind: "adversarial-full",
      eps: p.eps,
      caption:
        `eps = ${p.eps}, perturbation resampled onto the ${photo.original.width}x${photo.original.height} photo; ` +
        `classified again: ${recheck.topName} ${pct(recheck.confidence)} (true class ${names[label]}: ${pct(recheck.trueConfidence)})`,
      image: full,
      recheck,
    });
  }
  return out;
}

/** Writes figures as PNGs plus a figures.html showing the model-resolution ones with captions; returns the files. */
export function writeFigureFiles(dir: string, figures: readonly PhotoFigure[]): string[] {
  mkdirSync(dir, { recursive: true });
  for (const f of figures) writeFileSync(join(dir, f.file), encodePng(f.image));
  const html = [
    "<!doctype html><meta charset=utf-8><title>gradopt attack figures</title>",
    "<style>body{font-family:sans-serif}figure{display:inline-block;margin:8px;vertical-align:top;max-width:300px}img{width:224px;image-rendering:pixelated}</style>",
    ...figures
      .filter((f) => f.kind !== "adversarial-full")
      .map((f) => `<figure><img src="${f.file}"><figcaption>${escape(f.caption)}</figcaption></figure>`),
  ].join("\n");
  writeFileSync(join(dir, "figures.html"), html + "\n");
  return [...figures.map((f) => join(dir, f.file)), join(dir, "figures.html")];
}

/** Writes the figure set for input 0 of `result` (photo = its source) into `dir`; returns the files written. */
export function writePhotoFigures(
  dir: string,
  model: TfjsClassifier,
  photo: Photo,
  result: AttackResult,
): string[] {
  return writeFigureFiles(dir, photoFigures(model, photo, result));
}
