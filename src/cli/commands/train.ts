/**
 * `gradopt train`: trains the bundled CNN architecture on IDX image data (default: the full Fashion-MNIST training set
 * in Debian's location), with a progress bar on stderr, a validation split, a checkpoint in --out after every epoch,
 * optional adversarial training, and the test-set accuracy at the end when the data directory has a test split.
 */
import type { Command } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadDataset, fullFashionMnistDir } from "../../data/index.js";
import { GradoptError } from "../../errors.js";
import { initBackend } from "../../tf/backend.js";
import {
  evaluateLoss,
  robustAccuracy,
  loadClassifier,
  saveClassifier,
  trainClassifier,
  type AdversarialConfig,
  type Augmentation,
} from "../../train/index.js";
import type { Logits } from "../../train/adversarial.js";
import { writeTrainReport } from "../../report/commands/index.js";
import {
  emit,
  parseNumber,
  parseNumberList,
  parsePositiveInt,
  withGlobalFlags,
  type GlobalOptions,
} from "../common.js";

interface TrainFlags extends GlobalOptions {
  data?: string;
  epochs: string;
  batchSize: string;
  lr: string;
  seed: string;
  validationSplit: string;
  adversarial?: string;
  eps?: string;
  steps?: string;
  augment: string;
  out: string;
  init?: string;
  filters?: string;
  dense?: string;
  limit?: string;
  maxSteps?: string;
  workers: string;
  test: boolean;
  progress: boolean;
  report?: string;
}

function adversarialFlags(f: TrainFlags): AdversarialConfig | undefined {
  if (f.adversarial === undefined) {
    if (f.eps !== undefined)
      throw new GradoptError("E_FLAG", "--eps: only meaningful with --adversarial fgsm-rs|pgd");
    return undefined;
  }
  if (f.adversarial !== "fgsm-rs" && f.adversarial !== "pgd")
    throw new GradoptError("E_FLAG", `--adversarial: expected fgsm-rs or pgd, got '${f.adversarial}'`);
  const eps = f.eps === undefined ? 0.1 : parseNumber("--eps", f.eps);
  if (!(eps > 0 && eps <= 1))
    throw new GradoptError("E_FLAG", `--eps: must be in (0, 1] (pixel scale), got ${eps}`);
  const cfg: AdversarialConfig = { method: f.adversarial, eps };
  if (f.steps !== undefined) cfg.steps = parsePositiveInt("--steps", f.steps);
  return cfg;
}

/** --filters / --dense: the size of a fresh CNN (a model given by --init keeps its own). */
function architectureFlags(f: TrainFlags): { filters?: number[]; dense?: number } | undefined {
  if (f.filters === undefined && f.dense === undefined) return undefined;
  if (f.init !== undefined)
    throw new GradoptError(
      "E_FLAG",
      `${f.filters !== undefined ? "--filters" : "--dense"}: sets the size of a fresh model; the model from --init keeps its own`,
    );
  const out: { filters?: number[]; dense?: number } = {};
  if (f.filters !== undefined) {
    const filters = parseNumberList("--filters", f.filters);
    if (filters.length === 0 || !filters.every((v) => Number.isInteger(v) && v > 0))
      throw new GradoptError(
        "E_FLAG",
        `--filters: expected comma-separated positive integers (channels per conv stage), got '${f.filters}'`,
      );
    out.filters = filters;
  }
  if (f.dense !== undefined) out.dense = parsePositiveInt("--dense", f.dense);
  return out;
}

export function register(program: Command): void {
  withGlobalFlags(
    program
      .command("train")
      .description(
        "train the bundled CNN (logits output) on IDX image data; standard or adversarial training",
      )
      .option(
        "--data <dir>",
        "directory of IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz])",
        undefined,
      )
      .option("--epochs <n>", "passes over the training data", "5")
      .option("--batch-size <n>", "examples per optimiser step", "128")
      .option("--lr <rate>", "peak Adam learning rate (cosine decay after warm-up)", "0.001")
      .option("--seed <n>", "seed of initialisers, shuffling, augmentation and random starts", "1")
      .option("--validation-split <f>", "fraction of the training data held out for validation", "0.1")
      .option(
        "--adversarial <method>",
        "adversarial training: fgsm-rs (fast, Wong et al. 2020) or pgd (Madry et al. 2018)",
      )
      .option("--eps <e>", "L-inf radius for adversarial training, pixel scale [0, 1] (default 0.1)")
      .option("--steps <n>", "PGD iterations for --adversarial pgd (default 7)")
      .option("--augment <kind>", "data augmentation: none or flip (random horizontal flips)", "none")
      .option(
        "--out <dir>",
        "where to write model.json + weights.bin (checkpointed after every epoch)",
        "gradopt-model",
      )
      .option("--init <dir>", "start from this TensorFlow.js model instead of fresh weights")
      .option("--filters <list>", "channels of the conv stages of a fresh model, e.g. 32,64 (default 16,32)")
      .option("--dense <n>", "units of the hidden dense layer of a fresh model (default 128)")
      .option("--limit <n>", "use only the first N training examples")
      .option("--max-steps <n>", "stop after N optimiser steps")
      .option(
        "--workers <n>",
        "data-parallel worker threads, one wasm backend each (0: train in the main thread)",
        "0",
      )
      .option("--no-test", "skip the test-set evaluation at the end")
      .option("--no-progress", "no progress bar on stderr")
      .option("--report <file>", "also write an HTML report (loss and accuracy per epoch)"),
  ).action(async (f: TrainFlags) => {
    const epochs = parsePositiveInt("--epochs", f.epochs);
    const batchSize = parsePositiveInt("--batch-size", f.batchSize);
    const lr = parseNumber("--lr", f.lr);
    if (!(lr > 0)) throw new GradoptError("E_FLAG", `--lr: must be positive, got ${lr}`);
    const seed = parseNumber("--seed", f.seed);
    if (!Number.isInteger(seed))
      throw new GradoptError("E_FLAG", `--seed: must be an integer, got ${f.seed}`);
    const validationSplit = parseNumber("--validation-split", f.validationSplit);
    if (!(validationSplit >= 0 && validationSplit < 1))
      throw new GradoptError("E_FLAG", `--validation-split: must be in [0, 1), got ${validationSplit}`);
    if (f.augment !== "none" && f.augment !== "flip")
      throw new GradoptError("E_FLAG", `--augment: expected none or flip, got '${f.augment}'`);
    const adversarial = adversarialFlags(f);
    const architecture = architectureFlags(f);
    const limit = f.limit === undefined ? undefined : parsePositiveInt("--limit", f.limit);
    const maxSteps = f.maxSteps === undefined ? undefined : parsePositiveInt("--max-steps", f.maxSteps);
    const dir = f.data ?? fullFashionMnistDir();
    const workers = Number(f.workers) === 0 ? 0 : parsePositiveInt("--workers", f.workers);

    const backend = await initBackend();
    const data = loadDataset(dir, { split: "train", limit });
    const initialModel = f.init ? await loadClassifier(f.init) : undefined;
    // A continued run keeps the record of how its starting point was made.
    const initMeta = initialModel?.getUserDefinedMetadata() as
      { gradopt?: Record<string, unknown> } | undefined;
    const previous = f.init
      ? {
          from: f.init,
          trainedWith: initMeta?.gradopt?.trainedWith ?? null,
          history: initMeta?.gradopt?.history ?? null,
          previous: initMeta?.gradopt?.previous ?? null,
        }
      : null;
    const command = ["gradopt", "train", ...process.argv.slice(3)].join(" ");
    // A bar on a terminal; on a pipe or log file, a plain line every 50 steps.
    const tty = process.stderr.isTTY === true;
    const bar =
      f.progress && tty
        ? new SingleBar(
            {
              stream: process.stderr,
              format: "epoch {epoch} |{bar}| {value}/{total} loss {loss} acc {acc} | {eta_formatted}",
              hideCursor: true,
            },
            Presets.shades_classic,
          )
        : null;
    let barEpoch = 0;
    const trainedWith = {
      command,
      seed,
      epochs,
      batchSize,
      lr,
      augment: f.augment,
      adversarial: adversarial ?? null,
      architecture: architecture ?? null,
      workers,
      data: dir,
      backend,
    };
    const result = await trainClassifier(data, {
      epochs,
      batchSize,
      lr,
      seed,
      validationSplit,
      adversarial,
      augment: f.augment as Augmentation,
      initialModel,
      ...(architecture ? { architecture } : {}),
      maxSteps,
      workers,
      out: f.out,
      metadata: {
        trainedWith,
        previous,
      },
      onBatch: (p) => {
        if (!bar) {
          if (f.progress && !f.json && (p.step % 50 === 0 || p.step === p.stepsPerEpoch)) {
            process.stderr.write(
              `epoch ${p.epoch} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} acc ${p.accuracy.toFixed(4)} lr ${p.lr.toExponential(2)}\n`,
            );
          }
          return;
        }
        if (p.epoch !== barEpoch) {
          if (barEpoch > 0) bar.stop();
          barEpoch = p.epoch;
          bar.start(p.stepsPerEpoch, 0, { epoch: p.epoch, loss: "-", acc: "-" });
        }
        bar.update(p.step, { epoch: p.epoch, loss: p.loss.toFixed(4), acc: p.accuracy.toFixed(4) });
      },
      onEpoch: (e) => {
        bar?.stop();
        barEpoch = 0;
        if (!f.json) {
          const val =
            e.valAccuracy === null
              ? ""
              : `, val loss ${e.valLoss!.toFixed(4)} acc ${e.valAccuracy.toFixed(4)}`;
          process.stderr.write(
            `epoch ${e.epoch}: loss ${e.loss.toFixed(4)} acc ${e.accuracy.toFixed(4)}${val} (${e.seconds.toFixed(0)} s, ${e.imagesPerSecond.toFixed(0)} img/s)\n`,
          );
        }
      },
    });

    let test: {
      examples: number;
      loss: number;
      accuracy: number;
      robust?: { attack: string; steps: number; eps: number; examples: number; accuracy: number };
    } | null = null;
    const hasTest =
      existsSync(join(dir, "t10k-images-idx3-ubyte.gz")) || existsSync(join(dir, "t10k-images-idx3-ubyte"));
    if (f.test && hasTest) {
      const testData = loadDataset(dir, { split: "test" });
      const logits: Logits = (x) =>
        result.model.apply(x, { training: false }) as import("@tensorflow/tfjs").Tensor2D;
      test = { examples: testData.shape[0], ...evaluateLoss(logits, testData) };
      // A quick robustness read-out (PGD-10 on the first 1000 test images); `gradopt attack` does the full evaluation.
      if (adversarial) {
        const few = loadDataset(dir, { split: "test", limit: 1000 });
        test.robust = {
          attack: "pgd",
          steps: 10,
          eps: adversarial.eps,
          examples: few.shape[0],
          accuracy: await robustAccuracy(logits, few, {
            method: "pgd",
            eps: adversarial.eps,
            steps: 10,
            stepSize: adversarial.eps / 4,
          }),
        };
      }
      await saveClassifier(result.model, f.out, {
        classNames: data.classNames,
        trainedWith,
        history: result.history,
        previous,
        test,
      });
    }
    if (f.report) {
      const { steps, trainExamples, validationExamples, seconds, history } = result;
      await writeTrainReport(f.report, {
        out: f.out,
        backend,
        steps,
        trainExamples,
        validationExamples,
        seconds,
        history,
        test,
      });
    }
    const last = result.history[result.history.length - 1];
    emit(
      f,
      {
        out: f.out,
        backend,
        steps: result.steps,
        trainExamples: result.trainExamples,
        validationExamples: result.validationExamples,
        seconds: result.seconds,
        history: result.history,
        test,
      },
      () =>
        [
          `trained ${result.steps} steps on ${result.trainExamples} examples in ${result.seconds.toFixed(0)} s (${backend})`,
          last
            ? `final: loss ${last.loss.toFixed(4)} acc ${last.accuracy.toFixed(4)}${last.valAccuracy === null ? "" : `, validation acc ${last.valAccuracy.toFixed(4)}`}`
            : "",
          test
            ? `test (${test.examples} images): accuracy ${test.accuracy.toFixed(4)}${test.robust ? `; PGD-10 accuracy at eps ${test.robust.eps} on ${test.robust.examples} images: ${test.robust.accuracy.toFixed(4)}` : ""}`
            : "",
          `saved ${f.out}/model.json`,
        ]
          .filter(Boolean)
          .join("\n"),
    );
  });
}
