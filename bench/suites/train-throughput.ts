/**
 * Throughput of the bundled CNN architecture on tfjs-wasm vs PyTorch (bench/peers/torch_train.py, same net, same
 * batch, torch.set_num_threads(2)), in the same run: inference, one Adam training step, one FGSM step (input gradient
 * + signed step) and PGD-10, images per second. gradopt runs in this thread (one core) and over a worker pool (one
 * wasm backend per core; data-parallel training). Ratios > 1 mean gradopt is faster.
 */
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/tf/backend.js";
import { ModelWorkerPool } from "../../src/tf/workers/index.js";
import { adversarialBatch } from "../../src/train/adversarial.js";
import { buildCnn } from "../../src/train/model.js";
import { mulberry32 } from "../../src/train/rng.js";
import { join } from "node:path";
import { benchDir, bestTime, printTable, python, runPeer, writeResult } from "../util.js";

const BATCH = Number(process.env.BENCH_BATCH ?? 128);
const PGD_STEPS = 10;
const EPS = 0.1;
const THREADS = Number(process.env.BENCH_TORCH_THREADS ?? 2);

export default async function trainThroughput(): Promise<void> {
  const backend = await initBackend("wasm");
  const model = buildCnn();
  const rng = mulberry32(1);
  const images = Float32Array.from({ length: BATCH * 784 }, () => rng.next());
  const labels = Int32Array.from({ length: BATCH }, () => Math.floor(rng.next() * 10));
  const x = tf.tensor4d(images, [BATCH, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10) as tf.Tensor2D;
  const logits = (t: tf.Tensor4D) => model.apply(t, { training: false }) as tf.Tensor2D;
  const optimizer = tf.train.adam(1e-3);
  const lossGrad = tf.grad((t: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits(t as tf.Tensor4D)));

  const rate = async (fn: () => unknown) => BATCH / ((await bestTime(async () => fn(), 3)).ms / 1000);
  const single = {
    infer: await rate(() => tf.tidy(() => tf.argMax(logits(x), 1).dataSync())),
    train: await rate(() =>
      tf.tidy(() =>
        optimizer
          .minimize(
            () =>
              tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
            true,
          )!
          .dataSync(),
      ),
    ),
    fgsm: await rate(() =>
      tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(tf.sign(lossGrad(x)), EPS)), 0, 1).dataSync()),
    ),
    pgd: await rate(() =>
      tf.tidy(() =>
        tf
          .argMax(
            logits(adversarialBatch(logits, x, y, { method: "pgd", eps: EPS, steps: PGD_STEPS }, rng)),
            1,
          )
          .dataSync(),
      ),
    ),
  };

  const workers = availableParallelism();
  const pool = await ModelWorkerPool.create(model, { size: workers });
  const shape: [number, number, number, number] = [BATCH, 28, 28, 1];
  const weights = model.trainableWeights.map((v) => v.read().dataSync() as Float32Array);
  const parallel = {
    infer: await rate(() => pool.predictClasses(images, shape, Math.ceil(BATCH / workers))),
    train: await rate(async () => {
      await pool.gradients(images, shape, labels, 10, null, 1);
      await pool.setWeights(weights);
    }),
    fgsm: await rate(() =>
      pool.attack(images, shape, labels, 10, { method: "fgsm-rs", eps: EPS }, 1, Math.ceil(BATCH / workers)),
    ),
    pgd: await rate(() =>
      pool.attack(
        images,
        shape,
        labels,
        10,
        { method: "pgd", eps: EPS, steps: PGD_STEPS },
        1,
        Math.ceil(BATCH / workers),
      ),
    ),
  };
  await pool.close();
  tf.dispose([x, y]);

  const peer = runPeer(python, [
    join(benchDir, "peers", "torch_train.py"),
    JSON.stringify({
      threads: THREADS,
      batch: BATCH,
      pgdSteps: PGD_STEPS,
      seconds: 2,
      filters: [16, 32],
      dense: 128,
    }),
  ]);
  const torch = peer.ok ? (peer.json as Record<string, number>) : null;
  if (!peer.ok) console.log(`PyTorch peer unavailable: ${peer.why}`);
  const rows = (["infer", "train", "fgsm", "pgd"] as const).map((k) => {
    const t = torch ? torch[`${k}ImagesPerSec`] : undefined;
    const best = Math.max(single[k], parallel[k]);
    return {
      task: k === "pgd" ? `pgd-${PGD_STEPS}` : k === "fgsm" ? "fgsm step" : k,
      [`gradopt 1 thread`]: single[k],
      [`gradopt ${workers} workers`]: parallel[k],
      [`torch ${THREADS} threads`]: t ?? "n/a",
      ratio: t ? best / t : "n/a",
    };
  });
  console.log(`images/s, batch ${BATCH}, backend ${backend}; ratio = best gradopt / torch`);
  printTable(rows);
  writeResult("train-throughput", { batch: BATCH, backend, workers, single, parallel, torch, rows });
}
