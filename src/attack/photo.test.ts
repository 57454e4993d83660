/**
 * Photos against an ImageNet-shaped MobileNetV2: real CC0 photographs (test/fixtures/photos, from scikit-image) decoded
 * from JPEG (baseline, progressive, grey) and PNG (RGBA, grey made here), resized, and attacked with the seed article's
 * eps on a MobileNetV2-architecture model (width alpha 0.35, 224x224x3, 1001 outputs, random weights) saved in
 * TensorFlow.js format and loaded from disk.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { initBackend } from "../tf/backend.js";
import {
  decodeImage,
  decodeImageAsync,
  imageDecoderInfo,
  imageInputSize,
  imageToInput,
  loadPhoto,
  perturbationOnOriginal,
  readImage,
  resizeImage,
  signedGradientImage,
  centreCropBox,
  type RgbImage,
} from "./image/index.js";
import { fgsm, fileSystemHandler, reverseStep, run, type TfjsClassifier } from "./index.js";
import { imagenetClassNames, loadImageClassifier, resolveLabel, topK } from "./presets.js";
import { runCli } from "../../test/cli/run-cli.js";
import { mobileNetV2Blocks } from "./testing.js";

const FIX = new URL("../../test/fixtures/photos/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(FIX, name));

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("decoding", () => {
  it("reads baseline and progressive JPEG alike (jpegtran's lossless rewrite)", () => {
    const base = decodeImage(fixture("chelsea.jpg"));
    const prog = decodeImage(fixture("chelsea-progressive.jpg"));
    expect([base.width, base.height]).toEqual([240, 160]);
    expect([prog.width, prog.height]).toEqual([240, 160]);
    expect(maxAbsDiff(base.data, prog.data)).toBeLessThanOrEqual(2 / 255);
    const min = base.data.reduce((a, v) => Math.min(a, v), 1);
    const max = base.data.reduce((a, v) => Math.max(a, v), 0);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max - min).toBeGreaterThan(0.5); // a real photo, not a flat image
  });

  it("reads a one-component (grey) JPEG as R = G = B close to the colour photo's luma", () => {
    const grey = decodeImage(fixture("chelsea-grey.jpg"));
    const rgb = decodeImage(fixture("chelsea.jpg"));
    let err = 0;
    for (let i = 0; i < grey.width * grey.height; i++) {
      expect(grey.data[3 * i]).toBe(grey.data[3 * i + 1]);
      expect(grey.data[3 * i]).toBe(grey.data[3 * i + 2]);
      err += Math.abs(
        grey.data[3 * i]! -
          (0.299 * rgb.data[3 * i]! + 0.587 * rgb.data[3 * i + 1]! + 0.114 * rgb.data[3 * i + 2]!),
      );
    }
    expect(err / (grey.width * grey.height)).toBeLessThan(0.02);
  });

  it("applies a JPEG's EXIF orientation (big- and little-endian TIFF headers)", () => {
    const base = decodeImage(fixture("chelsea.jpg"));
    const withExif = (orientation: number, little: boolean): Buffer => {
      const b = Buffer.alloc(36);
      b.set([0xff, 0xe1, 0, 34], 0);
      b.write("Exif\0\0", 4, "latin1");
      const t = 10;
      b.write(little ? "II" : "MM", t, "latin1");
      const u16 = (o: number, v: number) => (little ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
      const u32 = (o: number, v: number) => (little ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
      u16(t + 2, 42);
      u32(t + 4, 8);
      u16(t + 8, 1); // one IFD entry
      u16(t + 10, 0x0112);
      u16(t + 12, 3); // SHORT
      u32(t + 14, 1);
      u16(t + 18, orientation);
      const jpg = fixture("chelsea.jpg");
      return Buffer.concat([jpg.subarray(0, 2), b.subarray(0, 2 + 34), jpg.subarray(2)]);
    };
    const px = (img: RgbImage, x: number, y: number) =>
      Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));
    const r6 = decodeImage(withExif(6, false)); // rotate 90 degrees clockwise to display
    expect([r6.width, r6.height]).toEqual([160, 240]);
    expect(px(r6, 159, 0)).toEqual(px(base, 0, 0)); // stored top-left -> displayed top-right
    expect(px(r6, 0, 239)).toEqual(px(base, 239, 159));
    const r3 = decodeImage(withExif(3, true)); // 180 degrees
    expect([r3.width, r3.height]).toEqual([240, 160]);
    expect(px(r3, 0, 0)).toEqual(px(base, 239, 159));
    const r8 = decodeImage(withExif(8, true));
    expect(px(r8, 0, 239)).toEqual(px(base, 0, 0)); // stored top-left -> displayed bottom-left
    expect(maxAbsDiff(decodeImage(withExif(1, false)).data, base.data)).toBe(0);
  });

  it("reads PNG: RGBA photo, grey PNG, and transparent pixels composited over white", () => {
    const coffee = decodeImage(fixture("coffee.png"));
    expect([coffee.width, coffee.height]).toEqual([150, 100]);
    const grey = new PNG({ width: 3, height: 2, colorType: 0 });
    const ga = new PNG({ width: 2, height: 1 });
    for (let i = 0; i < 6; i++) grey.data.set([40 * i, 40 * i, 40 * i, 255], 4 * i);
    ga.data.set([0, 0, 0, 0, 255, 0, 0, 255]); // transparent black, opaque red
    const g = decodeImage(PNG.sync.write(grey, { colorType: 0 }));
    expect(Array.from(g.data.subarray(9, 12))).toEqual([120 / 255, 120 / 255, 120 / 255].map(Math.fround));
    const a = decodeImage(PNG.sync.write(ga, { colorType: 6 }));
    expect(Array.from(a.data)).toEqual([1, 1, 1, 1, 0, 0]);
  });

  it("refuses corrupt and unknown files with a GradoptError naming the file", async () => {
    const formatted = (f: () => unknown): string => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(GradoptError);
        return (err as GradoptError).format();
      }
      throw new Error("did not throw");
    };
    const bytes = fixture("chelsea.jpg");
    expect(formatted(() => decodeImage(bytes.subarray(0, 400), "cut.jpg"))).toMatch(
      /^cut\.jpg.*corrupt or unsupported JPEG/,
    );
    expect(formatted(() => decodeImage(Buffer.from("GIF89a....."), "x.gif"))).toMatch(
      /^x\.gif.*not a JPEG or PNG/,
    );
    expect(formatted(() => decodeImage(fixture("coffee.png").subarray(0, 200), "c.png"))).toMatch(
      /^c\.png.*corrupt or unsupported PNG/,
    );
    const missing = await readImage(join(FIX, "missing.jpg")).catch((e: GradoptError) => e.format());
    expect(missing).toMatch(/missing\.jpg.*ENOENT/);
  });
});

// sharp is an optional dependency: where it does not install, these tests are skipped — except in CI, which installs it.
const sharpLoads = await import("sharp").then(
  () => true,
  () => false,
);

describe.skipIf(!sharpLoads && !process.env.CI)(
  "decoding with sharp (libvips) against the pure-JS decoders",
  () => {
    /** Mean and largest absolute difference, in levels of 255. */
    const levels = (a: RgbImage, b: RgbImage) => {
      expect([a.width, a.height]).toEqual([b.width, b.height]);
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
      return { mean: (255 * sum) / a.data.length, max: 255 * maxAbsDiff(a.data, b.data) };
    };

    it("is what auto picks here, and agrees with jpeg-js / pngjs on JPEG (baseline, progressive, grey) and PNG", async () => {
      expect((await imageDecoderInfo()).decoder).toBe("sharp");
      for (const name of ["chelsea.jpg", "chelsea-progressive.jpg", "chelsea-grey.jpg"]) {
        const js = decodeImage(fixture(name));
        const sharp = await decodeImageAsync(fixture(name), name, { decoder: "sharp" });
        const d = levels(sharp, js);
        // Different IDCTs and chroma upsampling: measured 0.52 levels on average, 3 at most (grey: 0.07, 1).
        expect(d.mean).toBeLessThan(1);
        expect(d.max).toBeLessThanOrEqual(4);
      }
      const grey = await decodeImageAsync(fixture("chelsea-grey.jpg"), "g", { decoder: "sharp" });
      for (let i = 0; i < 100; i++) expect(grey.data[3 * i]).toBe(grey.data[3 * i + 2]);
      const png = levels(
        await decodeImageAsync(fixture("coffee.png"), "c", { decoder: "sharp" }),
        decodeImage(fixture("coffee.png")),
      );
      expect(png.max).toBeLessThanOrEqual(1); // lossless: at most rounding of the alpha composite
      // Transparent pixels over white, as the JS path does.
      const ga = new PNG({ width: 2, height: 1 });
      ga.data.set([0, 0, 0, 0, 255, 0, 0, 255]);
      const a = await decodeImageAsync(PNG.sync.write(ga, { colorType: 6 }), "a.png", { decoder: "sharp" });
      expect(Array.from(a.data)).toEqual([1, 1, 1, 1, 0, 0]);
    });

    it("applies the EXIF orientation and refuses a truncated JPEG with the same clear error", async () => {
      const jpg = fixture("chelsea.jpg");
      // The same APP1 segment as above, orientation 6 (rotate 90 degrees clockwise), big-endian.
      const b = Buffer.alloc(36);
      b.set([0xff, 0xe1, 0, 34], 0);
      b.write("Exif\0\0", 4, "latin1");
      b.write("MM", 10, "latin1");
      b.writeUInt16BE(42, 12);
      b.writeUInt32BE(8, 14);
      b.writeUInt16BE(1, 18);
      b.writeUInt16BE(0x0112, 20);
      b.writeUInt16BE(3, 22);
      b.writeUInt32BE(1, 24);
      b.writeUInt16BE(6, 28);
      const rotated = Buffer.concat([jpg.subarray(0, 2), b, jpg.subarray(2)]);
      const viaSharp = await decodeImageAsync(rotated, "r.jpg", { decoder: "sharp" });
      const viaJs = decodeImage(rotated);
      expect([viaSharp.width, viaSharp.height]).toEqual([160, 240]);
      expect(levels(viaSharp, viaJs).mean).toBeLessThan(2);
      // Cut in the header, and cut half-way through the scan (libjpeg would pad it with grey; failOn refuses it).
      for (const end of [400, jpg.length >> 1]) {
        const cut = await decodeImageAsync(jpg.subarray(0, end), "cut.jpg", { decoder: "sharp" }).catch(
          (e: unknown) => e,
        );
        expect(cut).toBeInstanceOf(GradoptError);
        expect((cut as GradoptError).format()).toMatch(/^cut\.jpg.*corrupt or unsupported JPEG/);
      }
    });
  },
);

describe("resizing", () => {
  const solid = (w: number, h: number, f: (x: number, y: number) => number): RgbImage => {
    const data = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data.fill(f(x, y), 3 * (y * w + x), 3 * (y * w + x) + 3);
    return { width: w, height: h, data };
  };

  it("keeps a constant image constant and a linear ramp linear when enlarging (bilinear)", () => {
    const c = resizeImage(
      solid(7, 5, () => 0.3),
      20,
      11,
      "fill",
    );
    expect(maxAbsDiff(c.data, new Float32Array(c.data.length).fill(0.3))).toBeLessThan(1e-6);
    const ramp = resizeImage(
      solid(10, 1, (x) => x / 10),
      40,
      1,
      "fill",
    );
    // Interior output pixel centres map to source x = (i + 0.5) / 4 - 0.5; the value there is that x / 10.
    for (let i = 4; i < 36; i++) expect(ramp.data[3 * i]!).toBeCloseTo(((i + 0.5) / 4 - 0.5) / 10, 5);
  });

  it("antialiases when shrinking: a 1-pixel checkerboard shrunk 8x becomes flat grey", () => {
    const small = resizeImage(
      solid(64, 64, (x, y) => (x + y) % 2),
      8,
      8,
      "fill",
    );
    for (const v of small.data) expect(Math.abs(v - 0.5)).toBeLessThan(0.02);
  });

  it("centre-crops to the target aspect", () => {
    expect(centreCropBox(240, 160, 224, 224)).toEqual({ x: 40, y: 0, width: 160, height: 160 });
    expect(centreCropBox(100, 300, 10, 20)).toEqual({ x: 0, y: 50, width: 100, height: 200 });
  });

  it("rejects model inputs that cannot take an image", () => {
    expect(() => imageInputSize([784])).toThrow(/--model.*\[784\] cannot take an image/);
    expect(() => imageInputSize([32, 32, 4])).toThrow(GradoptError);
    expect(imageInputSize([28, 28, 1])).toEqual({ height: 28, width: 28, channels: 1, defaulted: false });
    expect(imageInputSize([-1, null, 3])).toEqual({ height: 224, width: 224, channels: 3, defaulted: true });
    const g = imageToInput(decodeImage(fixture("chelsea.jpg")), [28, 28, 1]);
    expect(g.input.shape).toEqual([1, 28, 28, 1]);
    g.input.dispose();
  });
});

describe("ImageNet names and labels", () => {
  it("has the 1000 Keras-order names and resolves labels by index or name", () => {
    const names = imagenetClassNames();
    expect(names).toHaveLength(1000);
    expect([names[0], names[281], names[285], names[504], names[967], names[999]]).toEqual([
      "tench",
      "tabby",
      "Egyptian_cat",
      "coffee_mug",
      "espresso",
      "toilet_tissue",
    ]);
    expect(resolveLabel(names, "tabby")).toBe(281);
    expect(resolveLabel(names, "egyptian cat")).toBe(285);
    expect(resolveLabel(names, "12")).toBe(12);
    expect(() => resolveLabel(names, "cat")).toThrow(
      /--label: unknown class name 'cat' \(did you mean .*tiger_cat/,
    );
    expect(() => resolveLabel(names, "1000")).toThrow(/--label: class index 1000 out of range/);
  });

  it("an unreachable URL fails with the hint to use a local directory", async () => {
    await expect(loadImageClassifier("http://127.0.0.1:9/mobilenet/model.json")).rejects.toThrow(
      /--model: cannot load the model .*local directory/,
    );
  });
});

// --- MobileNetV2 (alpha 0.35) at 224x224, random weights ---------------------------------------------------------
const { convBnRelu6, invertedResidual } = mobileNetV2Blocks(1);
/** MobileNetV2's stem and first stages at width 0.35 (16, 8, 8, 16 channels), 1001 ImageNet outputs (background first). */
function mobileNetV2Alpha035(): tf.LayersModel {
  const input = tf.input({ shape: [224, 224, 3] });
  let x = convBnRelu6(input, 16, 3, 2);
  x = invertedResidual(x, 1, 8, 1);
  x = invertedResidual(x, 6, 8, 2);
  x = invertedResidual(x, 6, 8, 1);
  x = invertedResidual(x, 6, 16, 2);
  x = invertedResidual(x, 6, 16, 2);
  x = convBnRelu6(x, 128, 1, 1);
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: 1001,
      activation: "softmax",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    })
    .apply(x) as tf.SymbolicTensor;
  // Named as Keras names its MobileNetV2 (mobilenetv2_<alpha>_<rows>), as a converted Keras model would be.
  return tf.model({ inputs: input, outputs: out, name: "mobilenetv2_0.35_224" });
}

describe("attacking a photo with MobileNetV2 (alpha 0.35, 224x224, loaded from disk)", () => {
  let dir: string;
  let model: TfjsClassifier;
  beforeAll(async () => {
    expect(await initBackend("wasm")).toBe("wasm");
    dir = mkdtempSync(join(tmpdir(), "gradopt-photo-"));
    const built = mobileNetV2Alpha035();
    await built.save(fileSystemHandler(dir));
    built.dispose();
    // No preprocessing given: the Keras MobileNetV2 name selects [-1, 1] (mobilenet_v2.preprocess_input) in the wrapper.
    model = await loadImageClassifier(dir, { onWarning: () => {} });
    expect(model.preprocessing).toBe("mobilenet");
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads with 1001 ImageNet names (background at 0) and gives a top-5", async () => {
    expect(model.inputShape).toEqual([224, 224, 3]);
    expect(model.classNames).toHaveLength(1001);
    expect([model.classNames[0], model.classNames[282]]).toEqual(["background", "tabby"]);
    const photo = await loadPhoto(join(FIX, "chelsea.jpg"), model.inputShape);
    const top = topK(model, photo.input, 5)[0]!;
    expect(top).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(top[i]!.probability).toBeLessThanOrEqual(top[i - 1]!.probability);
    expect(top[0]!.index).toBe(model.predict(photo.input).labels[0]);
    photo.input.dispose();
  });

  it("FGSM at the article's eps: shapes, bounds, eps; signed gradient image; full-resolution perturbation; reverse step raises the class's confidence", async () => {
    const before = tf.memory().numTensors;
    const photo = await loadPhoto(join(FIX, "chelsea.jpg"), model.inputShape);
    const x = photo.input;
    expect(x.shape).toEqual([1, 224, 224, 3]);
    // Random weights: attack the class the model currently gives the photo (its own prediction).
    const label = model.predict(x).labels;
    const epsilons = [0, 0.01, 0.1, 0.15];
    const r = await run(model, x, label, fgsm(), { epsilons });
    const xs = x.dataSync();
    for (const e of r.results) {
      const adv = e.clipped.dataSync();
      expect(e.clipped.shape).toEqual([1, 224, 224, 3]);
      expect(maxAbsDiff(adv as Float32Array, xs as Float32Array)).toBeLessThanOrEqual(e.eps + 1e-6);
      for (const v of adv) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(r.results[0]!.trueConfidence[0]).toBeCloseTo(r.clean.trueConfidence[0]!, 5);
    expect(r.results[1]!.trueConfidence[0]!).toBeLessThan(r.clean.trueConfidence[0]!);

    const sg = signedGradientImage(model, x, label);
    const sgv = sg.dataSync();
    const levels = new Set(sgv);
    for (const v of levels) expect([0, 0.5, 1]).toContain(v);
    expect(levels.has(0) && levels.has(1)).toBe(true);
    // FGSM at eps = 0.01 is x + eps * sign: where the clip did not bind, adv - x = 0.01 * (2 * sg - 1).
    const adv1 = r.results[1]!.clipped.dataSync();
    let agree = 0,
      free = 0;
    for (let i = 0; i < xs.length; i++) {
      if (xs[i]! > 0.01 && xs[i]! < 0.99) {
        free++;
        if (Math.abs(adv1[i]! - xs[i]! - 0.01 * (2 * sgv[i]! - 1)) < 1e-5) agree++;
      }
    }
    expect(agree / free).toBeGreaterThan(0.999);

    const full = perturbationOnOriginal(photo, r.results[3]!.clipped);
    expect([full.width, full.height]).toEqual([240, 160]);
    expect(maxAbsDiff(full.data, photo.original.data)).toBeLessThanOrEqual(0.15 + 1e-5);
    expect(maxAbsDiff(full.data, photo.original.data)).toBeGreaterThan(0.05);

    // The reverse step on a class the model is NOT sure of (its 2nd choice) raises that class's confidence.
    const second = topK(model, x, 2)[0]![1]!.index;
    const rev = await run(model, x, Int32Array.of(second), reverseStep(), { epsilons: [0.01, 0.1] });
    expect(rev.results[0]!.trueConfidence[0]!).toBeGreaterThan(rev.clean.trueConfidence[0]!);
    expect(rev.results[1]!.trueConfidence[0]!).toBeGreaterThan(rev.clean.trueConfidence[0]!);
    r.dispose();
    rev.dispose();
    tf.dispose([sg, x]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("gradopt attack --image --label NAME --reverse --out: per-eps confidences, the reverse step raising the class, the figure set", async () => {
    const photo = await loadPhoto(join(FIX, "chelsea.jpg"), model.inputShape);
    const second = topK(model, photo.input, 2)[0]![1]!;
    photo.input.dispose();
    const out = join(dir, "figs");
    const r = await runCli(
      ...[
        "attack",
        "--image",
        join(FIX, "chelsea.jpg"),
        "--model",
        dir,
        "--eps",
        "0,0.01,0.1",
        "--label",
        second.name,
        "--reverse",
        "--out",
        out,
        "--json",
      ],
    );
    expect(r.stderr).toBe("");
    const doc = JSON.parse(r.stdout) as {
      preprocessing: { source: string; value: string };
      image: {
        trueClass: string;
        top5: Array<{ name: string }>;
        perEps: Array<{ eps: number; trueConfidence: number; topName: string }>;
        figures: string[];
      };
    };
    expect(doc.image.trueClass).toBe(second.name);
    expect(doc.preprocessing).toMatchObject({ source: "keras-mobilenet", value: "mobilenet" });
    expect(doc.image.top5).toHaveLength(5);
    expect(doc.image.top5[1]!.name).toBe(second.name);
    const [e0, e1, e2] = doc.image.perEps;
    expect(e0!.trueConfidence).toBeCloseTo(second.probability, 4);
    expect(e1!.trueConfidence).toBeGreaterThan(e0!.trueConfidence);
    expect(e2!.trueConfidence).toBeGreaterThan(e0!.trueConfidence);
    for (const f of ["input.png", "signed-gradient.png", "eps-0.1.png", "eps-0.1-full.png", "figures.html"])
      expect(existsSync(join(out, "figures", f))).toBe(true);
    expect(readFileSync(join(out, "figures", "figures.html"), "utf8")).toContain(`true class ${second.name}`);
  });

  it("gradopt attack errors name the flag or file: unknown label, corrupt image, unreachable URL", async () => {
    const bad = await runCli(
      ...[
        "attack",
        "--image",
        join(FIX, "chelsea.jpg"),
        "--model",
        dir,
        "--label",
        "no such class",
        "--eps",
        "0",
      ],
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--label: unknown class name 'no such class'/);
    const cut = join(dir, "cut.jpg");
    writeFileSync(cut, readFileSync(join(FIX, "chelsea.jpg")).subarray(0, 500));
    const corrupt = await runCli(...["attack", "--image", cut, "--model", dir, "--eps", "0"]);
    expect(corrupt.code).toBe(1);
    expect(corrupt.stderr).toMatch(/cut\.jpg.*corrupt or unsupported JPEG/);
    const url = await runCli(
      ...[
        "attack",
        "--image",
        join(FIX, "chelsea.jpg"),
        "--model",
        "http://127.0.0.1:9/mobilenet",
        "--eps",
        "0",
      ],
    );
    expect(url.code).toBe(1);
    expect(url.stderr).toMatch(
      /--model: cannot load the model from http:\/\/127\.0\.0\.1:9\/mobilenet .*local directory/,
    );
  });

  it("rejects a model whose input cannot take an image", async () => {
    const d = mkdtempSync(join(tmpdir(), "gradopt-flat-"));
    const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10 })] });
    await flat.save(fileSystemHandler(d));
    flat.dispose();
    const m = await loadImageClassifier(d, { onWarning: () => {} });
    await expect(loadPhoto(join(FIX, "chelsea.jpg"), m.inputShape)).rejects.toThrow(/cannot take an image/);
    m.dispose();
    rmSync(d, { recursive: true, force: true });
  });
});
