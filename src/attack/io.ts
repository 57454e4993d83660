/**
 * Loading (and saving) TensorFlow.js models from the local file system: the pure @tensorflow/tfjs package has file IO
 * only through tfjs-node. `model.json` (Layers or Graph format) with any number of weight shards listed in its
 * manifest; saving writes model.json + one weights.bin. URLs (http, https) go to tfjs's own loaders.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { GradoptError } from "../errors.js";

export type ModelFormat = "layers-model" | "graph-model";

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: tf.io.WeightsManifestConfig;
  [key: string]: unknown;
}

/** `dir/model.json`, or `path` itself when it names a .json file. */
export function modelJsonPath(path: string): string {
  return path.endsWith(".json") ? path : join(path, "model.json");
}

async function readModelJson(file: string): Promise<ModelJson> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new GradoptError(
      "E_IO",
      `cannot read the model: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { file },
    );
  }
  try {
    return JSON.parse(text) as ModelJson;
  } catch (err) {
    throw new GradoptError("E_DATA", `model.json is not valid JSON: ${(err as Error).message}`, { file });
  }
}

/** Layers or Graph, from the `format` field, else from the topology's shape (Layers: class_name; Graph: node). */
export function detectFormat(json: ModelJson, file?: string): ModelFormat {
  if (json.format === "layers-model" || json.format === "graph-model") return json.format;
  const topology = json.modelTopology as Record<string, unknown> | undefined;
  if (topology && ("class_name" in topology || "model_config" in topology)) return "layers-model";
  if (topology && "node" in topology) return "graph-model";
  throw new GradoptError("E_DATA", "not a TensorFlow.js model.json (no layers or graph topology)", { file });
}

/** An IOHandler reading `model.json` and its weight shards from disk, and writing model.json + weights.bin. */
export function fileSystemHandler(path: string): tf.io.IOHandler {
  const file = resolve(modelJsonPath(path));
  const root = dirname(file);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = await readModelJson(file);
      return tf.io.getModelArtifactsForJSON(json as unknown as tf.io.ModelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const shard of group.paths) {
            const shardFile = join(root, shard);
            try {
              const bytes = await readFile(shardFile);
              buffers.push(
                bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
              );
            } catch (err) {
              throw new GradoptError(
                "E_IO",
                `cannot read weight shard listed in model.json: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
                { file: shardFile },
              );
            }
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new GradoptError(
          "E_ARG",
          "fileSystemHandler: binary model topologies cannot be saved as model.json",
        );
      }
      const data = artifacts.weightData;
      const weights =
        data === undefined
          ? new ArrayBuffer(0)
          : Array.isArray(data)
            ? tf.io.concatenateArrayBuffers(data)
            : data;
      const manifest: tf.io.WeightsManifestConfig = [
        { paths: ["./weights.bin"], weights: artifacts.weightSpecs ?? [] },
      ];
      const json: Record<string, unknown> = {
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: manifest,
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.signature) json.signature = artifacts.signature;
      if (artifacts.modelInitializer) json.modelInitializer = artifacts.modelInitializer;
      await mkdir(root, { recursive: true });
      await writeFile(join(root, "weights.bin"), new Uint8Array(weights));
      await writeFile(file, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

export type LoadedModel =
  | { format: "layers-model"; model: tf.LayersModel; metadata: Record<string, unknown> }
  | { format: "graph-model"; model: tf.GraphModel; metadata: Record<string, unknown> };

function isUrl(path: string): boolean {
  return /^(https?|file):\/\//.test(path);
}

/**
 * Loads a Layers or Graph model from a directory (or model.json path) on disk, or from an http(s) URL (`fetchFunc`
 * replaces the global fetch for URLs).
 */
export async function loadTfjsModel(
  path: string,
  options: { fetchFunc?: typeof fetch } = {},
): Promise<LoadedModel> {
  if (isUrl(path)) {
    const url = path.endsWith(".json") ? path : `${path.replace(/\/$/, "")}/model.json`;
    const load = options.fetchFunc ? { fetchFunc: options.fetchFunc } : {};
    try {
      const model = await tf.loadLayersModel(url, load);
      return { format: "layers-model", model, metadata: {} };
    } catch {
      const model = await tf.loadGraphModel(url, load);
      return { format: "graph-model", model, metadata: (model.metadata as Record<string, unknown>) ?? {} };
    }
  }
  const file = modelJsonPath(path);
  const json = await readModelJson(file);
  const format = detectFormat(json, file);
  const metadata = (json.userDefinedMetadata as Record<string, unknown> | undefined) ?? {};
  const handler = fileSystemHandler(path);
  try {
    if (format === "layers-model") return { format, model: await tf.loadLayersModel(handler), metadata };
    return { format, model: await tf.loadGraphModel(handler), metadata };
  } catch (err) {
    if (err instanceof GradoptError) throw err;
    throw new GradoptError(
      "E_DATA",
      `cannot build the ${format} from model.json: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
}
