import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { encodeIdx, loadDataset, readIdx, bundledDataDir, FASHION_MNIST_CLASSES } from "./index.js";

const tmp = mkdtempSync(join(tmpdir(), "gradopt-idx-"));

function write(name: string, bytes: Uint8Array): string {
  const file = join(tmp, name);
  writeFileSync(file, bytes);
  return file;
}

function expectDataError(fn: () => unknown, file: string, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GradoptError);
    const e = err as GradoptError;
    expect(e.location?.file).toBe(file);
    expect(e.format()).toContain(file);
    expect(e.message).toMatch(pattern);
    return;
  }
  throw new Error("expected a GradoptError");
}

describe("readIdx", () => {
  it("round-trips plain and gzipped files", () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);
    const bytes = encodeIdx({ dims: [2, 3, 4], data });
    for (const file of [write("a.idx", bytes), write("a.idx.gz", gzipSync(bytes))]) {
      const got = readIdx(file);
      expect(got.dims).toEqual([2, 3, 4]);
      expect(Array.from(got.data)).toEqual(Array.from(data));
    }
  });

  it("reads the bundled subset: 1000 images, 100 per class", () => {
    const labels = readIdx(join(bundledDataDir(), "t10k-labels-idx1-ubyte.gz"));
    const images = readIdx(join(bundledDataDir(), "t10k-images-idx3-ubyte.gz"));
    expect(images.dims).toEqual([1000, 28, 28]);
    expect(labels.dims).toEqual([1000]);
    const counts = new Array(10).fill(0);
    for (const l of labels.data) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(100));
  });

  it("rejects a wrong magic number", () => {
    const file = write("magic.idx", Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 1, 5]));
    expectDataError(() => readIdx(file), file, /wrong magic number 01 02 08 01/);
  });

  it("rejects an unsupported element type", () => {
    const file = write("type.idx", Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]));
    expectDataError(() => readIdx(file), file, /0xd \(float\) is not supported/);
  });

  it("rejects truncated headers and data", () => {
    const full = encodeIdx({ dims: [10, 28, 28], data: new Uint8Array(7840) });
    const header = write("hdr.idx", full.subarray(0, 9));
    expectDataError(() => readIdx(header), header, /truncated IDX header/);
    const body = write("body.idx.gz", gzipSync(full.subarray(0, 5000)));
    expectDataError(() => readIdx(body), body, /truncated IDX data: dimensions \[10, 28, 28\] need 7840 bytes/);
  });

  it("rejects a corrupt gzip stream", () => {
    const good = gzipSync(encodeIdx({ dims: [4], data: new Uint8Array(4) }));
    const file = write("bad.gz", good.subarray(0, good.length - 6));
    expectDataError(() => readIdx(file), file, /corrupt gzip/);
  });

  it("names a missing file", () => {
    const file = join(tmp, "nope.idx");
    expect(() => readIdx(file)).toThrow(GradoptError);
  });
});

describe("loadDataset", () => {
  it("loads the bundled subset as [0,1] NHWC with class names", () => {
    const d = loadDataset("bundled", { limit: 50 });
    expect(d.shape).toEqual([50, 28, 28, 1]);
    expect(d.images.length).toBe(50 * 784);
    expect(d.classNames).toEqual(FASHION_MNIST_CLASSES);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of d.images) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
  });

  it("rejects images whose dimensions are not [n, h, w] and label counts that disagree", () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-ds-"));
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx({ dims: [4, 4], data: new Uint8Array(16) }));
    writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), encodeIdx({ dims: [4], data: new Uint8Array(4) }));
    expectDataError(() => loadDataset(dir), join(dir, "t10k-images-idx3-ubyte"), /expected images of shape \[n, height, width\]/);
    writeFileSync(join(dir, "t10k-images-idx3-ubyte"), encodeIdx({ dims: [3, 2, 2], data: new Uint8Array(12) }));
    expectDataError(() => loadDataset(dir), join(dir, "t10k-labels-idx1-ubyte"), /4 labels for 3 images/);
  });

  it("says which file is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "gradopt-empty-"));
    expect(() => loadDataset(dir, { split: "train" })).toThrow(/no train-images-idx3-ubyte\[\.gz\]/);
  });
});
