/**
 * A worker thread holding its own tfjs backend (wasm: one core each; wasm threads do not work in Node) and a copy of a
 * classifier. It answers predict / gradients / attack requests; the pool splits work between such workers.
 * Weights arrive through a shared buffer (reloaded when a request names a newer version), gradients leave through
 * another, so a training step moves no weight or gradient data through postMessage.
 */
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { TfjsClassifier } from "../../attack/model.js";
import { adversarialBatch } from "../../train/adversarial.js";
import { FusedTrainStep } from "../../train/fused-step.js";
import { mulberry32 } from "../../train/rng.js";
import { initBackend, type BackendName } from "../backend.js";
import { applyForWeightGradients } from "../weight-grad-forward.js";
import type { Request, Response } from "./protocol.js";

interface State {
  model: tf.LayersModel;
  /** Inference-mode logits; under a gradient tape it takes the attack fast path (no weight gradients). */
  logits: (x: tf.Tensor4D) => tf.Tensor2D;
  weights: Float32Array;
  grads: Float32Array;
  /** The weight version the model's variables hold. */
  version: number;
  /** The tape-free step where it covers the model (wasm), with its own weight copies at `fusedVersion`. */
  fused: FusedTrainStep | null;
  fusedVersion: number;
}
let state: State | undefined;

function reply(msg: Response, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

/** Brings the model's trainable weights up to the shared buffer's `version`. */
function syncWeights(s: State, version: number): void {
  if (version === s.version) return;
  let offset = 0;
  tf.tidy(() => {
    for (const v of s.model.trainableWeights) {
      const size = tf.util.sizeFromShape(v.shape as number[]);
      // subarray, not slice: tf.tensor copies the values onto the heap anyway, and slice() of a SharedArrayBuffer
      // view is slow (1.6 vs 0.2 ms for the bundled CNN's 206k weights).
      v.write(tf.tensor(s.weights.subarray(offset, offset + size), v.shape as number[]));
      offset += size;
    }
  });
  s.version = version;
}

/** The shared buffer's arrays per trainable weight (model order). */
function segments(s: State, buffer: Float32Array): Float32Array[] {
  let offset = 0;
  return s.model.trainableWeights.map((v) => {
    const size = tf.util.sizeFromShape(v.shape as number[]);
    offset += size;
    return buffer.subarray(offset - size, offset);
  });
}

/** Brings the tape-free step's weights up to the shared buffer's `version`. */
function syncFusedWeights(s: State, version: number): void {
  if (!s.fused || version === s.fusedVersion) return;
  s.fused.setWeights(segments(s, s.weights));
  s.fusedVersion = version;
}

function predict(
  s: State,
  images: Float32Array,
  shape: [number, number, number, number],
  batchSize: number,
): { logits: Float32Array; classes: number } {
  const [n, h, w, c] = shape;
  const per = h * w * c;
  let out = new Float32Array(0);
  let classes = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const z = tf.tidy(() =>
      s.logits(tf.tensor4d(images.subarray(start * per, end * per), [end - start, h, w, c])),
    );
    const values = z.dataSync() as Float32Array;
    if (classes === 0) {
      classes = z.shape[1];
      out = new Float32Array(n * classes);
    }
    out.set(values, start * classes);
    z.dispose();
  }
  return { logits: out, classes };
}

/** Writes the shard's gradient (of lossScale * summed cross-entropy) into the shared gradient buffer. */
function gradients(
  s: State,
  req: Extract<Request, { type: "gradients" }>,
): { lossSum: number; hits: number } {
  const rng = mulberry32(req.seed);
  if (s.fused) {
    // The tape-free step writes d(lossScale * summed cross-entropy)/dW straight into the gradient buffer.
    let images = req.images;
    if (req.adversarial) {
      const spec = req.adversarial;
      const xAdv = tf.tidy(() => {
        const y = tf.oneHot(tf.tensor1d(req.labels, "int32"), req.classes) as tf.Tensor2D;
        return adversarialBatch(s.logits, tf.tensor4d(req.images, req.shape), y, spec, rng);
      });
      images = xAdv.dataSync() as Float32Array;
      xAdv.dispose();
    }
    const r = s.fused.run(images, req.shape, req.labels, segments(s, s.grads), req.lossScale);
    return { lossSum: r.loss / req.lossScale, hits: r.hits };
  }
  const vars = s.model.trainableWeights.map((v) => v.read() as tf.Variable);
  // Tensors only out of tidy: tidy walks whatever it returns, element by element for a typed array.
  const [value, hitsT, ...grads] = tf.tidy(() => {
    const x = tf.tensor4d(req.images, req.shape);
    const labels = tf.tensor1d(req.labels, "int32");
    const y = tf.oneHot(labels, req.classes) as tf.Tensor2D;
    const xTrain = req.adversarial ? adversarialBatch(s.logits, x, y, req.adversarial, rng) : x;
    let hits: tf.Scalar | undefined;
    const r = tf.variableGrads(() => {
      const z = applyForWeightGradients(s.model, xTrain) as tf.Tensor2D;
      hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), "float32")) as tf.Scalar);
      return tf.mul(
        tf.losses.softmaxCrossEntropy(y, z, undefined, undefined, tf.Reduction.SUM),
        req.lossScale,
      ) as tf.Scalar;
    }, vars);
    return [r.value, hits!, ...vars.map((v) => r.grads[v.name]!)];
  });
  let offset = 0;
  for (const g of grads) {
    s.grads.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  const out = { lossSum: value!.dataSync()[0]! / req.lossScale, hits: hitsT!.dataSync()[0]! };
  tf.dispose([value!, hitsT!, ...grads]);
  return out;
}

function attack(
  s: State,
  req: Extract<Request, { type: "attack" }>,
): { adversarial: Float32Array; hits: number } {
  const rng = mulberry32(req.seed);
  const [n, h, w, c] = req.shape;
  const per = h * w * c;
  const adversarial = new Float32Array(req.images.length);
  let hits = 0;
  for (let start = 0; start < n; start += req.batchSize) {
    const end = Math.min(n, start + req.batchSize);
    const [xAdv, ok] = tf.tidy(() => {
      const labels = tf.tensor1d(req.labels.subarray(start, end), "int32");
      const x = tf.tensor4d(req.images.subarray(start * per, end * per), [end - start, h, w, c]);
      const y = tf.oneHot(labels, req.classes) as tf.Tensor2D;
      const adv = adversarialBatch(s.logits, x, y, req.attack, rng);
      return [adv, tf.sum(tf.cast(tf.equal(tf.argMax(s.logits(adv), 1), labels), "float32"))];
    });
    adversarial.set(xAdv!.dataSync() as Float32Array, start * per);
    hits += ok!.dataSync()[0]!;
    tf.dispose([xAdv!, ok!]);
  }
  return { adversarial, hits };
}

async function handle(req: Request): Promise<void> {
  if (req.type === "init") {
    const backend = await initBackend(req.backend as BackendName);
    const model = await tf.loadLayersModel(tf.io.fromMemory(req.artifacts));
    const classifier = TfjsClassifier.fromModel(model, { output: "logits", onWarning: () => {} });
    state = {
      model,
      logits: (x) => classifier.logits(x),
      weights: new Float32Array(req.weights),
      grads: new Float32Array(req.grads),
      version: 0,
      fused: FusedTrainStep.create(model),
      fusedVersion: 0,
    };
    return reply({ id: req.id, ok: true, type: "init", backend });
  }
  if (req.type === "close") {
    reply({ id: req.id, ok: true, type: "close" });
    process.exit(0);
  }
  const s = state;
  if (!s) throw new Error(`${req.type} before init`);
  // A plain gradient step reads only the tape-free step's weights; everything else reads the model's.
  if (req.type === "gradients" && s.fused) syncFusedWeights(s, req.weightsVersion);
  if (!(req.type === "gradients" && s.fused && !req.adversarial)) syncWeights(s, req.weightsVersion);
  switch (req.type) {
    case "predict": {
      const { logits, classes } = predict(s, req.images, req.shape, req.batchSize);
      return reply({ id: req.id, ok: true, type: "predict", logits, classes }, [
        logits.buffer as ArrayBuffer,
      ]);
    }
    case "gradients":
      return reply({ id: req.id, ok: true, type: "gradients", ...gradients(s, req) });
    case "attack": {
      const { adversarial, hits } = attack(s, req);
      return reply({ id: req.id, ok: true, type: "attack", adversarial, hits }, [
        adversarial.buffer as ArrayBuffer,
      ]);
    }
  }
}

parentPort!.on("message", (req: Request) => {
  handle(req).catch((err: unknown) =>
    reply({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
