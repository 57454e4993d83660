/**
 * Photo decoding: JPEG (baseline and progressive, grey / YCbCr / CMYK, via jpeg-js) and PNG (any bit depth, grey,
 * palette, RGB, RGBA, via pngjs) into one layout: RGB float32 on [0, 1], row-major [height, width, 3]. Alpha is
 * composited over white (what a viewer shows), so a transparent background does not become black. A JPEG's EXIF
 * orientation is applied (see orientation.ts).
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

/** Decodes JPEG or PNG bytes; `file` names the source in errors. */
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

/** Reads and decodes an image file. */
export async function readImage(file: string): Promise<RgbImage> {
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
  return decodeImage(bytes, file);
}
