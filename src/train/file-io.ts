/**
 * A TensorFlow.js IOHandler for the local file system (pure tfjs has file IO only in tfjs-node): `model.json` (topology,
 * weight manifest, training config, user metadata) plus one `weights.bin`, the layout `tf.loadLayersModel` expects.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { io } from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";

const WEIGHTS_FILE = "weights.bin";

function toArrayBuffer(data: ArrayBuffer | ArrayBuffer[]): ArrayBuffer {
  if (!Array.isArray(data)) return data;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** Saves to (and loads from) `dir`/model.json + `dir`/weights.bin; `dir` may also be the path of a model.json. */
export function fileIOHandler(dir: string): io.IOHandler {
  const modelJson = dir.endsWith(".json") ? dir : join(dir, "model.json");
  const root = dirname(modelJson);
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer)
        throw new GradoptError("E_ARG", "fileIOHandler: binary model topologies are not supported");
      mkdirSync(root, { recursive: true });
      const weights = artifacts.weightData
        ? new Uint8Array(toArrayBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[]))
        : new Uint8Array(0);
      const json = {
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        trainingConfig: artifacts.trainingConfig,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(root, WEIGHTS_FILE), weights);
      writeFileSync(modelJson, JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<io.ModelArtifacts> {
      let json: io.ModelJSON;
      try {
        json = JSON.parse(readFileSync(modelJson, "utf8")) as io.ModelJSON;
      } catch (err) {
        throw new GradoptError(
          "E_IO",
          `cannot read TensorFlow.js model: ${(err as Error).message}`,
          { file: modelJson },
          { cause: err },
        );
      }
      const specs: io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = join(root, p);
          try {
            buffers.push(readFileSync(file));
          } catch (err) {
            throw new GradoptError(
              "E_IO",
              `cannot read weights: ${(err as Error).message}`,
              { file },
              { cause: err },
            );
          }
        }
      }
      const weightData = toArrayBuffer(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer),
      );
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData,
      };
    },
  };
}
