/**
 * Part 2: the FGSM article replayed on the bundled Fashion-MNIST classifier. Sample images with the sign of the loss
 * gradient as a picture; predictions and confidences at the article's eps 0, 0.01, 0.1, 0.15; the reverse step
 * x − eps·sign(∇x loss) raising the true class's confidence; robust accuracy against eps for FGSM, BIM and PGD.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  TfjsClassifier,
  adversarialGradient,
  bim,
  fgsm,
  misclassification,
  pgd,
  reverseStep,
  run,
  type Attack,
  type AttackResult,
} from "../attack/index.js";
import { bundledDataDir, loadDataset, type Dataset } from "../data/index.js";
import {
  accuracyChart,
  badge,
  formatPercent,
  rasterImage,
  signedImage,
  type Cell,
  type ImageCell,
  type RasterImage,
} from "../report/index.js";
import { initBackend } from "../tf/backend.js";
import { bundledModelDir } from "../train/bundled.js";
import type { AttackSummary, PartContext, RobustnessPoint, SampleResult } from "./types.js";

/** The article's epsilons (TensorFlow's FGSM tutorial). */
export const ARTICLE_EPSILONS = [0, 0.01, 0.1, 0.15];
/** The eps of the reverse step reported in the summary. */
const REVERSE_EPS = 0.1;
const UPSCALE = 4;

interface Sizes {
  n: number;
  epsilons: number[];
  bimSteps: number;
  pgdSteps: number;
  samples: number;
}

function sizes(ctx: PartContext): Sizes {
  if (ctx.quick)
    return { n: ctx.limit ?? 64, epsilons: [0, 0.05, 0.1, 0.2], bimSteps: 5, pgdSteps: 5, samples: 2 };
  return {
    n: ctx.limit ?? 300,
    epsilons: [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2],
    bimSteps: 10,
    pgdSteps: 10,
    samples: 3,
  };
}

const rel = (p: string) => relative(process.cwd(), p) || p;

function imageOf(data: Float32Array | Dataset["images"], index: number, h: number, w: number): RasterImage {
  return rasterImage(data.subarray(index * h * w, (index + 1) * h * w), w, h);
}

/**
 * Picks the sample images: confidently correct ones of different classes, and the least confident one (the article's
 * image was classified at 41.82%), which shows what the reverse step is for. Deterministic: first match in data order.
 */
function pickSamples(labels: Int32Array, pred: Int32Array, trueConf: Float32Array, count: number): number[] {
  const chosen: number[] = [];
  const classes = new Set<number>();
  for (let i = 0; i < labels.length && chosen.length < count - 1; i++) {
    if (pred[i] === labels[i] && trueConf[i]! >= 0.9 && !classes.has(labels[i]!)) {
      chosen.push(i);
      classes.add(labels[i]!);
    }
  }
  let unsure = -1;
  for (let i = 0; i < labels.length; i++) {
    if (chosen.includes(i)) continue;
    if (unsure < 0 || trueConf[i]! < trueConf[unsure]!) unsure = i;
  }
  // Prefer an uncertain but not hopeless image (true class 20..80%), as in the article.
  let mid = -1;
  for (let i = 0; i < labels.length; i++) {
    if (chosen.includes(i)) continue;
    const c = trueConf[i]!;
    if (c >= 0.2 && c <= 0.8 && (mid < 0 || Math.abs(c - 0.45) < Math.abs(trueConf[mid]! - 0.45))) mid = i;
  }
  if (chosen.length < count) chosen.push(mid >= 0 ? mid : unsure);
  return chosen.filter((i) => i >= 0);
}

function robustness(res: AttackResult): RobustnessPoint[] {
  return res.results.map((r) => ({
    eps: r.eps,
    accuracy: r.accuracy,
    attackSuccessRate: r.attackSuccessRate,
    meanConfidence: r.meanConfidence,
    maxLinf: r.maxLinf,
  }));
}

function nonIncreasing(values: number[], slack = 0): boolean {
  return values.every((v, i) => i === 0 || v <= values[i - 1]! + slack);
}

export async function runAttackPart(ctx: PartContext): Promise<AttackSummary> {
  const { report, progress } = ctx;
  const sz = sizes(ctx);
  const modelDir = ctx.model ?? bundledModelDir();
  if (!existsSync(join(modelDir, "model.json"))) {
    throw new Error(`the bundled classifier ${rel(join(modelDir, "model.json"))} is not in this build`);
  }
  let end = progress.step("attack: setting up TensorFlow.js and loading the bundled classifier and images");
  const backend = await initBackend();
  const warnings: string[] = [];
  const model = await TfjsClassifier.load(modelDir, { onWarning: (m) => warnings.push(m) });
  const data = loadDataset(bundledDataDir(), { limit: sz.n });
  const [n, h, w] = data.shape;
  const classNames = model.classNames.every((c, i) => c === String(i)) ? data.classNames : model.classNames;
  const name = (k: number) => classNames[k] ?? String(k);
  end(`${backend} backend, ${n} images`);

  const x = tf.tensor4d(data.images, data.shape);
  try {
    report.text(
      `The classifier is the ${ctx.model ? "CNN" : "bundled CNN"} \`${rel(modelDir)}\`, run on the bundled Fashion-MNIST test subset ` +
        `(\`${rel(data.source)}\`, first ${n} images; pixels in [0, 1], eps on that scale) with the TensorFlow.js ` +
        `**${backend}** backend. FGSM moves every pixel by eps in the direction of the sign of the gradient of the ` +
        "loss (cross-entropy of the logits against the TRUE label): x_adv = clip(x + eps · sign(∇x loss), 0, 1).",
    );

    // --- The article's epsilons on a few sample images ---------------------------------------------------------------
    end = progress.step(`attack: FGSM at eps ${ARTICLE_EPSILONS.join(", ")} on sample images`);
    const clean = await cleanScores(model, x, data.labels);
    const cleanAccuracy = clean.accuracy;
    const picks = pickSamples(data.labels, clean.predictions, clean.trueConfidence, sz.samples);
    const xs = tf.gather(x, picks);
    const ys = Int32Array.from(picks, (i) => data.labels[i]!);
    const grad = tf.tidy(() => adversarialGradient(model, xs, misclassification(ys)).grad);
    const signedGrad = grad.sign();
    const signData = (await signedGrad.data()) as Float32Array;
    tf.dispose([grad, signedGrad]);
    const article = await run(model, xs, ys, fgsm(), { epsilons: ARTICLE_EPSILONS, sanity: false });
    const reverseEps = ARTICLE_EPSILONS.filter((e) => e > 0);
    const reverse = await run(model, xs, ys, reverseStep(), { epsilons: reverseEps, sanity: false });
    const xsData = (await xs.data()) as Float32Array;
    const advData = await Promise.all(
      article.results.map(async (r) => (await r.clipped.data()) as Float32Array),
    );
    const revData = await Promise.all(
      reverse.results.map(async (r) => (await r.clipped.data()) as Float32Array),
    );
    xs.dispose();
    end();

    const samples: SampleResult[] = picks.map((index, s) => {
      const sign = signData.subarray(s * h * w, (s + 1) * h * w);
      let zeros = 0;
      for (const v of sign) if (v === 0) zeros++;
      const label = ys[s]!;
      const ri = reverseEps.indexOf(REVERSE_EPS);
      return {
        index,
        label,
        labelName: name(label),
        zeroGradientFraction: zeros / sign.length,
        predictions: article.results.map((r) => ({
          eps: r.eps,
          predicted: r.predictions[s]!,
          predictedName: name(r.predictions[s]!),
          confidence: r.confidence[s]!,
          trueConfidence: r.trueConfidence[s]!,
          correct: r.predictions[s] === label,
        })),
        reverse: {
          eps: REVERSE_EPS,
          trueConfidenceBefore: article.results[0]!.trueConfidence[s]!,
          trueConfidenceAfter: reverse.results[ri]!.trueConfidence[s]!,
          predictedAfter: name(reverse.results[ri]!.predictions[s]!),
        },
      };
    });

    report.heading("Sample images at the article's epsilons", 3);
    report.text(
      `Samples: the first confidently and correctly classified image${sz.samples > 2 ? `s of ${sz.samples - 1} different classes` : ""}, ` +
        "and the image whose true-class probability is nearest 45% (the article's image was classified at 41.82%). " +
        "Perturbations are shown amplified to full contrast (red +eps, blue −eps, white 0); images are upscaled ×4 " +
        "with nearest-neighbour. The reverse step uses the true label, so it shows what the gradient knows — it is not a defence.",
    );
    const caption = (pred: number, conf: number, label: number) =>
      `${name(pred)} ${formatPercent(conf)}${pred === label ? "" : " ✗"}`;
    samples.forEach((smp, s) => {
      const orig = imageOf(xsData, s, h, w);
      const sign = signData.subarray(s * h * w, (s + 1) * h * w);
      report.heading(`#${smp.index}: ${smp.labelName}`, 4);
      const rows: { label: string; cells: (ImageCell | null)[] }[] = [];
      article.results.forEach((r, k) => {
        const adv = imageOf(advData[k]!, s, h, w);
        const pert = new Float32Array(h * w);
        for (let i = 0; i < h * w; i++) pert[i] = adv.data[i]! - orig.data[i]!;
        rows.push({
          label: `eps ${r.eps}`,
          cells: [
            k === 0
              ? {
                  image: orig,
                  caption: `${caption(r.predictions[s]!, r.confidence[s]!, smp.label)} (true: ${smp.labelName})`,
                }
              : null,
            r.eps === 0
              ? {
                  image: signedImage(sign, w, h),
                  caption: `sign(∇x loss); ${formatPercent(smp.zeroGradientFraction)} zero`,
                }
              : { image: signedImage(pert, w, h, { scale: r.eps }), caption: `±${r.eps} (amplified)` },
            r.eps === 0
              ? null
              : { image: adv, caption: caption(r.predictions[s]!, r.confidence[s]!, smp.label) },
            r.eps === 0
              ? null
              : {
                  image: imageOf(revData[k - 1]!, s, h, w),
                  caption: `${name(reverse.results[k - 1]!.predictions[s]!)}: true ${formatPercent(
                    reverse.results[k - 1]!.trueConfidence[s]!,
                    2,
                  )}`,
                },
          ],
        });
      });
      report.imageGrid({
        columns: ["original", "perturbation", "adversarial x + eps·sign(∇)", "reverse x − eps·sign(∇)"],
        rows,
        scale: UPSCALE,
      });
      report.table({
        columns: [
          "eps",
          "prediction",
          "confidence",
          `true class (${smp.labelName})`,
          "reverse step: true class",
        ],
        rows: smp.predictions.map((p, k): Cell[] => [
          p.eps,
          p.correct ? p.predictedName : badge(p.predictedName, "bad"),
          formatPercent(p.confidence, 2),
          formatPercent(p.trueConfidence, 2),
          k === 0 ? "—" : formatPercent(reverse.results[k - 1]!.trueConfidence[s]!, 2),
        ]),
      });
    });
    const rev = samples.map((s) => s.reverse);
    const reverseRaises =
      rev.every((r) => r.trueConfidenceAfter >= r.trueConfidenceBefore) &&
      rev.some((r) => r.trueConfidenceAfter > r.trueConfidenceBefore);
    report.note(
      `The reverse step (x − ${REVERSE_EPS}·sign(∇x loss)) changed the true class's confidence ${rev
        .map(
          (r, i) =>
            `for #${samples[i]!.index} from ${formatPercent(r.trueConfidenceBefore, 2)} to ${formatPercent(r.trueConfidenceAfter, 2)}`,
        )
        .join("; ")} (the article: 41.82% → 97.89% on MobileNetV2).`,
      reverseRaises ? "success" : "warning",
    );
    article.dispose();
    reverse.dispose();

    // --- Robust accuracy against eps -----------------------------------------------------------------------------------
    report.heading("Robust accuracy against eps", 3);
    const attacks: [string, Attack, number][] = [
      ["fgsm", fgsm(), 1],
      ["bim", bim({ steps: sz.bimSteps }), sz.bimSteps],
      ["pgd", pgd({ steps: sz.pgdSteps }), sz.pgdSteps],
    ];
    const robust: AttackSummary["robustness"] = {};
    for (const [label, attack, steps] of attacks) {
      end = progress.step(
        `attack: ${label.toUpperCase()}${steps > 1 ? ` (${steps} steps)` : ""} on ${n} images at ${sz.epsilons.length} eps`,
      );
      const res = await run(model, x, data.labels, attack, {
        epsilons: sz.epsilons,
        onProgress: (done, total) => progress.tick(label.toUpperCase(), done, total),
      });
      for (const wmsg of res.warnings) if (!warnings.includes(wmsg)) warnings.push(wmsg);
      robust[label] = { steps, points: robustness(res) };
      res.dispose();
      end(robust[label].points.map((p) => `${p.eps}: ${formatPercent(p.accuracy)}`).join(", "));
    }
    // Reverse step over the whole subset: mean true-class confidence before and after.
    end = progress.step(`attack: reverse step on ${n} images`);
    const revAll = await run(model, x, data.labels, reverseStep(), {
      epsilons: [REVERSE_EPS],
      sanity: false,
    });
    const meanTrueBefore = mean(revAll.clean.trueConfidence);
    const meanTrueAfter = revAll.results[0]!.meanTrueConfidence;
    const accAfterReverse = revAll.results[0]!.accuracy;
    revAll.dispose();
    end();

    // The adversarially trained model shipped beside the default one, under the strongest attack (full mode only).
    let robustModel: AttackSummary["robustModel"];
    const robustDir = bundledModelDir("fashion-cnn-robust");
    if (!ctx.quick && !ctx.model && existsSync(join(robustDir, "model.json"))) {
      end = progress.step(
        `attack: PGD (${sz.pgdSteps} steps) on the adversarially trained ${rel(robustDir)}`,
      );
      const other = await TfjsClassifier.load(robustDir, {
        onWarning: (m) => warnings.push(`${rel(robustDir)}: ${m}`),
      });
      try {
        const res = await run(other, x, data.labels, pgd({ steps: sz.pgdSteps }), {
          epsilons: sz.epsilons,
          onProgress: (done, total) => progress.tick("PGD", done, total),
        });
        robustModel = { model: rel(robustDir), attack: "pgd", steps: sz.pgdSteps, points: robustness(res) };
        res.dispose();
      } finally {
        other.dispose();
      }
      end(robustModel.points.map((p) => `${p.eps}: ${formatPercent(p.accuracy)}`).join(", "));
    }

    const curves: Record<string, RobustnessPoint[]> = Object.fromEntries(
      Object.entries(robust).map(([k, v]) => [k.toUpperCase(), v.points]),
    );
    if (robustModel) curves["PGD, adversarially trained CNN"] = robustModel.points;
    report.chart(
      accuracyChart(curves, { title: `Accuracy on ${n} images under attack` }),
      `Fraction of the first ${n} bundled test images still classified correctly (true labels) at each L∞ budget eps. ` +
        `BIM: ${sz.bimSteps} steps of 2·eps/${sz.bimSteps}; PGD: random start, ${sz.pgdSteps} steps of 2.5·eps/${sz.pgdSteps}.`,
    );
    report.table({
      columns: [
        "eps",
        ...Object.keys(robust).map((k) => `${k.toUpperCase()} accuracy`),
        ...Object.keys(robust).map((k) => `${k.toUpperCase()} success`),
        ...(robustModel ? ["PGD accuracy, adversarially trained CNN"] : []),
      ],
      rows: sz.epsilons.map((eps, i): Cell[] => [
        eps,
        ...Object.values(robust).map((r) => formatPercent(r.points[i]!.accuracy)),
        ...Object.values(robust).map((r) => formatPercent(r.points[i]!.attackSuccessRate)),
        ...(robustModel ? [formatPercent(robustModel.points[i]!.accuracy)] : []),
      ]),
      caption:
        "Success: the fraction of initially correctly classified images the attack turned into a wrong class.",
    });
    report.keyValues([
      ["clean accuracy", formatPercent(cleanAccuracy)],
      [`mean true-class confidence, clean`, formatPercent(meanTrueBefore, 2)],
      [`… after the reverse step (eps ${REVERSE_EPS})`, formatPercent(meanTrueAfter, 2)],
      [`accuracy after the reverse step`, formatPercent(accAfterReverse)],
    ]);
    for (const wmsg of warnings) report.note(`Sanity check: ${wmsg}`, "warning");

    const accuracyDecreasesWithEps = Object.fromEntries(
      Object.entries(robust).map(([k, v]) => [k, nonIncreasing(v.points.map((p) => p.accuracy))]),
    );
    const fg = robust.fgsm!.points;
    const iterativeAtLeastAsStrong = ["bim", "pgd"].every((k) =>
      robust[k]!.points.every((p, i) => p.accuracy <= fg[i]!.accuracy + 1 / n + 1e-12),
    );
    return {
      available: true,
      backend,
      model: rel(modelDir),
      data: rel(data.source),
      n,
      cleanAccuracy,
      sampleEpsilons: ARTICLE_EPSILONS,
      samples,
      epsilons: sz.epsilons,
      robustness: robust,
      reverseOnSubset: {
        eps: REVERSE_EPS,
        meanTrueConfidenceBefore: meanTrueBefore,
        meanTrueConfidenceAfter: meanTrueAfter,
        accuracyAfter: accAfterReverse,
      },
      ...(robustModel ? { robustModel } : {}),
      warnings,
      findings: {
        accuracyDecreasesWithEps,
        iterativeAtLeastAsStrong,
        reverseRaisesConfidence: reverseRaises && meanTrueAfter > meanTrueBefore,
      },
    };
  } finally {
    x.dispose();
    model.dispose();
  }
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : NaN;
}

/** Predictions and true-class probabilities of the clean inputs (a forward pass only). */
async function cleanScores(
  model: TfjsClassifier,
  x: tf.Tensor,
  labels: Int32Array,
): Promise<{ predictions: Int32Array; trueConfidence: Float32Array; accuracy: number }> {
  const logits = model.logitsBatched(x);
  const [pred, conf] = tf.tidy(() => {
    const p = tf.softmax(logits);
    return [
      tf.argMax(logits, 1),
      tf.sum(tf.mul(p, tf.oneHot(tf.tensor1d(labels, "int32"), logits.shape[1]!)), 1),
    ];
  });
  const predictions = Int32Array.from(await pred!.data());
  const trueConfidence = Float32Array.from(await conf!.data());
  tf.dispose([logits, pred!, conf!]);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return { predictions, trueConfidence, accuracy: correct / labels.length };
}
