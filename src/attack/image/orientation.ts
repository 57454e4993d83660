/**
 * EXIF orientation (tag 0x0112 in a JPEG's APP1 "Exif" segment): phone cameras store the sensor's pixels and say how to
 * turn them. jpeg-js ignores it, so a portrait photo would reach the model lying on its side; we apply it after decoding.
 */
import type { RgbImage } from "./decode.js";

/** The EXIF orientation (1-8) of a JPEG, or 1 when absent or unreadable. */
export function jpegOrientation(bytes: Uint8Array): number {
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image: no more metadata
    const len = (bytes[p + 2]! << 8) | bytes[p + 3]!;
    if (
      marker === 0xe1 &&
      len >= 16 &&
      String.fromCharCode(...bytes.subarray(p + 4, p + 8)) === "Exif" &&
      bytes[p + 8] === 0 &&
      bytes[p + 9] === 0
    ) {
      const tiff = p + 10;
      const little = bytes[tiff] === 0x49; // "II"
      const u16 = (o: number) =>
        little ? bytes[o]! | (bytes[o + 1]! << 8) : (bytes[o]! << 8) | bytes[o + 1]!;
      const u32 = (o: number) => (little ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2));
      const ifd = tiff + u32(tiff + 4);
      if (ifd + 2 > bytes.length) return 1;
      const n = u16(ifd);
      for (let i = 0; i < n; i++) {
        const e = ifd + 2 + 12 * i;
        if (e + 12 > bytes.length) return 1;
        if (u16(e) === 0x0112) {
          const v = u16(e + 8);
          return v >= 1 && v <= 8 ? v : 1;
        }
      }
      return 1;
    }
    p += 2 + len;
  }
  return 1;
}

/** The image as displayed under EXIF `orientation` (5-8 swap width and height). */
export function applyOrientation(img: RgbImage, orientation: number): RgbImage {
  if (orientation <= 1 || orientation > 8) return img;
  const { width: w, height: h } = img;
  const swap = orientation >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  const data = new Float32Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sx, sy] = sourceOf(orientation, x, y, w, h);
      const s = (sy * w + sx) * 3;
      const d = (y * W + x) * 3;
      data[d] = img.data[s]!;
      data[d + 1] = img.data[s + 1]!;
      data[d + 2] = img.data[s + 2]!;
    }
  }
  return { width: W, height: H, data };
}

/** The stored pixel shown at display position (x, y) under `orientation`; w, h: the stored size. */
function sourceOf(orientation: number, x: number, y: number, w: number, h: number): [number, number] {
  switch (orientation) {
    case 2:
      return [w - 1 - x, y];
    case 3:
      return [w - 1 - x, h - 1 - y];
    case 4:
      return [x, h - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [y, h - 1 - x];
    case 7:
      return [w - 1 - y, h - 1 - x];
    default:
      return [w - 1 - y, x]; // 8
  }
}
