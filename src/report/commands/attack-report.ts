/**
 * `--report FILE` for `gradopt attack`: robust accuracy against eps (chart and table), the sanity-check warnings, and
 * the first few images with their adversarials and the amplified perturbation, captioned with prediction and confidence.
 * For one photo (`gradopt attack --image`) it shows the seed article's figure set instead: the input, the signed
 * gradient, the adversarial image per eps with captions, the clean top-5, and the reverse step's before and after.
 */
import * as tf from "@tensorflow/tfjs";
import type { AttackResult } from "../../attack/index.js";
import { accuracyChart, robustnessTable } from "../sections.js";
import { formatPercent } from "../format.js";
import { rasterImage, signedImage, type RasterImage } from "../image.js";
import { Report, type Cell, type ImageCell } from "../report.js";

export interface AttackReportInput {
  result: AttackResult;
  /** The attacked inputs, [n, height, width, channels] on the pixel scale. */
  inputs: tf.Tensor;
  classNames: string[];
  model: string;
  backend: string;
  seconds: number;
  /** Accuracy after 8-bit quantisation per eps (from --out). */
  quantized?: { eps: number; accuracy: number; lost: number }[];
  /** How many images to show (default 6). */
  samples?: number;
  /** One photo's figure set (gradopt attack --image), shown instead of the example grid. */
  photo?: PhotoReportInput;
}

export interface PhotoReportInput {
  file: string;
  trueClass: string;
  /** Where the true label came from (--label, or the model's own prediction). */
  labelSource: string;
  /** How the model's input range was chosen (preprocessing and why). */
  preprocessing?: string;
  top5: { name: string; probability: number }[];
  /** Pictures at the model's resolution: input, signed-gradient, adversarial (one per eps), with captions. */
  figures: { kind: string; eps?: number; caption: string; image: RasterImage }[];
  /** The attack was the reverse step x - eps * sign(grad): show the true class's confidence before and after. */
  reverse?: boolean;
  /** Where the PNG files (also at the photo's full resolution) were written. */
  figuresDir?: string;
  /** Per eps: the adversarial mapped onto the photo's resolution, cropped, resized and classified again. */
  fullResolution?: {
    eps: number;
    width: number;
    height: number;
    topName: string;
    confidence: number;
    trueConfidence: number;
  }[];
}

function toImage(data: Float32Array, index: number, h: number, w: number, c: number): RasterImage {
  const per = h * w * c;
  return rasterImage(data.subarray(index * per, (index + 1) * per), w, h, c === 3 ? 3 : c === 4 ? 4 : 1);
}

/** The perturbation summed over channels, for a signed picture. */
function perturbation(
  adv: Float32Array,
  orig: Float32Array,
  index: number,
  h: number,
  w: number,
  c: number,
): Float32Array {
  const out = new Float32Array(h * w);
  const base = index * h * w * c;
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += adv[base + i * c + k]! - orig[base + i * c + k]!;
    out[i] = s / c;
  }
  return out;
}

export async function writeAttackReport(file: string, input: AttackReportInput): Promise<string> {
  const { result } = input;
  const summary = result.summary();
  const name = (k: number) => input.classNames[k] ?? String(k);
  const r = new Report({ title: `Attack: ${summary.attack} on ${summary.n} images` });
  r.text(
    `Model \`${input.model}\`, backend **${input.backend}**, ${summary.distance} distance, criterion ${summary.criterion}, ` +
      `${input.seconds.toFixed(1)} s. Accuracy counts an input as robust only when it is classified as its true label.`,
  );
  r.heading("Robust accuracy");
  r.chart(
    accuracyChart(
      { [summary.attack]: summary.results },
      { title: `${summary.attack}: accuracy against eps` },
    ),
  );
  const quantized = input.quantized;
  r.table(
    robustnessTable(
      summary.results,
      `Clean accuracy ${formatPercent(summary.clean.accuracy)}.`,
      quantized
        ? {
            columns: ["accuracy after uint8 PNG"],
            cells: (_p, i) => [formatPercent(quantized[i]!.accuracy)],
          }
        : undefined,
    ),
  );
  for (const w of summary.warnings) r.note(`Sanity check: ${w}`, "warning");

  if (input.photo) {
    photoSections(r, input.photo, result, name);
    return r.writeHtml(file);
  }
  const shape = input.inputs.shape;
  if (shape.length === 4) {
    const [, h, w, c] = shape as [number, number, number, number];
    const k = Math.min(input.samples ?? 6, summary.n);
    const orig = (await tf.tidy(() => tf.slice(input.inputs, 0, k)).data()) as Float32Array;
    const shown = result.results.filter((e) => e.eps > 0).slice(-4);
    const advs = await Promise.all(
      shown.map(async (e) => {
        const t = tf.slice(e.clipped, 0, k);
        const d = (await t.data()) as Float32Array;
        t.dispose();
        return d;
      }),
    );
    const scale = Math.max(1, Math.floor(112 / Math.max(h, w)));
    const last = shown.at(-1);
    r.heading("Examples");
    r.imageGrid({
      columns: [
        "original",
        ...shown.map((e) => `eps ${e.eps}`),
        ...(last ? [`perturbation at eps ${last.eps} (amplified)`] : []),
      ],
      rows: Array.from({ length: k }, (_, i) => ({
        label: `#${i}`,
        cells: [
          {
            image: toImage(orig, i, h, w, c),
            caption: `${name(result.clean.predictions[i]!)} ${formatPercent(result.clean.confidence[i]!)} (true: ${name(result.labels[i]!)})`,
          },
          ...shown.map((e, j): ImageCell => ({
            image: toImage(advs[j]!, i, h, w, c),
            caption: `${name(e.predictions[i]!)} ${formatPercent(e.confidence[i]!)}${e.predictions[i] === result.labels[i] ? "" : " ✗"}`,
          })),
          ...(last
            ? [
                {
                  image: signedImage(perturbation(advs.at(-1)!, orig, i, h, w, c), w, h, { scale: last.eps }),
                },
              ]
            : []),
        ],
      })),
      scale,
    });
  }
  return r.writeHtml(file);
}

/** The seed article's figures for one photo, the clean top-5, and the reverse step's before / after. */
function photoSections(
  r: Report,
  photo: PhotoReportInput,
  result: AttackResult,
  name: (k: number) => string,
): void {
  const label = result.labels[0]!;
  r.heading("The photo");
  r.keyValues([
    ["image", { code: photo.file }],
    ["true class", `${photo.trueClass} (${photo.labelSource})`],
    ...(photo.preprocessing ? ([["preprocessing", photo.preprocessing]] as [string, Cell][]) : []),
    ["clean prediction", `${name(result.clean.predictions[0]!)} ${pct2(result.clean.confidence[0]!)}`],
  ]);
  r.table({
    columns: ["rank", "class", "probability"],
    rows: photo.top5.map((p, i): Cell[] => [i + 1, p.name, pct2(p.probability)]),
    caption: "Top-5 on the clean photo.",
  });
  const pick = (kind: string) => photo.figures.filter((f) => f.kind === kind);
  // Small model inputs (e.g. 96x96) are enlarged to about 224 pixels, nearest-neighbour so each pixel stays visible.
  const side = Math.max(1, ...photo.figures.map((f) => Math.max(f.image.width, f.image.height)));
  const scale = Math.max(1, Math.floor(224 / side));
  const cell = (f: PhotoReportInput["figures"][number]): ImageCell => ({
    image: f.image,
    caption: f.caption,
    alt: f.caption,
  });
  const first = [...pick("input"), ...pick("signed-gradient")];
  if (first.length > 0) {
    r.heading("Input and signed gradient", 3);
    r.imageGrid({
      columns: first.map((f) => (f.kind === "input" ? "input" : "signed gradient")),
      rows: [{ cells: first.map(cell) }],
      scale,
      caption:
        "The signed gradient is sign(∂ loss / ∂ x) of the true class's cross-entropy per pixel and channel: the FGSM " +
        "direction (black −1, grey 0, white +1).",
    });
  }
  const adv = pick("adversarial");
  if (adv.length > 0) {
    r.heading(photo.reverse ? "After the reverse step, per eps" : "Adversarial image per eps", 3);
    r.imageGrid({
      columns: adv.map((f) => `eps ${f.eps}`),
      rows: [{ cells: adv.map(cell) }],
      scale,
      caption: photo.reverse
        ? "x − eps · sign(gradient): the step that lowers the true class's loss."
        : "x + eps · sign(gradient), clipped to [0, 1]; eps on the [0, 1] pixel scale.",
    });
  }
  if (photo.fullResolution && photo.fullResolution.length > 0) {
    const { width, height } = photo.fullResolution[0]!;
    r.heading(`At the photo's own resolution (${width}x${height})`, 3);
    r.table({
      columns: ["eps", "at the model's resolution", `mapped onto ${width}x${height}, classified again`],
      rows: photo.fullResolution.map((c): Cell[] => {
        const e = result.results.find((q) => q.eps === c.eps);
        return [
          c.eps,
          e
            ? `${name(e.predictions[0]!)} ${pct2(e.confidence[0]!)} (true ${pct2(e.trueConfidence[0]!)})`
            : "—",
          `${c.topName} ${pct2(c.confidence)} (true ${pct2(c.trueConfidence)})`,
        ];
      }),
      caption:
        "The perturbation is resampled (bilinear) onto the crop region of the original photo, which smooths it; the " +
        "full-size image is then cropped and resized as before and classified again.",
    });
  }
  if (photo.reverse) {
    r.heading("Reverse step: the true class's confidence before and after", 3);
    const before = result.clean.trueConfidence[0]!;
    r.table({
      columns: ["eps", `${name(label)} before`, `${name(label)} after`, "change", "top prediction after"],
      rows: result.results.map((e): Cell[] => [
        e.eps,
        pct2(before),
        pct2(e.trueConfidence[0]!),
        pointChange(before, e.trueConfidence[0]!),
        `${name(e.predictions[0]!)} ${pct2(e.confidence[0]!)}`,
      ]),
    });
  }
  if (photo.figuresDir)
    r.note(
      `The figures are also PNG files in \`${photo.figuresDir}\`, with each adversarial mapped back onto the photo's ` +
        "own resolution (`eps-<eps>-full.png`; resampling smooths the perturbation, so re-check it before relying on it).",
    );
}

/** "+12.3 points (x1.52)": the change of a probability in percentage points, and the ratio after / before. */
function pointChange(before: number, after: number): string {
  const d = 100 * (after - before);
  const ratio = before > 0 ? ` (×${(after / before).toPrecision(3)})` : "";
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toPrecision(3)} points${ratio}`;
}

/** A probability as a percentage with two decimals, as the article and the figure captions give them. */
function pct2(p: number): string {
  return `${(100 * p).toFixed(2)}%`;
}
