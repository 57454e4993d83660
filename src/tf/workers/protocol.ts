/** Messages between the main thread and the model workers (structured-clone friendly: typed arrays, plain objects). */
import type { io } from "@tensorflow/tfjs";

export interface AdversarialSpec {
  method: "fgsm-rs" | "pgd";
  eps: number;
  steps?: number;
  stepSize?: number;
}

export type Request =
  | { id: number; type: "init"; artifacts: io.ModelArtifacts; backend: string }
  | {
      id: number;
      type: "predict";
      images: Float32Array;
      shape: [number, number, number, number];
      batchSize: number;
    }
  | { id: number; type: "setWeights"; weights: Float32Array[] }
  | {
      id: number;
      type: "gradients";
      images: Float32Array;
      shape: [number, number, number, number];
      labels: Int32Array;
      classes: number;
      /** Scales the loss so that worker gradients sum to the gradient of the whole batch's mean loss. */
      lossScale: number;
      adversarial: AdversarialSpec | null;
      seed: number;
    }
  | {
      id: number;
      type: "attack";
      images: Float32Array;
      shape: [number, number, number, number];
      labels: Int32Array;
      classes: number;
      attack: AdversarialSpec;
      seed: number;
      batchSize: number;
    }
  | { id: number; type: "close" };

export type Response =
  | { id: number; ok: true; type: "init"; backend: string }
  | { id: number; ok: true; type: "predict"; logits: Float32Array; classes: number }
  | { id: number; ok: true; type: "setWeights" }
  | { id: number; ok: true; type: "gradients"; grads: Float32Array[]; lossSum: number; hits: number }
  | { id: number; ok: true; type: "attack"; adversarial: Float32Array; hits: number }
  | { id: number; ok: true; type: "close" }
  | { id: number; ok: false; error: string };
