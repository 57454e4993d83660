/**
 * A worker thread holding its own tfjs backend (wasm: one core each; wasm threads do not work in Node) and a copy of a
 * classifier. It answers predict / gradients / attack requests; the pool splits work between such workers.
 */
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend, type BackendName } from "../backend.js";
import { adversarialBatch } from "../../train/adversarial.js";
import { mulberry32 } from "../../train/rng.js";
import type { Request, Response } from "./protocol.js";

let model: tf.LayersModel | undefined;

function reply(msg: Response, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(msg, transfer);
}

const logitsOf = (x: tf.Tensor4D) => model!.apply(x, { training: false }) as tf.Tensor2D;

function predict(
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
      logitsOf(tf.tensor4d(images.subarray(start * per, end * per), [end - start, h, w, c])),
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

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case "init": {
      const backend = await initBackend(req.backend as BackendName);
      model = await tf.loadLayersModel(tf.io.fromMemory(req.artifacts));
      return reply({ id: req.id, ok: true, type: "init", backend });
    }
    case "predict": {
      const { logits, classes } = predict(req.images, req.shape, req.batchSize);
      return reply({ id: req.id, ok: true, type: "predict", logits, classes }, [
        logits.buffer as ArrayBuffer,
      ]);
    }
    case "setWeights": {
      const vars = model!.trainableWeights;
      tf.tidy(() => vars.forEach((v, i) => v.write(tf.tensor(req.weights[i]!, v.shape as number[]))));
      return reply({ id: req.id, ok: true, type: "setWeights" });
    }
    case "gradients": {
      const rng = mulberry32(req.seed);
      const vars = model!.trainableWeights.map((v) => v.read() as tf.Variable);
      const [lossSum, hits, grads] = tf.tidy(() => {
        const x = tf.tensor4d(req.images, req.shape);
        const labels = tf.tensor1d(req.labels, "int32");
        const y = tf.oneHot(labels, req.classes) as tf.Tensor2D;
        const xTrain = req.adversarial ? adversarialBatch(logitsOf, x, y, req.adversarial, rng) : x;
        let hitsT: tf.Scalar | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const z = model!.apply(xTrain, { training: true }) as tf.Tensor2D;
          hitsT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), "float32")) as tf.Scalar);
          return tf.mul(
            tf.losses.softmaxCrossEntropy(y, z, undefined, undefined, tf.Reduction.SUM),
            req.lossScale,
          ) as tf.Scalar;
        }, vars);
        const hitCount = hitsT!.dataSync()[0]!;
        hitsT!.dispose();
        return [
          value.dataSync()[0]! / req.lossScale,
          hitCount,
          vars.map((v) => Float32Array.from(grads[v.name]!.dataSync() as Float32Array)),
        ];
      });
      return reply(
        { id: req.id, ok: true, type: "gradients", grads, lossSum, hits },
        grads.map((g) => g.buffer as ArrayBuffer),
      );
    }
    case "attack": {
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
          const adv = adversarialBatch(
            logitsOf,
            x,
            tf.oneHot(labels, req.classes) as tf.Tensor2D,
            req.attack,
            rng,
          );
          return [adv, tf.sum(tf.cast(tf.equal(tf.argMax(logitsOf(adv), 1), labels), "float32"))];
        });
        adversarial.set(xAdv.dataSync() as Float32Array, start * per);
        hits += ok.dataSync()[0]!;
        tf.dispose([xAdv, ok]);
      }
      return reply({ id: req.id, ok: true, type: "attack", adversarial, hits }, [
        adversarial.buffer as ArrayBuffer,
      ]);
    }
    case "close":
      reply({ id: req.id, ok: true, type: "close" });
      process.exit(0);
  }
}

parentPort!.on("message", (req: Request) => {
  handle(req).catch((err: unknown) =>
    reply({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
