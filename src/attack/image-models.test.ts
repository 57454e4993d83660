/**
 * Image classifiers as photos meet them: the input range each kind of model expects applied INSIDE the wrapper (so
 * inputs, eps and gradients stay on the [0, 1] pixel scale), chosen from the preset, a converted Keras MobileNet's
 * name or a leading Rescaling layer; graph models whose input height/width are open (TF Hub's [-1, -1, -1, 3]); a
 * preset served offline through fetchFunc; and the errors for what cannot work. Small models: fast.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GradoptError } from "../errors.js";
import { initBackend } from "../tf/backend.js";
import { fileSystemHandler, fgsm, lossAndGradient, crossEntropy, run, TfjsClassifier } from "./index.js";
import {
  IMAGENET_PRESETS,
  inferPreprocessing,
  loadImageClassifier,
  loadImageClassifierWithInfo,
  preprocessingForRange,
} from "./presets.js";

const float = { dtype: { type: "DT_FLOAT" } };
const dims = (...sizes: number[]) => ({ dim: sizes.map((s) => ({ size: String(s) })) });

/**
 * A converter-format graph: x [-1, H, W, 3] -> mean over height and width -> MatMul W [3, classes] (logits, no declared
 * output shape). H, W = -1 leaves them open. With `flatten`, x is reshaped to [-1, 12] first, so it runs only at 2x2.
 */
function graphModelFiles(
  classes: number,
  opts: { h?: number; w?: number; flatten?: boolean } = {},
): { json: string; weights: Buffer; W: Float32Array } {
  const inner = opts.flatten ? 12 : 3;
  const W = Float32Array.from({ length: inner * classes }, (_, i) => Math.sin(1.7 * i + 0.3));
  const node: unknown[] = [
    {
      name: "x",
      op: "Placeholder",
      attr: { ...float, shape: { shape: dims(-1, opts.h ?? -1, opts.w ?? -1, 3) } },
    },
    {
      name: "axes",
      op: "Const",
      attr: { dtype: { type: "DT_INT32" }, value: { tensor: { dtype: "DT_INT32", tensorShape: dims(2) } } },
    },
    {
      name: "pool",
      op: opts.flatten ? "Reshape" : "Mean",
      input: ["x", "axes"],
      attr: { T: { type: "DT_FLOAT" }, keep_dims: { b: false } },
    },
    {
      name: "w",
      op: "Const",
      attr: { ...float, value: { tensor: { dtype: "DT_FLOAT", tensorShape: dims(inner, classes) } } },
    },
    {
      name: "logits",
      op: "MatMul",
      input: ["pool", "w"],
      attr: { transpose_a: { b: false }, transpose_b: { b: false }, T: { type: "DT_FLOAT" } },
    },
  ];
  const axes = opts.flatten ? [-1, 12] : [1, 2];
  const weights = Buffer.concat([Buffer.from(new Int32Array(axes).buffer), Buffer.from(W.buffer)]);
  const json = JSON.stringify({
    format: "graph-model",
    generatedBy: "gradopt test",
    modelTopology: { node, versions: { producer: 1 } },
    weightsManifest: [
      {
        paths: ["weights.bin"],
        weights: [
          { name: "axes", shape: [2], dtype: "int32" },
          { name: "w", shape: [inner, classes], dtype: "float32" },
        ],
      },
    ],
  });
  return { json, weights, W };
}

function writeGraph(dir: string, files: { json: string; weights: Buffer }): string {
  writeFileSync(join(dir, "model.json"), files.json);
  writeFileSync(join(dir, "weights.bin"), files.weights);
  return dir;
}

/** Logits of the mean-pool graph for one image [h, w, 3] given as a flat array. */
function meanPoolLogits(x: Float32Array, W: Float32Array, classes: number): number[] {
  const mean = [0, 0, 0];
  const n = x.length / 3;
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) mean[c]! += x[3 * i + c]! / n;
  return Array.from({ length: classes }, (_, j) => mean.reduce((s, m, c) => s + m * W[c * classes + j]!, 0));
}

/** A tiny conv net on [8, 8, 3] (conv, relu, global average pool, dense with softmax); named as given. */
function tinyConvNet(
  classes: number,
  name?: string,
  rescale?: { scale: number; offset: number },
): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x: tf.SymbolicTensor = input;
  if (rescale) x = tf.layers.rescaling(rescale).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({
      units: classes,
      activation: "softmax",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, ...(name ? { name } : {}) });
}

/** The same net without its input rescaling or softmax, for reference logits at the model's own input scale. */
function rawLogits(model: tf.LayersModel, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const last = model.layers[model.layers.length - 1] as unknown as { activation: unknown };
    const saved = last.activation;
    last.activation = (
      tf.layers.activation({ activation: "linear" }) as unknown as { activation: unknown }
    ).activation;
    try {
      return model.predict(x) as tf.Tensor2D;
    } finally {
      last.activation = saved;
    }
  });
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

let root: string;
beforeAll(async () => {
  expect(await initBackend("wasm")).toBe("wasm");
  root = mkdtempSync(join(tmpdir(), "gradopt-image-models-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("preprocessing inside the wrapper", () => {
  it("maps an input range to the wrapper's preprocessing", () => {
    expect(preprocessingForRange([0, 1])).toBe("none");
    expect(preprocessingForRange([-1, 1])).toBe("mobilenet");
    expect(preprocessingForRange([0, 255])).toEqual({ mean: 0, std: 1 / 255 });
    expect(preprocessingForRange([-2, 2])).toEqual({ mean: 0.5, std: 0.25 });
    expect(() => preprocessingForRange([1, 1])).toThrow(GradoptError);
    for (const p of Object.values(IMAGENET_PRESETS)) {
      expect(p.inputRange).toEqual([0, 1]); // TF Hub's convention (see presets.ts for the sources)
      expect(p.preprocessing).toEqual(preprocessingForRange(p.inputRange));
      expect(p.classes).toBe(1001);
    }
  });

  it("mobilenet preprocessing: logits of x are the raw model's at 2x - 1, the gradient is 2x the raw one, FGSM moves x by eps on [0, 1]", async () => {
    const net = tinyConvNet(5);
    const clf = TfjsClassifier.fromModel(net, { preprocessing: "mobilenet", onWarning: () => {} });
    const x = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 2);
    const labels = Int32Array.of(0, 1, 2);
    const scaled = tf.tidy(() => tf.sub(tf.mul(x, 2), 1));
    const want = rawLogits(net, scaled);
    const got = clf.logits(x);
    expect(maxAbs(got.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    // Chain rule: d loss(f(2x - 1)) / dx = 2 * (d loss / dz at z = 2x - 1).
    const { grad } = lossAndGradient(clf, x, (l) => crossEntropy(l, labels));
    const rawGrad = tf.grad((z: tf.Tensor) => crossEntropy(rawLogits(net, z), labels))(scaled);
    const g = grad.dataSync();
    const r = rawGrad.dataSync() as Float32Array;
    const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0);
    expect(
      maxAbs(
        g,
        Array.from(r, (v) => 2 * v),
      ) / scale,
    ).toBeLessThan(1e-4);
    // FGSM: the step is eps * sign(gradient) on the [0, 1] scale, clipped to [0, 1] (not eps on [-1, 1]).
    const res = await run(clf, x, labels, fgsm(), { epsilons: [0.03], sanity: false });
    const adv = res.results[0]!.clipped.dataSync();
    const xs = x.dataSync();
    let checked = 0;
    for (let i = 0; i < xs.length; i++) {
      const expect1 = Math.min(1, Math.max(0, xs[i]! + 0.03 * Math.sign(g[i]!)));
      if (Math.abs(g[i]!) > 1e-7) {
        expect(adv[i]!).toBeCloseTo(expect1, 5);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(xs.length / 2);
    expect(res.results[0]!.maxLinf).toBeLessThanOrEqual(0.03 + 1e-6);
    res.dispose();
    tf.dispose([x, scaled, want, got, grad, rawGrad]);
    clf.dispose();
  });
});

describe("choosing the preprocessing of a model from disk", () => {
  it("a converted Keras MobileNetV2 (by its model name) gets [-1, 1] and the ImageNet names", async () => {
    const dir = join(root, "keras-mnv2");
    const net = tinyConvNet(1000, "mobilenetv2_0.35_8");
    await net.save(fileSystemHandler(dir));
    const { model, preprocessing } = await loadImageClassifierWithInfo(dir, { onWarning: () => {} });
    expect(preprocessing.source).toBe("keras-mobilenet");
    expect(model.preprocessing).toBe("mobilenet");
    expect(preprocessing.reason).toMatch(/MobileNetV2.*\[-1, 1\]/);
    expect(model.classNames[285]).toBe("Egyptian_cat");
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 4);
    const want = tf.tidy(() => rawLogits(net, tf.sub(tf.mul(x, 2), 1)));
    const got = model.logits(x);
    expect(maxAbs(got.dataSync(), want.dataSync())).toBeLessThan(1e-5);
    // An explicit choice wins over the inference.
    const given = await loadImageClassifierWithInfo(dir, { preprocessing: "none", onWarning: () => {} });
    expect([given.preprocessing.source, given.model.preprocessing]).toEqual(["option", "none"]);
    tf.dispose([x, want, got]);
    model.dispose();
    given.model.dispose();
    net.dispose();
  });

  it("a model that starts with Rescaling(1/127.5, -1) (Keras MobileNetV3) takes 0..255 pixels: x * 255 goes in", async () => {
    const dir = join(root, "rescaling");
    const net = tinyConvNet(7, "MobilenetV3large", { scale: 1 / 127.5, offset: -1 });
    await net.save(fileSystemHandler(dir));
    const { model, preprocessing } = await loadImageClassifierWithInfo(dir, { onWarning: () => {} });
    expect(preprocessing.source).toBe("rescaling-layer");
    expect(model.preprocessing).toEqual({ mean: 0, std: 1 / 255 });
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 8);
    const want = tf.tidy(() => rawLogits(net, tf.mul(x, 255)));
    const got = model.logits(x);
    expect(maxAbs(got.dataSync(), want.dataSync())).toBeLessThan(1e-4);
    tf.dispose([x, want, got]);
    model.dispose();
    net.dispose();
  });

  it("recognises Keras's MobileNet V1, V2 and V3 names only", () => {
    const verdict = (name?: string) => {
      const net = tinyConvNet(3, name);
      const v = inferPreprocessing({ format: "layers-model", model: net, metadata: {} });
      net.dispose();
      return [v.source, v.preprocessing];
    };
    expect(verdict("mobilenet_1.00_224")).toEqual(["keras-mobilenet", "mobilenet"]);
    expect(verdict("mobilenetv2_0.35_96")).toEqual(["keras-mobilenet", "mobilenet"]);
    expect(verdict("MobilenetV3small")).toEqual(["keras-mobilenet", "mobilenet"]); // include_preprocessing=False
    expect(verdict("my_mobilenet_finetuned")).toEqual(["default", "none"]);
    expect(verdict()).toEqual(["default", "none"]);
  });

  it("anything else is assumed to take [0, 1], and says so", async () => {
    const dir = join(root, "plain");
    const net = tinyConvNet(4);
    await net.save(fileSystemHandler(dir));
    net.dispose();
    const { model, preprocessing } = await loadImageClassifierWithInfo(dir, { onWarning: () => {} });
    expect([preprocessing.source, model.preprocessing]).toEqual(["default", "none"]);
    expect(preprocessing.reason).toMatch(/assumed.*\[0, 1\]/);
    model.dispose();
  });
});

describe("graph models with open input height and width", () => {
  it("probes the number of classes at 224x224, keeps the open size, and takes an input size", async () => {
    const files = graphModelFiles(6);
    const dir = writeGraph(mkdtempSync(join(root, "open-")), files);
    const open = await TfjsClassifier.load(dir, { onWarning: () => {} });
    expect(open.inputShape).toEqual([-1, -1, 3]);
    expect(open.numClasses).toBe(6);
    open.dispose();
    const sized = await TfjsClassifier.load(dir, { inputSize: [5, 7], onWarning: () => {} });
    expect(sized.inputShape).toEqual([5, 7, 3]);
    const x = tf.randomUniform([1, 5, 7, 3], 0, 1, "float32", 1);
    const got = sized.logits(x);
    expect(maxAbs(got.dataSync(), meanPoolLogits(x.dataSync() as Float32Array, files.W, 6))).toBeLessThan(
      1e-5,
    );
    // FGSM through it, on the [0, 1] scale.
    const res = await run(sized, x, [0], fgsm(), { epsilons: [0.05], sanity: false });
    expect(res.results[0]!.maxLinf).toBeCloseTo(0.05, 5);
    res.dispose();
    tf.dispose([x, got]);
    sized.dispose();
  });

  it("a size that contradicts a fixed input, and a graph that cannot run at 224, fail with clear errors", async () => {
    const fixed = writeGraph(mkdtempSync(join(root, "fixed-")), graphModelFiles(3, { h: 4, w: 4 }));
    await expect(TfjsClassifier.load(fixed, { inputSize: 5 })).rejects.toThrow(
      /input size 5x5 does not match the model's fixed input \[4, 4, 3\]/,
    );
    const ok = await TfjsClassifier.load(fixed, { inputSize: 4 });
    expect([ok.inputShape, ok.numClasses]).toEqual([[4, 4, 3], 3]);
    ok.dispose();
    const only2x2 = writeGraph(mkdtempSync(join(root, "flat-")), graphModelFiles(3, { flatten: true }));
    const err = await TfjsClassifier.load(only2x2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GradoptError);
    expect((err as Error).message).toMatch(
      /cannot find the model's number of classes: its input is \[-1, -1, 3\] and a forward pass at \[224, 224, 3\] failed .*--input-size/,
    );
    const small = await TfjsClassifier.load(only2x2, { inputSize: 2 });
    expect([small.inputShape, small.numClasses]).toEqual([[2, 2, 3], 3]);
    small.dispose();
  });
});

describe("presets, served offline through fetchFunc", () => {
  /** A fetch answering the preset's TF Hub URLs (model.json?tfjs-format=file, weights.bin?...) from memory. */
  function hubFetch(files: { json: string; weights: Buffer }, seen: string[]): typeof fetch {
    return (async (input: string | URL | Request) => {
      const url = String(input);
      seen.push(url);
      const path = url.split("?")[0]!;
      if (path.endsWith("/model.json")) return new Response(files.json, { status: 200 });
      if (path.endsWith("/weights.bin")) return new Response(new Uint8Array(files.weights), { status: 200 });
      return new Response("not found", { status: 404 });
    }) as typeof fetch;
  }

  it("mobilenet-v1 (open input, like TF Hub's V1 classification/3): 224x224 from the preset, 1001 classes with background, [0, 1] inputs", async () => {
    const files = graphModelFiles(1001);
    const seen: string[] = [];
    const before = tf.memory().numTensors;
    const { model, preprocessing } = await loadImageClassifierWithInfo("mobilenet-v1", {
      fetchFunc: hubFetch(files, seen),
      onWarning: () => {},
    });
    expect(seen[0]).toBe(`${IMAGENET_PRESETS["mobilenet-v1"]!.url}/model.json?tfjs-format=file`);
    expect([preprocessing.source, model.preprocessing]).toEqual(["preset", "none"]);
    expect(preprocessing.reason).toMatch(/\[0, 1\].*TF Hub/);
    expect(model.inputShape).toEqual([224, 224, 3]);
    expect(model.numClasses).toBe(1001);
    expect([model.classNames[0], model.classNames[282]]).toEqual(["background", "tabby"]);
    expect(model.outputKind).toBe("logits");
    // No rescaling: the logits are the graph's on the [0, 1] pixels themselves.
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, "float32", 9);
    const got = model.logits(x);
    expect(maxAbs(got.dataSync(), meanPoolLogits(x.dataSync() as Float32Array, files.W, 1001))).toBeLessThan(
      1e-4,
    );
    tf.dispose([x, got]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before); // the probe and the weights are freed
  });

  it("a tfhub.dev address (as @tensorflow-models/mobilenet gives them) loads with TF Hub's query, [0, 1] and the size in its name", async () => {
    const files = graphModelFiles(1001);
    const seen: string[] = [];
    const url = "https://tfhub.dev/google/imagenet/mobilenet_v2_050_96/classification/2";
    const { model, preprocessing } = await loadImageClassifierWithInfo(url, {
      fetchFunc: hubFetch(files, seen),
      onWarning: () => {},
    });
    expect(seen[0]).toBe(`${url}/model.json?tfjs-format=file`);
    expect([preprocessing.source, model.preprocessing]).toEqual(["tfhub", "none"]);
    expect(model.inputShape).toEqual([96, 96, 3]);
    expect(model.classNames[0]).toBe("background");
    model.dispose();
  });

  it("an unreachable preset fails with the hint to use a local directory", async () => {
    const offline = (async () => {
      throw new TypeError("fetch failed (getaddrinfo ENOTFOUND tfhub.dev)");
    }) as unknown as typeof fetch;
    await expect(loadImageClassifier("mobilenet-v2", { fetchFunc: offline })).rejects.toThrow(
      /--model: cannot load the model from preset mobilenet-v2 \(https:\/\/tfhub\.dev\/.*\).*ENOTFOUND.*pass the local directory instead \(this preset takes pixels on \[0, 1\] at 224x224: --preprocessing none --input-size 224\)/,
    );
  });
});
