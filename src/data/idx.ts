/**
 * Reader for IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * number (two zero bytes, a type code, the number of dimensions), the dimensions as big-endian uint32, then the data
 * in row-major order. Gzipped files (magic 1f 8b) are inflated with node:zlib first.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { GradoptError } from "../errors.js";

/** An IDX array: its dimensions and its values (only the unsigned-byte type, 0x08, which every (Fashion-)MNIST file uses). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: "ubyte", 0x09: "byte", 0x0b: "short", 0x0c: "int", 0x0d: "float", 0x0e: "double" };

function fail(file: string, message: string): never {
  throw new GradoptError("E_DATA", message, { file });
}

/** Parses IDX bytes (already inflated); `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) fail(file, `not an IDX file: ${bytes.length} bytes, shorter than the 4-byte header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    fail(file, `not an IDX file: wrong magic number ${magic} (expected 00 00 <type> <ndims>)`);
  }
  const type = bytes[2]!;
  if (type !== UBYTE) fail(file, `IDX element type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? "unknown"}) is not supported; expected 0x08 (unsigned byte)`);
  const ndims = bytes[3]!;
  if (ndims < 1) fail(file, "IDX header declares 0 dimensions");
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) fail(file, `truncated IDX header: ${ndims} dimensions need ${headerBytes} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - headerBytes;
  if (have < count) fail(file, `truncated IDX data: dimensions [${dims.join(", ")}] need ${count} bytes, file has ${have}`);
  if (have > count) fail(file, `IDX file has ${have - count} bytes after the data the dimensions [${dims.join(", ")}] describe`);
  return { dims, data: bytes.subarray(headerBytes, headerBytes + count) };
}

/** Reads an IDX file, gzipped or not. */
export function readIdx(file: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new GradoptError("E_IO", `cannot read IDX file: ${(err as Error).message}`, { file }, { cause: err });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      fail(file, `corrupt gzip stream: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, file);
}

/** Serialises an unsigned-byte IDX array (the inverse of parseIdx). */
export function encodeIdx(array: IdxArray): Uint8Array {
  const header = new Uint8Array(4 + 4 * array.dims.length);
  const view = new DataView(header.buffer);
  header[2] = UBYTE;
  header[3] = array.dims.length;
  array.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + array.data.length);
  out.set(header, 0);
  out.set(array.data, header.length);
  return out;
}
