/**
 * Messages between the main thread and the model workers (structured-clone friendly: typed arrays, plain objects).
 * Weights and gradients do not travel in messages: they live in SharedArrayBuffers set up at init (one weight buffer
 * shared by all workers, one gradient buffer per worker), laid out as the model's trainable weights concatenated in
 * model.trainableWeights order. A request names the weight version it needs; a worker whose copy is older reloads.
 */
import type { io } from "@tensorflow/tfjs";

export interface AdversarialSpec {
  method: "fgsm-rs" | "pgd";
  eps: number;
  steps?: number;
  stepSize?: number;
}

type Shape = [number, number, number, number];

export type Request =
  | {
      id: number;
      type: "init";
      artifacts: io.ModelArtifacts;
      backend: string;
      /** The trainable weights, written by the main thread between requests (read-only for workers). */
      weights: SharedArrayBuffer;
      /** This worker's gradient output (same layout as `weights`). */
      grads: SharedArrayBuffer;
    }
  | {
      id: number;
      type: "predict";
      images: Float32Array;
      shape: Shape;
      batchSize: number;
      weightsVersion: number;
    }
  | {
      id: number;
      type: "gradients";
      images: Float32Array;
      shape: Shape;
      labels: Int32Array;
      classes: number;
      /** Scales the loss so that worker gradients sum to the gradient of the whole batch's mean loss. */
      lossScale: number;
      adversarial: AdversarialSpec | null;
      seed: number;
      weightsVersion: number;
    }
  | {
      id: number;
      type: "attack";
      images: Float32Array;
      shape: Shape;
      labels: Int32Array;
      classes: number;
      attack: AdversarialSpec;
      seed: number;
      batchSize: number;
      weightsVersion: number;
    }
  | { id: number; type: "close" };

export type Response =
  | { id: number; ok: true; type: "init"; backend: string }
  | { id: number; ok: true; type: "predict"; logits: Float32Array; classes: number }
  /** The gradient itself is in the worker's shared gradient buffer. */
  | { id: number; ok: true; type: "gradients"; lossSum: number; hits: number }
  | { id: number; ok: true; type: "attack"; adversarial: Float32Array; hits: number }
  | { id: number; ok: true; type: "close" }
  | { id: number; ok: false; error: string };
