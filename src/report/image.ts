/**
 * Raster images for reports: float pixels in [0, 1] -> 8-bit PNG (pngjs), nearest-neighbour upscaling (a 28x28 digit
 * stays sharp), diverging colour maps for signed quantities (gradients, perturbations), and tiling into one grid image.
 */
import { PNG } from "pngjs";
import { GradoptError } from "../errors.js";

/** Row-major, channels interleaved (HWC); values in [0, 1] (clamped on encoding). */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Float32Array;
}

function checkSize(width: number, height: number, channels: number, length: number, who: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new GradoptError("E_ARG", `${who}: image size must be positive integers, got ${width}x${height}`);
  }
  if (length !== width * height * channels) {
    throw new GradoptError(
      "E_ARG",
      `${who}: expected ${width}x${height}x${channels} = ${width * height * channels} values, got ${length}`,
    );
  }
}

/** Wraps pixel values (HWC, [0, 1]) as an image; `channels` defaults to 1 (grey). */
export function rasterImage(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 3 | 4 = 1,
): RasterImage {
  checkSize(width, height, channels, data.length, "rasterImage");
  return { width, height, channels, data: Float32Array.from(data) };
}

export type SignedColormap = "diverging" | "gray";

/**
 * A signed field (a gradient, a perturbation) as a picture. `scale` maps +/-scale to the ends of the colour map (default:
 * the largest magnitude, so the picture is amplified to full contrast; a zero field stays neutral).
 * - "diverging": negative blue, zero white, positive red.
 * - "gray": -scale black, 0 mid-grey, +scale white (how the TensorFlow FGSM tutorial shows sign(gradient)).
 */
export function signedImage(
  values: ArrayLike<number>,
  width: number,
  height: number,
  opts: { scale?: number; colormap?: SignedColormap } = {},
): RasterImage {
  checkSize(width, height, 1, values.length, "signedImage");
  let scale = opts.scale ?? 0;
  if (opts.scale === undefined)
    for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]!));
  const inv = scale > 0 ? 1 / scale : 0;
  const cmap = opts.colormap ?? "diverging";
  const out = new Float32Array(width * height * 3);
  for (let i = 0; i < values.length; i++) {
    const v = Math.max(-1, Math.min(1, values[i]! * inv));
    let r: number, g: number, b: number;
    if (cmap === "gray") {
      r = g = b = 0.5 + 0.5 * v;
    } else if (v >= 0) {
      // white -> red (#cf222e-ish)
      r = 1 - v * (1 - 0.81);
      g = 1 - v * (1 - 0.13);
      b = 1 - v * (1 - 0.18);
    } else {
      // white -> blue (#0969da-ish)
      const a = -v;
      r = 1 - a * (1 - 0.04);
      g = 1 - a * (1 - 0.41);
      b = 1 - a * (1 - 0.85);
    }
    out[3 * i] = r;
    out[3 * i + 1] = g;
    out[3 * i + 2] = b;
  }
  return { width, height, channels: 3, data: out };
}

/** Nearest-neighbour upscaling by an integer factor: every pixel becomes a factor x factor block. */
export function upscaleNearest(img: RasterImage, factor: number): RasterImage {
  if (!Number.isInteger(factor) || factor < 1)
    throw new GradoptError("E_ARG", `upscaleNearest: factor must be an integer >= 1, got ${factor}`);
  if (factor === 1) return img;
  const { width, height, channels } = img;
  const W = width * factor;
  const H = height * factor;
  const out = new Float32Array(W * H * channels);
  for (let Y = 0; Y < H; Y++) {
    const srcRow = Math.floor(Y / factor) * width;
    for (let X = 0; X < W; X++) {
      const src = (srcRow + Math.floor(X / factor)) * channels;
      const dst = (Y * W + X) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = img.data[src + c]!;
    }
  }
  return { width: W, height: H, channels, data: out };
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // NaN -> 0
  return v >= 1 ? 255 : Math.round(v * 255);
}

/** Encodes as an 8-bit RGBA PNG. */
export function encodePng(img: RasterImage): Buffer {
  checkSize(img.width, img.height, img.channels, img.data.length, "encodePng");
  const png = new PNG({ width: img.width, height: img.height });
  const n = img.width * img.height;
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const o = 4 * i;
    if (img.channels === 1) {
      const v = toByte(d[i]!);
      png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
      png.data[o + 3] = 255;
    } else {
      const s = img.channels * i;
      png.data[o] = toByte(d[s]!);
      png.data[o + 1] = toByte(d[s + 1]!);
      png.data[o + 2] = toByte(d[s + 2]!);
      png.data[o + 3] = img.channels === 4 ? toByte(d[s + 3]!) : 255;
    }
  }
  return PNG.sync.write(png);
}

/** Decodes a PNG into an RGBA RasterImage (used by tests and to embed existing files). */
export function decodePng(bytes: Uint8Array): RasterImage {
  const png = PNG.sync.read(Buffer.from(bytes));
  const data = new Float32Array(png.width * png.height * 4);
  for (let i = 0; i < data.length; i++) data[i] = png.data[i]! / 255;
  return { width: png.width, height: png.height, channels: 4, data };
}

function rgbAt(img: RasterImage, x: number, y: number, out: number[]): void {
  const i = (y * img.width + x) * img.channels;
  if (img.channels === 1) out[0] = out[1] = out[2] = img.data[i]!;
  else {
    out[0] = img.data[i]!;
    out[1] = img.data[i + 1]!;
    out[2] = img.data[i + 2]!;
  }
}

/**
 * Tiles rows of images into one RGB image: cells are as large as the largest image, separated by `gap` pixels of
 * `background` (grey level). Missing cells (ragged rows, null) stay background.
 */
export function tileImages(
  rows: (RasterImage | null)[][],
  opts: { gap?: number; background?: number } = {},
): RasterImage {
  const gap = opts.gap ?? 4;
  const bg = opts.background ?? 1;
  const cols = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || cols === 0) throw new GradoptError("E_ARG", "tileImages: no images to tile");
  let cw = 0;
  let ch = 0;
  for (const im of rows.flat()) {
    if (!im) continue;
    cw = Math.max(cw, im.width);
    ch = Math.max(ch, im.height);
  }
  const W = cols * cw + (cols - 1) * gap;
  const H = rows.length * ch + (rows.length - 1) * gap;
  const out = new Float32Array(W * H * 3).fill(bg);
  const px = [0, 0, 0];
  rows.forEach((r, ri) =>
    r.forEach((im, ci) => {
      if (!im) return;
      const ox = ci * (cw + gap);
      const oy = ri * (ch + gap);
      for (let y = 0; y < im.height; y++)
        for (let x = 0; x < im.width; x++) {
          rgbAt(im, x, y, px);
          const o = ((oy + y) * W + ox + x) * 3;
          out[o] = px[0]!;
          out[o + 1] = px[1]!;
          out[o + 2] = px[2]!;
        }
    }),
  );
  return { width: W, height: H, channels: 3, data: out };
}
