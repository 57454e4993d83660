/**
 * A pool of worker threads, each with its own tfjs backend and a copy of one classifier: evaluation, attacks and
 * data-parallel training spread over the cores (the wasm backend is single-threaded in Node). Work is cut into
 * contiguous shards of whole batches, so predictions equal the single-threaded ones exactly.
 *
 * Weights and gradients move through SharedArrayBuffers, not messages: setWeights writes the shared weight buffer and
 * bumps a version that the next request carries (no round trip of its own); each worker writes its shard's gradient
 * into its own shared buffer, which the main thread sums. Before this, a training step structured-cloned every weight
 * to every worker and got the gradients back as arrays that tf.tidy walked element by element (tens of ms a step).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../../errors.js";
import type { AdversarialSpec, Request, Response } from "./protocol.js";

export interface PoolOptions {
  /** Number of workers (default: the number of cores). */
  size?: number;
  /** Backend of each worker (default wasm). */
  backend?: "wasm" | "cpu";
}

type Shape = [number, number, number, number];

/**
 * Starts the worker script next to this file: model-worker.js in the built package; from the TypeScript sources
 * (tsx, vitest) a small bootstrap registers tsx's loader in the worker first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./model-worker.js", import.meta.url));
  const script = new URL("./model-worker.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(boot, { eval: true });
}

/** Captures a model's topology and weights in memory (what a worker needs to rebuild it). */
async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return captured!;
}

class Channel {
  private next = 1;
  /** Requests sent and not yet answered (settled, never rejected, so that waiting on them cannot throw). */
  readonly inFlight = new Set<Promise<unknown>>();
  private pending = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  constructor(readonly worker: Worker) {
    worker.on("message", (r: Response) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r);
      else p.reject(new GradoptError("E_INTERNAL", `worker: ${r.error}`));
    });
    worker.on("error", (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }
  call<T extends Request["type"]>(
    req: Omit<Extract<Request, { type: T }>, "id">,
    transfer: ArrayBuffer[] = [],
  ): Promise<Extract<Response, { type: T; ok: true }>> {
    const id = this.next++;
    const answer = new Promise<Extract<Response, { type: T; ok: true }>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: Response) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
    const settled = answer.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return answer;
  }
}

/** Splits n items into `parts` contiguous ranges whose sizes are multiples of `quantum` (except the last). */
export function shardRanges(n: number, parts: number, quantum = 1): Array<[number, number]> {
  const blocks = Math.ceil(n / quantum);
  const out: Array<[number, number]> = [];
  let b0 = 0;
  for (let p = 0; p < parts; p++) {
    const b1 = b0 + Math.floor(blocks / parts) + (p < blocks % parts ? 1 : 0);
    const start = Math.min(n, b0 * quantum);
    const end = Math.min(n, b1 * quantum);
    if (end > start) out.push([start, end]);
    b0 = b1;
  }
  return out;
}

/** Element counts of a model's trainable weights (the layout of the shared weight and gradient buffers). */
function weightSizes(model: tf.LayersModel): number[] {
  return model.trainableWeights.map((v) => tf.util.sizeFromShape(v.shape as number[]));
}

export class ModelWorkerPool {
  /** Version of the shared weights; requests carry it so that workers reload when it changed. */
  private weightsVersion = 0;
  private constructor(
    private readonly channels: Channel[],
    readonly backend: string,
    private readonly sizes: number[],
    private readonly sharedWeights: Float32Array,
    private readonly sharedGrads: Float32Array[],
  ) {}

  get size(): number {
    return this.channels.length;
  }

  /** Starts `size` workers and gives each a copy of `model`. */
  static async create(model: tf.LayersModel, options: PoolOptions = {}): Promise<ModelWorkerPool> {
    const size = options.size ?? availableParallelism();
    if (!(Number.isInteger(size) && size > 0))
      throw new GradoptError("E_ARG", `ModelWorkerPool: size must be a positive integer, got ${size}`);
    const artifacts = await artifactsOf(model);
    const sizes = weightSizes(model);
    const total = sizes.reduce((a, b) => a + b, 0);
    const weights = new SharedArrayBuffer(4 * total);
    const grads = Array.from({ length: size }, () => new SharedArrayBuffer(4 * total));
    const channels = Array.from({ length: size }, () => new Channel(startWorker()));
    const started = await Promise.all(
      channels.map((ch, i) =>
        ch.call<"init">({
          type: "init",
          artifacts,
          backend: options.backend ?? "wasm",
          weights,
          grads: grads[i]!,
        }),
      ),
    );
    return new ModelWorkerPool(
      channels,
      started[0]!.backend,
      sizes,
      new Float32Array(weights),
      grads.map((g) => new Float32Array(g)),
    );
  }

  /** Logits for every image ([n * classes]), computed in batches of `batchSize` spread over the workers. */
  async predict(
    images: Float32Array,
    shape: Shape,
    batchSize = 256,
  ): Promise<{ logits: Float32Array; classes: number }> {
    const [n, h, w, c] = shape;
    const per = h * w * c;
    const ranges = shardRanges(n, this.size, batchSize);
    const parts = await Promise.all(
      ranges.map(([s, e], i) => {
        const shard = images.slice(s * per, e * per);
        return this.channels[i]!.call<"predict">(
          {
            type: "predict",
            images: shard,
            shape: [e - s, h, w, c],
            batchSize,
            weightsVersion: this.weightsVersion,
          },
          [shard.buffer as ArrayBuffer],
        );
      }),
    );
    const classes = parts[0]?.classes ?? 0;
    const logits = new Float32Array(n * classes);
    parts.forEach((p, i) => logits.set(p.logits, ranges[i]![0] * classes));
    return { logits, classes };
  }

  /** Argmax classes of predict(). */
  async predictClasses(images: Float32Array, shape: Shape, batchSize = 256): Promise<Int32Array> {
    const { logits, classes } = await this.predict(images, shape, batchSize);
    const out = new Int32Array(shape[0]);
    for (let i = 0; i < out.length; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (logits[i * classes + k]! > logits[i * classes + best]!) best = k;
      out[i] = best;
    }
    return out;
  }

  /**
   * Replaces the trainable weights of every worker's model (in model.trainableWeights order). No message is sent: the
   * workers load the shared buffer on their next request. Waits for requests in flight, which read the old weights.
   */
  async setWeights(weights: Float32Array[]): Promise<void> {
    if (weights.length !== this.sizes.length)
      throw new GradoptError(
        "E_ARG",
        `ModelWorkerPool.setWeights: ${weights.length} arrays for ${this.sizes.length} weights`,
      );
    await Promise.all(this.channels.flatMap((ch) => [...ch.inFlight]));
    let offset = 0;
    weights.forEach((w, k) => {
      if (w.length !== this.sizes[k])
        throw new GradoptError(
          "E_ARG",
          `ModelWorkerPool.setWeights: weight ${k} has ${w.length} values, expected ${this.sizes[k]}`,
        );
      this.sharedWeights.set(w, offset);
      offset += w.length;
    });
    this.weightsVersion++;
  }

  /**
   * Gradient of the batch's mean cross-entropy w.r.t. the trainable weights: each worker differentiates its shard
   * (after building adversarial examples for it when `adversarial` is set) and the shard gradients are summed.
   */
  async gradients(
    images: Float32Array,
    shape: Shape,
    labels: Int32Array,
    classes: number,
    adversarial: AdversarialSpec | null,
    seed: number,
  ): Promise<{ grads: Float32Array[]; loss: number; hits: number }> {
    const [n, h, w, c] = shape;
    const per = h * w * c;
    const ranges = shardRanges(n, this.size);
    const parts = await Promise.all(
      ranges.map(([s, e], i) => {
        const shard = images.slice(s * per, e * per);
        return this.channels[i]!.call<"gradients">(
          {
            type: "gradients",
            images: shard,
            shape: [e - s, h, w, c],
            labels: labels.slice(s, e),
            classes,
            lossScale: 1 / n,
            adversarial,
            seed: (seed * 7919 + i) >>> 0,
            weightsVersion: this.weightsVersion,
          },
          [shard.buffer as ArrayBuffer],
        );
      }),
    );
    // Sum the shard gradients in worker order (deterministic for a given worker count).
    let offset = 0;
    const grads = this.sizes.map((size) => {
      const acc = new Float32Array(size); // set(subarray): slice() of a shared buffer's view is slow
      acc.set(this.sharedGrads[0]!.subarray(offset, offset + size));
      for (let i = 1; i < parts.length; i++) {
        const g = this.sharedGrads[i]!;
        for (let j = 0; j < size; j++) acc[j]! += g[offset + j]!;
      }
      offset += size;
      return acc;
    });
    let lossSum = 0;
    let hits = 0;
    for (const p of parts) {
      lossSum += p.lossSum;
      hits += p.hits;
    }
    return { grads, loss: lossSum / n, hits };
  }

  /** Runs an L-inf attack (FGSM-RS or PGD) on every image; returns the adversarial images and how many stay correct. */
  async attack(
    images: Float32Array,
    shape: Shape,
    labels: Int32Array,
    classes: number,
    attack: AdversarialSpec,
    seed = 1,
    batchSize = 200,
  ): Promise<{ adversarial: Float32Array; correct: number }> {
    const [n, h, w, c] = shape;
    const per = h * w * c;
    const ranges = shardRanges(n, this.size, batchSize);
    const parts = await Promise.all(
      ranges.map(([s, e], i) => {
        const shard = images.slice(s * per, e * per);
        return this.channels[i]!.call<"attack">(
          {
            type: "attack",
            images: shard,
            shape: [e - s, h, w, c],
            labels: labels.slice(s, e),
            classes,
            attack,
            seed: (seed * 7919 + i) >>> 0,
            batchSize,
            weightsVersion: this.weightsVersion,
          },
          [shard.buffer as ArrayBuffer],
        );
      }),
    );
    const adversarial = new Float32Array(n * per);
    let correct = 0;
    parts.forEach((p, i) => {
      adversarial.set(p.adversarial, ranges[i]![0] * per);
      correct += p.hits;
    });
    return { adversarial, correct };
  }

  async close(): Promise<void> {
    await Promise.all(this.channels.map((ch) => ch.worker.terminate()));
  }
}
