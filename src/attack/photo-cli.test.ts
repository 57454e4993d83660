/**
 * `gradopt attack --image` end to end on small models (fast): the --report page carries the seed article's figure set
 * (input, signed gradient as an image, adversarial per eps with captions, the reverse step's before / after), the
 * preprocessing is chosen and reported, open input sizes take --input-size, and what cannot work fails clearly.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../tf/backend.js";
import { runCli } from "../../test/cli/run-cli.js";
import { fileSystemHandler } from "./index.js";
import { loadPhoto } from "./image/index.js";
import { loadImageClassifier, topK } from "./presets.js";

const PHOTO = new URL("../../test/fixtures/photos/chelsea.jpg", import.meta.url).pathname;

/** A converted-Keras-MobileNetV2 stand-in: named like Keras names it, 32x32x3, 1000 ImageNet outputs with softmax. */
function kerasLikeMobileNet(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.heNormal({ seed: 21 }),
    })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      depthwiseInitializer: tf.initializers.heNormal({ seed: 22 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: 1000,
      activation: "softmax",
      kernelInitializer: tf.initializers.randomNormal({ stddev: 4, seed: 23 }), // a decided model,
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "mobilenetv2_0.35_32" });
}

/** A graph model with input [-1, -1, -1, 3] (TF Hub style), 1001 logits: mean over the image, then a matrix. */
function writeOpenGraph(dir: string): void {
  const float = { dtype: { type: "DT_FLOAT" } };
  const dims = (...s: number[]) => ({ dim: s.map((v) => ({ size: String(v) })) });
  const node = [
    { name: "x", op: "Placeholder", attr: { ...float, shape: { shape: dims(-1, -1, -1, 3) } } },
    {
      name: "axes",
      op: "Const",
      attr: { dtype: { type: "DT_INT32" }, value: { tensor: { dtype: "DT_INT32", tensorShape: dims(2) } } },
    },
    {
      name: "pool",
      op: "Mean",
      input: ["x", "axes"],
      attr: { T: { type: "DT_FLOAT" }, keep_dims: { b: false } },
    },
    {
      name: "w",
      op: "Const",
      attr: { ...float, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims(3, 1001) } } },
    },
    {
      name: "logits",
      op: "MatMul",
      input: ["pool", "w"],
      attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: "DT_FLOAT" } },
    },
  ];
  const W = Float32Array.from({ length: 3 * 1001 }, (_, i) => 3 * Math.sin(0.37 * i));
  writeFileSync(
    join(dir, "weights.bin"),
    Buffer.concat([Buffer.from(new Int32Array([1, 2]).buffer), Buffer.from(W.buffer)]),
  );
  writeFileSync(
    join(dir, "model.json"),
    JSON.stringify({
      format: "graph-model",
      modelTopology: { node, versions: { producer: 1 } },
      weightsManifest: [
        {
          paths: ["weights.bin"],
          weights: [
            { name: "axes", shape: [2], dtype: "int32" },
            { name: "w", shape: [3, 1001], dtype: "float32" },
          ],
        },
      ],
    }),
  );
}

/** The PNG embedded in the report's <img> whose alt text starts with `alt`. */
function embeddedPng(html: string, alt: string): PNG {
  const esc = alt.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`<img src="data:image/png;base64,([^"]+)" alt="${esc}`).exec(html);
  if (!m) throw new Error(`no embedded PNG with alt '${alt}'`);
  return PNG.sync.read(Buffer.from(m[1]!, "base64"));
}

let root: string;
let keras: string;
let graph: string;
let second: { name: string; probability: number };

beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
  root = mkdtempSync(join(tmpdir(), "gradopt-photo-cli-"));
  keras = join(root, "keras");
  const net = kerasLikeMobileNet();
  await net.save(fileSystemHandler(keras));
  net.dispose();
  graph = join(root, "graph");
  mkdirSync(graph, { recursive: true });
  writeOpenGraph(graph);
  // Random weights: the model's 2nd choice for the photo is a class it is unsure of, whose confidence can rise.
  const m = await loadImageClassifier(keras, { onWarning: () => {} });
  const photo = await loadPhoto(PHOTO, m.inputShape);
  second = topK(m, photo.input, 2)[0]![1]!;
  photo.input.dispose();
  m.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("gradopt attack --image --report", () => {
  it("writes the article's figure set into the report: input, signed gradient image, adversarial per eps with captions", async () => {
    const report = join(root, "fgsm.html");
    const before = tf.memory().numTensors;
    const r = await runCli(
      ...["attack", "--image", PHOTO, "--model", keras, "--label", second.name, "--eps", "0,0.01,0.1"],
      ...["--report", report, "--json"],
    );
    expect(r.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before); // model, photo, figures and re-checks all freed
    const doc = r.json<{
      preprocessing: { source: string; value: string; inputShape: number[] };
      image: {
        perEps: Array<{ eps: number; topName: string; confidence: number; trueConfidence: number }>;
        fullResolution: Array<{
          eps: number;
          width: number;
          height: number;
          topName: string;
          confidence: number;
          trueConfidence: number;
        }>;
      };
      warnings: string[];
    }>();
    // The Keras MobileNetV2 name selects [-1, 1] inside the wrapper.
    expect(doc.preprocessing).toMatchObject({
      source: "keras-mobilenet",
      value: "mobilenet",
      inputShape: [32, 32, 3],
    });
    expect(doc.warnings).toEqual([]);
    const html = readFileSync(report, "utf8");
    for (const heading of ["The photo", "Input and signed gradient", "Adversarial image per eps"])
      expect(html).toContain(heading);
    expect(html).toContain(second.name);
    // Every eps has its adversarial, captioned with the top prediction, its confidence and the true class's.
    for (const p of doc.image.perEps) {
      const caption = `eps = ${p.eps}: ${p.topName} ${(100 * p.confidence).toFixed(2)}% (true class ${second.name}: ${(100 * p.trueConfidence).toFixed(2)}%)`;
      const png = embeddedPng(html, caption);
      expect([png.width, png.height]).toEqual([224, 224]); // 32x32 shown 7x, nearest-neighbour
    }
    // The signed gradient is an image of -1 / 0 / +1 as black / grey / white, and not a flat one.
    const sg = embeddedPng(html, "sign of the loss gradient");
    const levels = new Set<number>();
    for (let i = 0; i < sg.width * sg.height; i++)
      for (let k = 0; k < 3; k++) levels.add(sg.data[4 * i + k]!);
    expect([...levels].every((v) => v === 0 || v === 128 || v === 255)).toBe(true);
    expect(levels.has(0) && levels.has(255)).toBe(true);
    const input = embeddedPng(html, "Input: ");
    expect([input.width, input.height]).toEqual([224, 224]);
    // The figure files sit beside the report, including the full-resolution adversarials.
    for (const f of ["input.png", "signed-gradient.png", "eps-0.1.png", "eps-0.1-full.png", "figures.html"])
      expect(existsSync(join(root, "fgsm-figures", f))).toBe(true);
    const full = PNG.sync.read(readFileSync(join(root, "fgsm-figures", "eps-0.1-full.png")));
    expect([full.width, full.height]).toEqual([240, 160]);
    // Each full-resolution adversarial is classified again through the same crop and resize: at eps 0 that is the
    // clean photo, so the re-check must give the clean prediction.
    const fr = doc.image.fullResolution;
    expect(fr.map((c) => [c.eps, c.width, c.height])).toEqual([
      [0, 240, 160],
      [0.01, 240, 160],
      [0.1, 240, 160],
    ]);
    expect(fr[0]!.topName).toBe(doc.image.perEps[0]!.topName);
    expect(fr[0]!.confidence).toBeCloseTo(doc.image.perEps[0]!.confidence, 4);
    expect(fr[0]!.trueConfidence).toBeCloseTo(doc.image.perEps[0]!.trueConfidence, 4);
    expect(html).toMatch(/At the photo(&#39;|')s own resolution \(240x160\)/);
  });

  it("--reverse: the report shows the true class's confidence before and after, and it rises", async () => {
    const report = join(root, "reverse.html");
    const r = await runCli(
      ...[
        "attack",
        "--image",
        PHOTO,
        "--model",
        keras,
        "--label",
        second.name,
        "--eps",
        "0.01,0.1",
        "--reverse",
      ],
      ...["--report", report, "--json"],
    );
    expect(r.code).toBe(0);
    const doc = r.json<{ image: { perEps: Array<{ trueConfidence: number }> } }>();
    for (const p of doc.image.perEps) expect(p.trueConfidence).toBeGreaterThan(second.probability);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("Reverse step: the true class");
    expect(html).toContain("After the reverse step, per eps");
    const rows = [...html.matchAll(/<td[^>]*>([+−])([\d.e-]+) points \(×([\d.e+-]+)\)<\/td>/g)];
    expect(rows).toHaveLength(2);
    for (const m of rows) {
      expect(m[1]).toBe("+");
      expect(Number(m[2])).toBeGreaterThan(0);
      expect(Number(m[3])).toBeGreaterThan(1);
    }
  });
});

describe("gradopt attack --image: targets by name, resize record, --no-full-resolution", () => {
  it("takes --targeted by class name, records how the photo was resized, and skips the full-resolution images on request", async () => {
    const out = join(root, "targeted");
    const r = await runCli(
      ...["attack", "--image", PHOTO, "--model", keras, "--targeted", "Egyptian cat", "--eps", "0.1"],
      ...["--out", out, "--no-full-resolution", "--json"],
    );
    expect(r.code).toBe(0);
    const doc = r.json<{
      target: { index: number; name: string };
      criterion: string;
      image: {
        decoder: string;
        resize: { from: number[]; crop: object; to: number[]; method: string };
        fullResolution?: unknown;
      };
    }>();
    expect(doc.target).toEqual({ index: 285, name: "Egyptian_cat" });
    expect(doc.criterion).toMatch(/targeted/);
    expect(doc.image.resize).toMatchObject({
      from: [240, 160],
      crop: { x: 40, y: 0, width: 160, height: 160 },
      to: [32, 32],
    });
    expect(doc.image.resize.method).toMatch(/bilinear/);
    expect(doc.image.decoder).toMatch(/^sharp \d+\.\d+\.\d+ \(libvips /);
    // --fit fill takes the whole photo, stretched (the TF tutorial's tf.image.resize); a bad mode names the flag.
    const fill = await runCli(
      ...[
        "attack",
        "--image",
        PHOTO,
        "--model",
        keras,
        "--fit",
        "fill",
        "--eps",
        "0",
        "--out",
        join(root, "fill"),
      ],
      "--json",
    );
    const fillDoc = fill.json<{
      image: {
        resize: { fit: string; crop: object };
        perEps: Array<{ confidence: number }>;
        fullResolution: Array<{ confidence: number }>;
      };
    }>();
    expect(fillDoc.image.resize).toMatchObject({
      fit: "fill",
      crop: { x: 0, y: 0, width: 240, height: 160 },
    });
    // The re-check goes back in through the same (whole-photo) region: at eps 0 it is the clean input again.
    expect(fillDoc.image.fullResolution[0]!.confidence).toBeCloseTo(fillDoc.image.perEps[0]!.confidence, 4);
    const badFit = await runCli(
      ...["attack", "--image", PHOTO, "--model", keras, "--fit", "crop", "--eps", "0"],
    );
    expect(badFit.stderr).toMatch(/--fit: expected cover or fill, got 'crop'/);
    expect(doc.image.fullResolution).toBeUndefined();
    expect(existsSync(join(out, "figures", "eps-0.1.png"))).toBe(true);
    expect(existsSync(join(out, "figures", "eps-0.1-full.png"))).toBe(false);
    const unknown = await runCli(
      ...["attack", "--image", PHOTO, "--model", keras, "--targeted", "unicorn", "--eps", "0.1"],
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--targeted: unknown class name 'unicorn'/);
  });
});

describe("gradopt attack --image: input sizes and errors", () => {
  it("a graph with open height/width warns and uses 224, or takes --input-size", async () => {
    const open = await runCli(...["attack", "--image", PHOTO, "--model", graph, "--eps", "0,0.05", "--json"]);
    expect(open.code).toBe(0);
    const a = open.json<{ warnings: string[]; preprocessing: { inputShape: number[] }; n: number }>();
    expect(a.preprocessing.inputShape).toEqual([-1, -1, 3]);
    expect(a.warnings.join("\n")).toMatch(
      /input height and width are open .*resized to 224x224 \(pass --input-size/,
    );
    // An ImageNet-sized model with no known input range says what it assumed.
    expect(a.warnings.join("\n")).toMatch(/assuming pixels on \[0, 1\].*--preprocessing/);
    const sized = await runCli(
      ...["attack", "--image", PHOTO, "--model", graph, "--input-size", "48x64", "--eps", "0,0.05", "--json"],
    );
    expect(sized.code).toBe(0);
    const b = sized.json<{ warnings: string[]; preprocessing: { inputShape: number[] } }>();
    expect(b.preprocessing.inputShape).toEqual([48, 64, 3]);
    expect(b.warnings.join("\n")).not.toMatch(/open/);
  });

  it("errors name the flag: a size against a fixed input, a bad size, a model that cannot take an image", async () => {
    const fixed = await runCli(
      ...["attack", "--image", PHOTO, "--model", keras, "--input-size", "300", "--eps", "0"],
    );
    expect(fixed.code).toBe(1);
    expect(fixed.stderr).toMatch(
      /--input-size: input size 300x300 does not match the model's fixed input \[32, 32, 3\]/,
    );
    const bad = await runCli(
      ...["attack", "--image", PHOTO, "--model", graph, "--input-size", "big", "--eps", "0"],
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--input-size: expected a side \(224\) or HEIGHTxWIDTH/);
    const flatDir = join(root, "flat");
    const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 10 })] });
    await flat.save(fileSystemHandler(flatDir));
    flat.dispose();
    const notImage = await runCli(...["attack", "--image", PHOTO, "--model", flatDir, "--eps", "0"]);
    expect(notImage.code).toBe(1);
    expect(notImage.stderr).toMatch(/--model: the model's input shape \[784\] cannot take an image/);
  });
});
