/**
 * Photos as model inputs: read, centre-crop and resize to the model's [h, w, c] input (c = 3, or 1 as luma), as a
 * [1, h, w, c] tensor on [0, 1]; and the way back: a perturbation found at the model's resolution resampled onto the
 * original photo's crop region, so the attacked photo can be saved at full size.
 */
import { PNG } from "pngjs";
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../../errors.js";
import { DEFAULT_INPUT_SIDE } from "../model.js";
import { readImage, type RgbImage } from "./decode.js";
import { centreCropBox, resampleRegion, type CropBox, type ResizeFit } from "./resize.js";

export interface Photo {
  /** The decoded original. */
  original: RgbImage;
  /** The region of the original that the model sees. */
  box: CropBox;
  /** [1, h, w, c] on [0, 1]. */
  input: tf.Tensor4D;
}

/** Side used for a model whose input height/width are dynamic (null or -1): the ImageNet models' 224. */
export const DEFAULT_IMAGE_SIDE = DEFAULT_INPUT_SIDE;

/**
 * Checks that a model input shape [h, w, c] can take an image (c = 1 or 3; dynamic h, w become DEFAULT_IMAGE_SIDE,
 * and `defaulted` says so, for the caller to tell the user).
 */
export function imageInputSize(
  inputShape: readonly (number | null)[],
  flag = "--model",
): { height: number; width: number; channels: 1 | 3; defaulted: boolean } {
  const [h, w, c] = inputShape;
  const defaulted = h === null || h === -1 || w === null || w === -1;
  const side = (d: number | null | undefined) => (d === null || d === -1 ? DEFAULT_IMAGE_SIDE : d);
  const height = side(h);
  const width = side(w);
  if (
    inputShape.length !== 3 ||
    (c !== 1 && c !== 3) ||
    !(Number.isInteger(height) && height! >= 1) ||
    !(Number.isInteger(width) && width! >= 1)
  ) {
    throw new GradoptError(
      "E_ARG",
      `${flag}: the model's input shape [${inputShape.join(", ")}] cannot take an image (need [height, width, 1 or 3])`,
    );
  }
  return { height: height!, width: width!, channels: c, defaulted };
}

/** ITU-R BT.601 luma, for single-channel models. */
function toChannels(img: RgbImage, channels: 1 | 3): Float32Array {
  if (channels === 3) return img.data;
  const out = new Float32Array(img.width * img.height);
  for (let i = 0; i < out.length; i++)
    out[i] = 0.299 * img.data[3 * i]! + 0.587 * img.data[3 * i + 1]! + 0.114 * img.data[3 * i + 2]!;
  return out;
}

/** A decoded image as a model input of the given shape. */
export function imageToInput(
  original: RgbImage,
  inputShape: readonly (number | null)[],
  fit: ResizeFit = "cover",
): Photo {
  const { height, width } = imageInputSize(inputShape);
  const box =
    fit === "cover"
      ? centreCropBox(original.width, original.height, width, height)
      : { x: 0, y: 0, width: original.width, height: original.height };
  return regionToInput(original, box, inputShape);
}

/** The `box` region of an image resized to the model's input (the way back in: same box, same resampling). */
export function regionToInput(
  original: RgbImage,
  box: CropBox,
  inputShape: readonly (number | null)[],
): Photo {
  const { height, width, channels } = imageInputSize(inputShape);
  const resized = resampleRegion(original, box, width, height);
  return { original, box, input: tf.tensor4d(toChannels(resized, channels), [1, height, width, channels]) };
}

/** Reads a JPEG/PNG file as a model input. */
export async function loadPhoto(
  file: string,
  inputShape: readonly (number | null)[],
  fit: ResizeFit = "cover",
): Promise<Photo> {
  return imageToInput(await readImage(file), inputShape, fit);
}

/**
 * The original photo plus (adversarial - clean) resampled (bilinear) onto the crop region, clipped to [0, 1]. Note the
 * resampled perturbation is smoother than the model-resolution one: its effect on the model must be re-checked.
 */
export function perturbationOnOriginal(photo: Photo, adversarial: tf.Tensor): RgbImage {
  const [, h, w, c] = photo.input.shape;
  const delta = tf.tidy(
    () =>
      tf
        .sub(adversarial, photo.input)
        .reshape([h * w * c])
        .dataSync() as Float32Array,
  );
  const rgb = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++)
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = delta[c === 3 ? 3 * i + k : i]!;
  const { original, box } = photo;
  const x0 = Math.round(box.x),
    y0 = Math.round(box.y);
  const bw = Math.round(box.width),
    bh = Math.round(box.height);
  // Resample the delta (shifted to [0, 1] so the resampler's clipping is harmless) onto the crop box.
  const shifted: RgbImage = { width: w, height: h, data: rgb.map((v) => (v + 1) / 2) };
  const up = resampleRegion(shifted, { x: 0, y: 0, width: w, height: h }, bw, bh);
  const data = Float32Array.from(original.data);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const o = ((y0 + y) * original.width + x0 + x) * 3;
      const d = (y * bw + x) * 3;
      for (let k = 0; k < 3; k++)
        data[o + k] = Math.min(1, Math.max(0, data[o + k]! + up.data[d + k]! * 2 - 1));
    }
  }
  return { width: original.width, height: original.height, data };
}

/** An RGB image as 8-bit PNG bytes. */
export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    for (let k = 0; k < 3; k++)
      png.data[4 * i + k] = Math.round(Math.min(1, Math.max(0, img.data[3 * i + k]!)) * 255);
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}
