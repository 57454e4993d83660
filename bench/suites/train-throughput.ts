/**
 * Throughput of the bundled CNN architecture on tfjs-wasm vs PyTorch (bench/peers/torch_train.py: the same net, the
 * same batch, 1 and 2 threads), measured in interleaved rounds (bench/throughput.ts) so that both frameworks see the
 * same machine load: inference, one Adam training step, FGSM with random start plus the scoring forward pass, and
 * PGD-10 plus scoring, images per second. gradopt runs in this thread (one core) and over a worker pool (one wasm
 * backend per core; the training step is the data-parallel step of `gradopt train --workers`: shard gradients in the
 * workers, Adam here, weights back through shared memory). Figures are medians with the interquartile range.
 * BENCH_BATCH (128), BENCH_ROUNDS (5), BENCH_SECONDS (1 per slice), BENCH_WORKERS (cores), BENCH_BUDGET (600 s:
 * no new round after that), BENCH_TASKS (comma-separated subset of infer,train,fgsm,pgd).
 */
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { TfjsClassifier } from "../../src/attack/model.js";
import { initBackend } from "../../src/tf/backend.js";
import { ModelWorkerPool } from "../../src/tf/workers/index.js";
import { adversarialBatch, type AdversarialConfig } from "../../src/train/adversarial.js";
import { buildCnn } from "../../src/train/model.js";
import { mulberry32 } from "../../src/train/rng.js";
import { FlatAdam } from "../../src/train/flat-adam.js";
import { FusedTrainStep } from "../../src/train/fused-step.js";
import { applyForWeightGradients } from "../../src/tf/weight-grad-forward.js";
import { formatFigure, interleave, loadRange, localSide, peerSide, type Side } from "../throughput.js";
import { benchDir, printTable, python, writeResult } from "../util.js";

const BATCH = Number(process.env.BENCH_BATCH ?? 128);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const BUDGET = Number(process.env.BENCH_BUDGET ?? 600);
const PGD_STEPS = 10;
const EPS = 0.1;
const ALL_TASKS = ["infer", "train", "fgsm", "pgd"] as const;
type Task = (typeof ALL_TASKS)[number];
// BENCH_TASKS=train,infer: a subset (e.g. a batch-size sweep of the training step).
const TASKS: Task[] = process.env.BENCH_TASKS
  ? ALL_TASKS.filter((t) => process.env.BENCH_TASKS!.split(",").includes(t))
  : [...ALL_TASKS];
const ARCH = { filters: [16, 32], convsPerStage: 1, batchNorm: false, dense: 128 };

export default async function trainThroughput(): Promise<void> {
  const backend = await initBackend("wasm");
  const model = buildCnn(ARCH);
  const rng = mulberry32(1);
  const images = Float32Array.from({ length: BATCH * 784 }, () => rng.next());
  const labels = Int32Array.from({ length: BATCH }, () => Math.floor(rng.next() * 10));
  const shape: [number, number, number, number] = [BATCH, 28, 28, 1];
  const x = tf.tensor4d(images, shape);
  const labelsT = tf.tensor1d(labels, "int32");
  const y = tf.oneHot(labelsT, 10) as tf.Tensor2D;
  // The attack API's classifier: under a gradient tape its layers skip weight gradients (the workers use it too).
  const classifier = TfjsClassifier.fromModel(model, { output: "logits" });
  const logits = (t: tf.Tensor4D) => classifier.logits(t);
  const singleWeights = model.trainableWeights.map((v) => (v.read().dataSync() as Float32Array).slice());
  const optimizer = new FlatAdam(
    singleWeights.map((w) => w.length),
    { epsilon: tf.backend().epsilon() },
  );
  const fusedStep = FusedTrainStep.create(model);
  const fusedGrads = singleWeights.map((w) => new Float32Array(w.length));
  console.log(`training step: ${fusedStep ? "tape-free (FusedTrainStep)" : "gradient tape"}`);
  const fgsmSpec: AdversarialConfig = { method: "fgsm-rs", eps: EPS };
  const pgdSpec: AdversarialConfig = { method: "pgd", eps: EPS, steps: PGD_STEPS };
  const attackAndScore = (spec: AdversarialConfig) => {
    const hits = tf.tidy(() => {
      const adv = adversarialBatch(logits, x, y, spec, rng);
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits(adv), 1), labelsT), "float32"));
    });
    hits.dataSync();
    hits.dispose();
  };
  // Values leave tf.tidy as tensors: tidy walks a returned typed array element by element.
  const single = localSide("gradopt, 1 core", {
    infer: () => {
      const c = tf.tidy(() => tf.argMax(logits(x), 1));
      c.dataSync();
      c.dispose();
    },
    // The main-thread step of trainClassifier: the tape-free step where it covers the model (GRADOPT_FUSED_STEP=0: the
    // tape), else weight gradients by the tape (no input gradient, as PyTorch's input needs none); FlatAdam; weights
    // written back.
    train: () => {
      if (fusedStep) {
        fusedStep.run(images, shape, labels, fusedGrads, 1 / BATCH);
        optimizer.step(singleWeights, fusedGrads, 1e-3);
        fusedStep.setWeights(singleWeights);
        return;
      }
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const [loss, ...grads] = tf.tidy(() => {
        const r = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, applyForWeightGradients(model, x) as tf.Tensor) as tf.Scalar,
          vars,
        );
        return [r.value, ...vars.map((v) => r.grads[v.name]!)];
      });
      optimizer.step(
        singleWeights,
        grads.map((g) => g!.dataSync() as Float32Array),
        1e-3,
      );
      tf.tidy(() =>
        model.trainableWeights.forEach((v, k) => v.write(tf.tensor(singleWeights[k]!, v.shape as number[]))),
      );
      loss!.dataSync();
      tf.dispose([loss!, ...grads.map((g) => g!)]);
    },
    fgsm: () => attackAndScore(fgsmSpec),
    pgd: () => attackAndScore(pgdSpec),
  });

  const pool = await ModelWorkerPool.create(model, { size: WORKERS });
  const perWorker = Math.ceil(BATCH / WORKERS);
  const poolWeights = model.trainableWeights.map((v) => (v.read().dataSync() as Float32Array).slice());
  const poolOptimizer = new FlatAdam(
    poolWeights.map((w) => w.length),
    { epsilon: tf.backend().epsilon() },
  );
  const parallel = localSide(`gradopt, ${WORKERS} workers`, {
    infer: () => pool.predictClasses(images, shape, perWorker),
    // The data-parallel step of trainClassifier: shard gradients, Adam (FlatAdam) on this thread, weights back to the
    // workers.
    train: async () => {
      const r = await pool.gradients(images, shape, labels, 10, null, 1);
      poolOptimizer.step(poolWeights, r.grads, 1e-3);
      await pool.setWeights(poolWeights);
    },
    fgsm: () => pool.attack(images, shape, labels, 10, fgsmSpec, 1, perWorker),
    pgd: () => pool.attack(images, shape, labels, 10, pgdSpec, 1, perWorker),
  });

  const sides: Side[] = [single, parallel];
  const torchInfo: Record<string, unknown> = {};
  const peerNotes: string[] = [];
  for (const threads of [1, 2]) {
    const peer = await peerSide(
      `PyTorch, ${threads} thread${threads > 1 ? "s" : ""}`,
      python,
      join(benchDir, "peers", "torch_train.py"),
      { threads, batch: BATCH, pgdSteps: PGD_STEPS, eps: EPS, ...ARCH },
    );
    if (peer.side) {
      sides.push(peer.side);
      torchInfo[`${threads}`] = peer.info;
    } else peerNotes.push(`PyTorch peer (${threads} threads) unavailable: ${peer.why}`);
  }
  for (const note of peerNotes) console.log(note);

  const result = await interleave(sides, TASKS, {
    rounds: ROUNDS,
    seconds: SECONDS,
    warmup: 2,
    imagesPerCall: BATCH,
    budgetSeconds: BUDGET,
    onRound: (r) => console.log(`round ${r + 1} done, load average ${loadavg()[0]!.toFixed(1)}`),
  });
  for (const s of sides) await s.close?.();
  await pool.close();
  fusedStep?.dispose();
  tf.dispose([x, y, labelsT]);

  const f = result.figures;
  const torch2 = f["PyTorch, 2 threads"];
  const torch1 = f["PyTorch, 1 thread"];
  const label = {
    infer: "inference",
    train: "training step",
    fgsm: "FGSM-RS + score",
    pgd: "PGD-10 + score",
  };
  const rows = TASKS.map((k) => {
    const ours = f[parallel.name]![k]!.median;
    return {
      task: label[k],
      [single.name]: formatFigure(f[single.name]![k]),
      [parallel.name]: formatFigure(f[parallel.name]![k]),
      "PyTorch 1 thread": formatFigure(torch1?.[k]),
      "PyTorch 2 threads": formatFigure(torch2?.[k]),
      [`${WORKERS} workers / torch 2`]: torch2 ? ours / torch2[k]!.median : "n/a",
      "1 core / torch 1": torch1 ? f[single.name]![k]!.median / torch1[k]!.median : "n/a",
    };
  });
  console.log(
    `images/s, median (interquartile range) over ${result.rounds} interleaved rounds of ${SECONDS} s per side and task; ` +
      `batch ${BATCH}, backend ${backend}, load average ${loadRange(result.load)}`,
  );
  printTable(rows);
  // CPU time per image over all of a side's threads: the work each framework does, nearly load-independent for the
  // one-thread sides (two OpenMP threads also count their spin-waits).
  const cpuRows = TASKS.map((k) => {
    const cpu = (side: string) => (f[side] ? 1000 * f[side]![k]!.cpuMsPerImage : "n/a");
    return {
      task: label[k],
      [single.name]: cpu(single.name),
      [parallel.name]: cpu(parallel.name),
      "PyTorch 1 thread": cpu("PyTorch, 1 thread"),
      "PyTorch 2 threads": cpu("PyTorch, 2 threads"),
      "torch 1 / gradopt 1 core": torch1
        ? torch1[k]!.cpuMsPerImage / f[single.name]![k]!.cpuMsPerImage
        : "n/a",
    };
  });
  console.log("CPU ms per 1000 images (median call; all threads of the side's process)");
  printTable(cpuRows);
  const subset = BATCH !== 128 || TASKS.length < ALL_TASKS.length;
  writeResult(subset ? `train-throughput-b${BATCH}-${TASKS.join("+")}` : "train-throughput", {
    batch: BATCH,
    backend,
    workers: WORKERS,
    architecture: ARCH,
    rounds: result.rounds,
    secondsPerSlice: SECONDS,
    loadAverage: result.load,
    torch: torchInfo,
    figures: f,
  });
}
