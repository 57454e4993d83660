/**
 * `gradopt attack`: runs a gradient attack on a TensorFlow.js classifier (default: the bundled Fashion-MNIST CNN on
 * the bundled test subset) for several eps at once, and prints robust accuracy per eps (--json: the contract's
 * document). --out writes the adversarial images as PNGs and re-checks them after 8-bit quantisation.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import * as tf from "@tensorflow/tfjs";
import {
  TfjsClassifier,
  bim,
  carliniWagnerL2,
  deepFool,
  fgm,
  fgsm,
  miFgsm,
  pgd,
  reverseStep,
  run,
  saveAdversarialPngs,
  type Attack,
  type Distance,
  type Preprocessing,
  type QuantizedCheck,
} from "../../attack/index.js";
import {
  imageDecoderInfo,
  imageInputSize,
  imageToInput,
  perEpsPredictions,
  readImage,
  photoFigures,
  writeFigureFiles,
  type Photo,
  type PhotoFigure,
} from "../../attack/image/index.js";
import {
  IMAGENET_PRESETS,
  loadImageClassifierWithInfo,
  resolveLabel,
  topK as topPredictions,
} from "../../attack/presets.js";
import { loadDataset, bundledDataDir } from "../../data/index.js";
import {
  classifierAsBlackBox,
  compareWithWhiteBox,
  hopSkipJump,
  runBlackBox,
  spsaAttack,
  squareAttack,
  type BlackBoxAttack,
} from "../../attack/blackbox/index.js";
import { GradoptError } from "../../errors.js";
import { initBackend, type BackendName } from "../../tf/backend.js";
import { writeAttackReport, writeBlackBoxReport } from "../../report/commands/index.js";
import {
  emit,
  parseNumber,
  parseNumberList,
  parsePositiveInt,
  withGlobalFlags,
  type GlobalOptions,
} from "../common.js";

interface AttackFlags extends GlobalOptions {
  model: string;
  data?: string;
  image?: string;
  split: string;
  attack: string;
  norm: string;
  eps: string;
  steps?: string;
  stepsize?: string;
  restarts?: string;
  targeted?: string;
  topK?: string;
  label?: string;
  limit?: string;
  out?: string;
  reverse?: boolean;
  fullResolution: boolean;
  batchSize: string;
  seed: string;
  preprocessing: string;
  inputSize?: string;
  fit: string;
  backend?: string;
  sanity: boolean;
  queries?: string;
  compare?: boolean;
  report?: string;
}

const ATTACKS = ["fgsm", "fgm", "bim", "pgd", "mifgsm", "cw", "deepfool"] as const;
/** Attacks that only query the model's outputs (src/attack/blackbox). */
const BLACK_BOX_ATTACKS = ["spsa", "square", "hsj"] as const;

/** The default model: models/fashion-cnn/ in the package. */
function defaultModelDir(): string {
  return fileURLToPath(new URL("../../../models/fashion-cnn/", import.meta.url));
}

function buildAttack(f: AttackFlags): Attack {
  const name = f.attack;
  if (!(ATTACKS as readonly string[]).includes(name))
    throw new GradoptError("E_FLAG", `--attack: expected one of ${ATTACKS.join(", ")}, got '${name}'`);
  if (f.norm !== "linf" && f.norm !== "l2")
    throw new GradoptError("E_FLAG", `--norm: expected linf or l2, got '${f.norm}'`);
  const distance = f.norm as Distance;
  const steps = f.steps === undefined ? undefined : parsePositiveInt("--steps", f.steps);
  const restarts = f.restarts === undefined ? undefined : parsePositiveInt("--restarts", f.restarts);
  const absStepsize = f.stepsize === undefined ? undefined : parseNumber("--stepsize", f.stepsize);
  if (absStepsize !== undefined && !(absStepsize > 0))
    throw new GradoptError("E_FLAG", `--stepsize: must be > 0, got ${absStepsize}`);
  const gd = {
    ...(steps ? { steps } : {}),
    ...(restarts ? { restarts } : {}),
    ...(absStepsize ? { absStepsize } : {}),
  };
  if (f.reverse) {
    if (name !== "fgsm")
      throw new GradoptError("E_FLAG", "--reverse: the reverse step is FGSM's (use --attack fgsm)");
    return reverseStep();
  }
  switch (name) {
    case "fgsm":
      return distance === "l2" ? fgm() : fgsm();
    case "fgm":
      return fgm();
    case "bim":
      return bim({ ...gd, distance });
    case "pgd":
      return pgd({ ...gd, distance });
    case "mifgsm":
      if (distance === "l2") throw new GradoptError("E_FLAG", "--norm l2: MI-FGSM is an L-inf attack");
      return miFgsm(gd);
    case "cw":
      return carliniWagnerL2(steps ? { steps } : {});
    default:
      return deepFool({ distance, ...(steps ? { steps } : {}) });
  }
}

/** undefined for "auto": the loader decides (preset, Keras MobileNet by name, a leading Rescaling layer, else [0, 1]). */
function parsePreprocessing(text: string): Preprocessing | undefined {
  if (text === "auto") return undefined;
  if (text === "none" || text === "mobilenet") return text;
  const m = /^([^:]+):(.+)$/.exec(text);
  if (!m)
    throw new GradoptError(
      "E_FLAG",
      `--preprocessing: expected auto, none, mobilenet or MEAN:STD (each a number or a comma list), got '${text}'`,
    );
  const mean = parseNumberList("--preprocessing mean", m[1]!);
  const std = parseNumberList("--preprocessing std", m[2]!);
  return { mean: mean.length === 1 ? mean[0]! : mean, std: std.length === 1 ? std[0]! : std };
}

/** `--input-size N` (square) or `HxW`. */
function parseInputSize(text: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(text.trim());
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(h >= 1 && w >= 1))
    throw new GradoptError(
      "E_FLAG",
      `--input-size: expected a side (224) or HEIGHTxWIDTH (224x160), got '${text}'`,
    );
  return [h, w];
}

/** Images and true labels from an IDX directory (default: the bundled subset) or one JPEG/PNG image. */
async function loadInputs(
  f: AttackFlags,
  model: TfjsClassifier,
  warn: (m: string) => void = () => {},
): Promise<{
  x: tf.Tensor;
  labels: Int32Array;
  classNames?: string[];
  labelSource: string;
  photo?: Photo;
}> {
  const limit = f.limit === undefined ? undefined : parsePositiveInt("--limit", f.limit);
  if (f.split !== "test" && f.split !== "train")
    throw new GradoptError("E_FLAG", `--split: expected test or train, got '${f.split}'`);
  const data = f.image ?? f.data ?? bundledDataDir();
  if (!existsSync(data)) throw new GradoptError("E_IO", "no such file or directory", { file: data });
  if (statSync(data).isFile()) {
    // A JPEG/PNG photo of any size: centre-cropped and resized (antialiased bilinear) to the model's input.
    const size = imageInputSize(model.inputShape);
    if (size.defaulted)
      warn(
        `the model's input height and width are open ([${model.inputShape.join(", ")}]): the photo is resized to ` +
          `${size.height}x${size.width} (pass --input-size to choose)`,
      );
    if (f.fit !== "cover" && f.fit !== "fill")
      throw new GradoptError("E_FLAG", `--fit: expected cover or fill, got '${f.fit}'`);
    const photo = imageToInput(
      await readImage(data),
      model.inputShape.map((d) => d ?? null),
      f.fit,
    );
    const x = photo.input;
    if (f.label !== undefined)
      return {
        x,
        labels: Int32Array.of(resolveLabel(model.classNames, f.label)),
        labelSource: "--label",
        photo,
      };
    // No true label: the model's own prediction stands in (said so in the output).
    const { labels } = model.predict(x);
    return { x, labels, labelSource: "model prediction (no --label given)", photo };
  }
  const ds = loadDataset(data, { split: f.split as "test" | "train", ...(limit ? { limit } : {}) });
  return {
    x: tf.tensor4d(ds.images, ds.shape),
    labels: ds.labels,
    classNames: ds.classNames,
    labelSource: "data set",
  };
}

function describePreprocessing(p: Preprocessing): string {
  if (p === "none") return "none: pixels on [0, 1]";
  if (p === "mobilenet") return "mobilenet: 2x - 1, pixels on [-1, 1]";
  return `(x - ${JSON.stringify(p.mean)}) / ${JSON.stringify(p.std)}`;
}

/** Where a photo's figure set goes: OUT/figures/, else next to the --report file (REPORT-figures/). */
function figuresDir(f: AttackFlags): string {
  return f.out ? join(f.out, "figures") : `${f.report!.replace(/\.html?$/i, "")}-figures`;
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("attack")
      .description(
        "gradient attacks on a TensorFlow.js classifier: robust accuracy per eps (pixel scale [0, 1])",
      )
      .option(
        "--model <dir>",
        "TensorFlow.js model directory (model.json), URL (tfhub.dev addresses too), or preset (mobilenet-v1, mobilenet-v2, mobilenet-v3)",
        defaultModelDir(),
      )
      .option(
        "--data <dir|image>",
        "IDX directory (t10k-* or train-* files) or a PNG image (default: bundled test subset)",
      )
      .option(
        "--image <file>",
        "a JPEG or PNG photo of any size (centre-cropped, resized to the model's input)",
      )
      .option(
        "--fit <mode>",
        "photos: cover (centre crop to the input's aspect, then resize) or fill (stretch the whole photo, as the TF FGSM tutorial's tf.image.resize)",
        "cover",
      )
      .option("--split <split>", "test or train (IDX directories)", "test")
      .option(
        "--attack <name>",
        `one of ${[...ATTACKS, ...BLACK_BOX_ATTACKS].join(", ")} (the last three black-box)`,
        "fgsm",
      )
      .option("--norm <norm>", "linf or l2 (fgsm with l2 is FGM; bim, pgd, deepfool)", "linf")
      .option("--eps <list>", "comma-separated budgets on the [0, 1] scale", "0,0.05,0.1,0.2")
      .option("--steps <n>", "iterations of bim, pgd, mifgsm (steps per c for cw, max steps for deepfool)")
      .option("--stepsize <a>", "absolute step size of iterative attacks (default relative to eps)")
      .option("--restarts <n>", "random restarts of pgd (per input, best kept)")
      .option("--targeted <k>", "targeted attack towards class k (index or name)")
      .option("--top-k <k>", "success when the true label leaves the top k")
      .option("--label <k>", "true label of a single --image/--data image: class index or name")
      .option("--limit <n>", "attack only the first n images")
      .option("--out <dir>", "write adversarial PNGs (and re-check them after 8-bit quantisation)")
      .option("--reverse", "the reverse step: x - eps * sign(grad), raising the true class's confidence")
      .option(
        "--no-full-resolution",
        "photos: skip mapping each adversarial back onto the photo's own resolution (and classifying it again)",
      )
      .option("--batch-size <n>", "images per forward/backward pass", "128")
      .option("--seed <n>", "seed of random starts", "0")
      .option(
        "--preprocessing <p>",
        "inside the model: auto (preset's; a leading Rescaling layer: [0, 255]; Keras MobileNet V1/V2/V3 by name: [-1, 1]; else [0, 1]), none, mobilenet ([-1, 1]) or MEAN:STD",
        "auto",
      )
      .option(
        "--input-size <n>",
        "input side N or HxW for models whose input height/width are open (default: the preset's, else 224)",
      )
      .option("--backend <name>", "wasm, cpu or tensorflow (default: the best available)")
      .option("--no-sanity", "skip the sanity checks")
      .option("--report <file>", "also write an HTML report (accuracy against eps, example images)")
      .option("--queries <n>", "black-box attacks: queries per image (square 1000, spsa 2000, hsj 5000)")
      .option(
        "--compare",
        "black-box attacks: also run white-box PGD at the same eps and report the gradient-masking verdict",
      ),
  ).action(async (f: AttackFlags) => {
    if ((BLACK_BOX_ATTACKS as readonly string[]).includes(f.attack)) return blackBoxAction(f);
    const attack = buildAttack(f);
    const epsilons = parseNumberList("--eps", f.eps);
    for (const e of epsilons)
      if (!(e >= 0)) throw new GradoptError("E_FLAG", `--eps: budgets must be >= 0, got ${e}`);
    const topK = f.topK === undefined ? undefined : parsePositiveInt("--top-k", f.topK);
    if (f.targeted !== undefined && topK !== undefined)
      throw new GradoptError("E_FLAG", "--targeted and --top-k exclude each other");
    if (f.backend !== undefined && !["wasm", "cpu", "tensorflow", "webgl", "webgpu"].includes(f.backend))
      throw new GradoptError("E_FLAG", `--backend: expected wasm, cpu or tensorflow, got '${f.backend}'`);
    const backend = await initBackend(f.backend as BackendName | undefined);
    const modelPath = f.model;
    if (!/^https?:\/\//.test(modelPath) && !IMAGENET_PRESETS[modelPath] && !existsSync(modelPath)) {
      throw new GradoptError(
        "E_IO",
        `no model here (a directory with model.json, its path, a URL, or a preset: ${Object.keys(IMAGENET_PRESETS).join(", ")})`,
        { file: modelPath },
      );
    }
    const warnings: string[] = [];
    const onWarning = (m: string) => {
      warnings.push(m);
      if (!f.json) process.stderr.write(`gradopt: warning: ${m}\n`);
    };
    const preprocessing = parsePreprocessing(f.preprocessing);
    const inputSize = f.inputSize === undefined ? undefined : parseInputSize(f.inputSize);
    const { model, preprocessing: prep } = await loadImageClassifierWithInfo(modelPath, {
      batchSize: parsePositiveInt("--batch-size", f.batchSize),
      ...(preprocessing !== undefined ? { preprocessing } : {}),
      ...(inputSize ? { inputSize } : {}),
      onWarning,
    }).catch((err: unknown) => {
      // The model's own fixed size contradicts --input-size: name the flag.
      if (err instanceof GradoptError && /^input size /.test(err.message))
        throw new GradoptError("E_FLAG", `--input-size: ${err.message}`);
      throw err;
    });
    if (prep.source === "default" && (model.numClasses === 1000 || model.numClasses === 1001))
      onWarning(
        `an ImageNet-sized model with no known input range: assuming pixels on [0, 1]. Pass --preprocessing ` +
          "mobilenet if it expects [-1, 1] (TF-slim / Keras MobileNet, Inception) or MEAN:STD",
      );
    // A target class by index, or by name (e.g. an ImageNet class), like --label.
    const targeted =
      f.targeted === undefined
        ? undefined
        : /^[-+\d.eE]+$/.test(f.targeted.trim())
          ? parseNumber("--targeted", f.targeted)
          : resolveLabel(model.classNames, f.targeted, "--targeted");
    if (
      targeted !== undefined &&
      !(Number.isInteger(targeted) && targeted >= 0 && targeted < model.numClasses)
    ) {
      throw new GradoptError(
        "E_FLAG",
        `--targeted: expected a class index in [0, ${model.numClasses - 1}] or a class name, got ${f.targeted}`,
      );
    }
    const inputs = await loadInputs(f, model, onWarning);
    const classNames =
      model.classNames.every((c, i) => c === String(i)) && inputs.classNames?.length === model.numClasses
        ? inputs.classNames
        : model.classNames;
    const t0 = performance.now();
    const result = await run(model, inputs.x, inputs.labels, attack, {
      epsilons,
      ...(targeted !== undefined ? { targeted } : {}),
      ...(topK !== undefined ? { topK } : {}),
      seed: parseNumber("--seed", f.seed),
      sanity: f.sanity,
    });
    const seconds = (performance.now() - t0) / 1000;
    let quantized: QuantizedCheck[] | undefined;
    if (f.out) quantized = saveAdversarialPngs(model, result, inputs.x, f.out);
    const summary = result.summary();
    const photo = inputs.photo;
    const figures: PhotoFigure[] | undefined =
      photo && (f.out || f.report)
        ? photoFigures(model, photo, result, { fullResolution: f.fullResolution })
        : undefined;
    const photoOut = photo
      ? {
          file: f.image ?? f.data,
          decoder: (await imageDecoderInfo()).version,
          // How the photo became the model's input (the interpolation is part of what was attacked).
          resize: {
            from: [photo.original.width, photo.original.height],
            crop: photo.box,
            to: photo.input.shape.slice(1, 3),
            fit: f.fit,
            method:
              (f.fit === "cover" ? "centre crop to the input's aspect, then " : "whole photo, stretched: ") +
              "antialiased bilinear (triangle filter widened by the shrink factor)",
          },
          trueClass: classNames[inputs.labels[0]!],
          top5: topPredictions(model, inputs.x, 5)[0],
          perEps: perEpsPredictions(result, classNames),
          ...(figures
            ? {
                figures: writeFigureFiles(figuresDir(f), figures),
                // The adversarials mapped onto the photo's resolution, cropped, resized and classified again.
                ...(f.fullResolution
                  ? {
                      fullResolution: figures
                        .filter((g) => g.kind === "adversarial-full")
                        .map((g) => ({
                          eps: g.eps!,
                          file: g.file,
                          width: g.image.width,
                          height: g.image.height,
                          ...g.recheck!,
                        })),
                    }
                  : {}),
              }
            : {}),
        }
      : undefined;
    const json = {
      ...summary,
      ...(photoOut ? { image: photoOut } : {}),
      preprocessing: {
        value: model.preprocessing,
        source: prep.source,
        reason: prep.reason,
        inputShape: model.inputShape,
      },
      warnings,
      backend,
      labels: inputs.labelSource,
      ...(targeted !== undefined ? { target: { index: targeted, name: classNames[targeted] } } : {}),
      ...(quantized ? { out: f.out, quantized } : {}),
      seconds,
    };
    emit(f, json, () => {
      const lines = [
        `${summary.attack} (${summary.distance}, ${summary.criterion}${targeted !== undefined ? ` -> ${classNames[targeted]}` : ""}) on ${summary.n} images, backend ${backend}, ${seconds.toFixed(1)} s`,
        `preprocessing ${describePreprocessing(model.preprocessing)} (${prep.reason})`,
        `clean accuracy ${(100 * summary.clean.accuracy).toFixed(1)}%`,
        "eps       accuracy  success   confidence  max-Linf  max-L2" + (quantized ? "   uint8-accuracy" : ""),
        ...summary.results.map((r, i) =>
          [
            String(r.eps).padEnd(9),
            `${(100 * r.accuracy).toFixed(1)}%`.padEnd(9),
            `${(100 * r.attackSuccessRate).toFixed(1)}%`.padEnd(9),
            r.meanConfidence.toFixed(3).padEnd(11),
            r.maxLinf.toFixed(4).padEnd(9),
            r.maxL2.toFixed(3).padEnd(8),
            quantized ? ` ${(100 * quantized[i]!.accuracy).toFixed(1)}%` : "",
          ].join(" "),
        ),
      ];
      if (photoOut) {
        lines.push(
          `top-5 (clean): ${photoOut.top5!.map((p) => `${p.name} ${(100 * p.probability).toFixed(2)}%`).join(", ")}`,
        );
        for (const p of photoOut.perEps)
          lines.push(
            `eps ${p.eps}: ${p.topName} ${(100 * p.confidence).toFixed(2)}%, true class ${photoOut.trueClass} ${(100 * p.trueConfidence).toFixed(2)}%`,
          );
        if (f.reverse)
          lines.push(
            `reverse step: true class ${(100 * result.clean.trueConfidence[0]!).toFixed(2)}% before -> ${photoOut.perEps.map((p) => `${(100 * p.trueConfidence).toFixed(2)}% at eps ${p.eps}`).join(", ")}`,
          );
        for (const c of photoOut.fullResolution ?? [])
          lines.push(
            `eps ${c.eps} at ${c.width}x${c.height} (classified again): ${c.topName} ${(100 * c.confidence).toFixed(2)}%, true class ${photoOut.trueClass} ${(100 * c.trueConfidence).toFixed(2)}%`,
          );
        if (photoOut.figures)
          lines.push(
            `figures (input, signed gradient, adversarial per eps) in ${join(figuresDir(f), "figures.html")}`,
          );
      }
      if (f.out) lines.push(`adversarial PNGs in ${f.out}`);
      return lines.join("\n");
    });
    if (f.report) {
      const extra = quantized ? { quantized } : {};
      await writeAttackReport(f.report, {
        result,
        inputs: inputs.x,
        classNames,
        model: modelPath,
        backend,
        seconds,
        ...extra,
        ...(photoOut && figures
          ? {
              photo: {
                file: photoOut.file!,
                trueClass: photoOut.trueClass ?? String(inputs.labels[0]),
                labelSource: inputs.labelSource,
                preprocessing: `${describePreprocessing(model.preprocessing)} (${prep.reason})`,
                top5: photoOut.top5 ?? [],
                figures: figures
                  .filter((g) => g.kind !== "adversarial-full")
                  .map((g) => ({
                    kind: g.kind,
                    ...(g.eps !== undefined ? { eps: g.eps } : {}),
                    caption: g.caption,
                    image: { ...g.image, channels: 3 as const },
                  })),
                reverse: f.reverse === true,
                figuresDir: figuresDir(f),
                ...(photoOut.fullResolution ? { fullResolution: photoOut.fullResolution } : {}),
              },
            }
          : {}),
      });
    }
    result.dispose();
    inputs.x.dispose();
    model.dispose();
  });
}

/** `--attack spsa|square|hsj`: the model seen only through its probabilities; queries per image in the output. */
async function blackBoxAction(f: AttackFlags): Promise<void> {
  const name = f.attack;
  for (const [flag, given] of [
    ["--targeted", f.targeted],
    ["--top-k", f.topK],
    ["--reverse", f.reverse],
    ["--out", f.out],
    ["--restarts", f.restarts],
    ["--stepsize", f.stepsize],
  ] as const) {
    if (given !== undefined && given !== false)
      throw new GradoptError(
        "E_FLAG",
        `${flag}: not available with the black-box attack ${name} (untargeted misclassification only)`,
      );
  }
  if (name !== "hsj" && f.norm !== "linf")
    throw new GradoptError("E_FLAG", `--norm: ${name} is an L-inf attack`);
  const epsilons = parseNumberList("--eps", f.eps);
  for (const e of epsilons)
    if (!(e >= 0)) throw new GradoptError("E_FLAG", `--eps: budgets must be >= 0, got ${e}`);
  const maxQueries = f.queries === undefined ? undefined : parsePositiveInt("--queries", f.queries);
  const steps = f.steps === undefined ? undefined : parsePositiveInt("--steps", f.steps);
  if (f.backend !== undefined && !["wasm", "cpu", "tensorflow", "webgl", "webgpu"].includes(f.backend))
    throw new GradoptError("E_FLAG", `--backend: expected wasm, cpu or tensorflow, got '${f.backend}'`);
  let attack: BlackBoxAttack;
  const q = maxQueries ? { maxQueries } : {};
  if (name === "square") attack = squareAttack(q);
  else if (name === "spsa") {
    if (maxQueries !== undefined && maxQueries < 66)
      throw new GradoptError(
        "E_FLAG",
        `--queries: spsa needs at least 66 queries per image (2 x 32 probes + 2), got ${maxQueries}`,
      );
    attack = spsaAttack(q);
  } else attack = hopSkipJump({ ...q, ...(steps ? { iterations: steps } : {}) });
  const backend = await initBackend(f.backend as BackendName | undefined);
  if (!/^https?:\/\//.test(f.model) && !existsSync(f.model))
    throw new GradoptError("E_IO", "no model here (a directory with model.json, or its path)", {
      file: f.model,
    });
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    if (!f.json) process.stderr.write(`gradopt: warning: ${m}\n`);
  };
  const preprocessing = parsePreprocessing(f.preprocessing);
  const model = await TfjsClassifier.load(f.model, {
    batchSize: parsePositiveInt("--batch-size", f.batchSize),
    ...(preprocessing !== undefined ? { preprocessing } : {}),
    ...(f.inputSize !== undefined ? { inputSize: parseInputSize(f.inputSize) } : {}),
    onWarning,
  });
  const inputs = await loadInputs(f, model);
  const t0 = performance.now();
  const result = await runBlackBox(
    classifierAsBlackBox(model),
    inputs.x.dataSync() as Float32Array,
    inputs.labels,
    attack,
    { epsilons, seed: parseNumber("--seed", f.seed) },
  );
  const seconds = (performance.now() - t0) / 1000;
  const summary = result.summary();
  let comparison: ReturnType<typeof compareWithWhiteBox> | undefined;
  let whiteBox: { name: string; results: { eps: number; accuracy: number }[] } | undefined;
  if (f.compare) {
    const white = await run(model, inputs.x, inputs.labels, pgd({ distance: attack.distance }), {
      epsilons,
      sanity: false,
      seed: parseNumber("--seed", f.seed),
    });
    whiteBox = { name: `white-box pgd (${attack.distance})`, results: white.summary().results };
    comparison = compareWithWhiteBox(whiteBox.results, summary.results, {
      whiteName: whiteBox.name,
      blackName: name,
    });
    white.dispose();
  }
  const json = {
    ...summary,
    warnings,
    backend,
    labels: inputs.labelSource,
    ...(comparison ? { comparison } : {}),
    seconds,
  };
  emit(f, json, () => {
    const lines = [
      `${name} (black-box, ${summary.access} access, ${summary.distance}) on ${summary.n} images, backend ${backend}, ${seconds.toFixed(1)} s`,
      `clean accuracy ${(100 * summary.clean.accuracy).toFixed(1)}%; queries per image: mean ${summary.queries.mean.toFixed(1)}, median ${summary.queries.median}, total ${summary.queries.total}`,
      "eps       accuracy  success   confidence  max-Linf  max-L2   queries(mean/median)",
      ...summary.results.map((r) =>
        [
          String(r.eps).padEnd(9),
          `${(100 * r.accuracy).toFixed(1)}%`.padEnd(9),
          `${(100 * r.attackSuccessRate).toFixed(1)}%`.padEnd(9),
          r.meanConfidence.toFixed(3).padEnd(11),
          r.maxLinf.toFixed(4).padEnd(9),
          r.maxL2.toFixed(3).padEnd(8),
          `${r.queries.mean.toFixed(1)}/${r.queries.median}`,
        ].join(" "),
      ),
    ];
    if (summary.l2History)
      lines.push(`median L2 per iteration: ${summary.l2History.map((v) => v.toFixed(3)).join(" ")}`);
    if (comparison) lines.push(comparison.message);
    return lines.join("\n");
  });
  if (f.report)
    await writeBlackBoxReport(f.report, {
      summary,
      ...(whiteBox ? { whiteBox } : {}),
      ...(comparison ? { comparison } : {}),
      model: f.model,
      backend,
      seconds,
    });
  inputs.x.dispose();
  model.dispose();
}
