/**
 * Resizing photos to a model's input: separable triangle-filter (bilinear) resampling. When shrinking by a factor s
 * the triangle is widened to s pixels (PIL's BILINEAR, tf.image.resize(antialias=true)), so every source pixel
 * contributes and fine texture does not alias; when enlarging it is plain bilinear interpolation. Pixel centres are
 * aligned (half-pixel convention). `fit: "cover"` centre-crops to the target aspect first (Keras' crop_to_aspect_ratio),
 * "fill" stretches (the TF tutorial's tf.image.resize).
 */
import { assertArg } from "../../errors.js";
import type { RgbImage } from "./decode.js";

export type ResizeFit = "cover" | "fill";

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The centred crop of a `width` x `height` image with the target's aspect ratio. */
export function centreCropBox(width: number, height: number, targetW: number, targetH: number): CropBox {
  const scale = Math.min(width / targetW, height / targetH);
  const w = targetW * scale;
  const h = targetH * scale;
  return { x: (width - w) / 2, y: (height - h) / 2, width: w, height: h };
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  maxTaps: number;
}

/** Per output index: source indices and normalised triangle weights, sampling [from, from + span) onto `out` pixels. */
function taps(out: number, from: number, span: number, size: number): Taps {
  const scale = span / out;
  const support = Math.max(1, scale); // half-width of the triangle in source pixels
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(out);
  const count = new Int32Array(out);
  const weights = new Float64Array(out * maxTaps);
  for (let i = 0; i < out; i++) {
    const centre = from + (i + 0.5) * scale - 0.5; // in source pixel-centre coordinates
    const lo = Math.max(0, Math.ceil(centre - support));
    const hi = Math.min(size - 1, Math.floor(centre + support));
    let total = 0;
    let k = 0;
    for (let j = lo; j <= hi && k < maxTaps; j++, k++) {
      const w = Math.max(0, 1 - Math.abs(j - centre) / support);
      weights[i * maxTaps + k] = w;
      total += w;
    }
    if (total === 0) {
      // Outside the image (only at the border): nearest pixel.
      const j = Math.min(size - 1, Math.max(0, Math.round(centre)));
      start[i] = j;
      count[i] = 1;
      weights[i * maxTaps] = 1;
      continue;
    }
    start[i] = lo;
    count[i] = k;
    for (let q = 0; q < k; q++) weights[i * maxTaps + q] /= total;
  }
  return { start, count, weights, maxTaps };
}

/** Resamples the `box` region of an RGB image to `width` x `height`. */
export function resampleRegion(img: RgbImage, box: CropBox, width: number, height: number): RgbImage {
  assertArg(
    Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0,
    () => `resize: target must be positive integers, got ${width}x${height}`,
  );
  const tx = taps(width, box.x, box.width, img.width);
  const ty = taps(height, box.y, box.height, img.height);
  // Horizontal pass: [img.height, width, 3].
  const mid = new Float32Array(img.height * width * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0,
        g = 0,
        b = 0;
      const s = tx.start[x]!;
      for (let k = 0; k < tx.count[x]!; k++) {
        const w = tx.weights[x * tx.maxTaps + k]!;
        const p = (y * img.width + s + k) * 3;
        r += w * img.data[p]!;
        g += w * img.data[p + 1]!;
        b += w * img.data[p + 2]!;
      }
      const q = (y * width + x) * 3;
      mid[q] = r;
      mid[q + 1] = g;
      mid[q + 2] = b;
    }
  }
  // Vertical pass.
  const data = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const s = ty.start[y]!;
    for (let k = 0; k < ty.count[y]!; k++) {
      const w = ty.weights[y * ty.maxTaps + k]!;
      const row = (s + k) * width * 3;
      const outRow = y * width * 3;
      for (let i = 0; i < width * 3; i++) data[outRow + i] = data[outRow + i]! + w * mid[row + i]!;
    }
  }
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, data[i]!));
  return { width, height, data };
}

/** Resizes (and with fit "cover", centre-crops) an image to `width` x `height`. */
export function resizeImage(
  img: RgbImage,
  width: number,
  height: number,
  fit: ResizeFit = "cover",
): RgbImage {
  const box =
    fit === "cover"
      ? centreCropBox(img.width, img.height, width, height)
      : { x: 0, y: 0, width: img.width, height: img.height };
  return resampleRegion(img, box, width, height);
}
