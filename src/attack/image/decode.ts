/**
 * Photo decoding: JPEG (baseline and progressive, grey / YCbCr / CMYK) and PNG (any bit depth, grey, palette, RGB,
 * RGBA) into one layout: RGB float32 on [0, 1], row-major [height, width, 3]. Alpha is composited over white (what a
 * viewer shows), so a transparent background does not become black. A JPEG's EXIF orientation is applied.
 *
 * Two decoders: sharp (libvips with libjpeg-turbo / mozjpeg and libpng; an optional dependency, used when it loads) and
 * the pure-JS jpeg-js + pngjs (always there; `decodeImage` is that one, synchronous). On a 12 MP JPEG here sharp took
 * 0.3-1 s against jpeg-js's 8 s, so readImage / decodeImageAsync prefer it. The two differ by the JPEG decoders' IDCT
 * and chroma upsampling (a few levels of 255; the tests bound it).
 */
import { readFile } from "node:fs/promises";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { GradoptError } from "../../errors.js";
import { applyOrientation, jpegOrientation } from "./orientation.js";

export interface RgbImage {
  width: number;
  height: number;
  /** [height, width, 3], values on [0, 1]. */
  data: Float32Array;
}

export type ImageFormat = "jpeg" | "png";

/** The format from the file's magic bytes (never from its extension). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && sig.every((b, i) => bytes[i] === b)) return "png";
  return undefined;
}

/** RGBA uint8 -> RGB float on [0, 1], alpha composited over white. */
function rgbaToRgb(rgba: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) data[3 * i + c] = (rgba[4 * i + c]! / 255) * a + (1 - a);
  }
  return { width, height, data };
}

/** Decodes JPEG or PNG bytes with the pure-JS decoders (jpeg-js, pngjs); `file` names the source in errors. */
export function decodeImage(bytes: Uint8Array, file = "<image>"): RgbImage {
  const format = sniffImageFormat(bytes);
  if (!format)
    throw new GradoptError("E_DATA", "not a JPEG or PNG image (unrecognised file signature)", { file });
  try {
    if (format === "jpeg") {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: 200,
        maxMemoryUsageInMB: 1024,
      });
      if (!(img.width > 0 && img.height > 0)) throw new Error("empty image");
      return applyOrientation(rgbaToRgb(img.data, img.width, img.height), jpegOrientation(bytes));
    }
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return rgbaToRgb(png.data, png.width, png.height);
  } catch (err) {
    throw new GradoptError(
      "E_DATA",
      `corrupt or unsupported ${format.toUpperCase()} image: ${(err as Error).message}`,
      { file },
    );
  }
}

export type ImageDecoder = "sharp" | "js";

export interface DecodeOptions {
  /** "auto" (default): sharp when it loads, else the pure-JS decoders. */
  decoder?: ImageDecoder | "auto";
}

type SharpModule = typeof import("sharp").default;
let sharpModule: Promise<SharpModule | undefined> | undefined;

/** sharp, if it is installed and its native part loads here (cached). */
function loadSharp(): Promise<SharpModule | undefined> {
  sharpModule ??= import("sharp").then(
    (m) => m.default,
    () => undefined,
  );
  return sharpModule;
}

/** The decoder "auto" picks here, and its version (for the record of how a photo was read). */
export async function imageDecoderInfo(): Promise<{ decoder: ImageDecoder; version: string }> {
  const sharp = await loadSharp();
  if (sharp)
    return { decoder: "sharp", version: `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips})` };
  return { decoder: "js", version: "jpeg-js + pngjs" };
}

/** Decodes with sharp: EXIF orientation applied, alpha over white, sRGB (grey and CMYK converted), 8 bits. */
async function decodeWithSharp(
  sharp: SharpModule,
  bytes: Uint8Array,
  format: ImageFormat,
): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { failOn: "warning", limitInputPixels: 200e6 })
    .rotate()
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  if (channels !== 3) throw new Error(`${format}: decoded to ${channels} channels, expected 3`);
  const out = new Float32Array(width * height * 3);
  for (let i = 0; i < out.length; i++) out[i] = data[i]! / 255;
  return { width, height, data: out };
}

/** Decodes JPEG or PNG bytes, with sharp when available (see DecodeOptions); `file` names the source in errors. */
export async function decodeImageAsync(
  bytes: Uint8Array,
  file = "<image>",
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const decoder = options.decoder ?? "auto";
  const format = sniffImageFormat(bytes);
  if (!format || decoder === "js") return decodeImage(bytes, file);
  const sharp = await loadSharp();
  if (!sharp) {
    if (decoder === "sharp")
      throw new GradoptError("E_ARG", "the sharp decoder was asked for but sharp is not installed here", {
        file,
      });
    return decodeImage(bytes, file);
  }
  try {
    return await decodeWithSharp(sharp, bytes, format);
  } catch (err) {
    throw new GradoptError(
      "E_DATA",
      `corrupt or unsupported ${format.toUpperCase()} image: ${(err as Error).message}`,
      { file },
    );
  }
}

/** Reads and decodes an image file (sharp when available, see DecodeOptions). */
export async function readImage(file: string, options: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new GradoptError(
      "E_IO",
      `cannot read the image: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { file },
    );
  }
  return decodeImageAsync(bytes, file, options);
}
